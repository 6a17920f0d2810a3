"""The chart rendered by the real Helm engine, for the defaults and for non-default value sets."""

from __future__ import annotations

import base64

import pytest

from conftest import GROUP, NAMESPACE, RELEASE, args, container, render

KINDS = ["awsecrimagepullsecrets", "clusterawsecrimagepullsecrets"]

# The operator's rules with default values, exactly (order included: it is the documented order).
DEFAULT_CLUSTER_RULES = [
    {"apiGroups": [GROUP], "resources": KINDS, "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": [GROUP], "resources": [k + "/status" for k in KINDS], "verbs": ["update"]},
    {"apiGroups": [GROUP], "resources": [k + "/finalizers" for k in KINDS], "verbs": ["update"]},
    {"apiGroups": [""], "resources": ["secrets"],
     "verbs": ["get", "list", "watch", "create", "update", "delete"]},
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "patch"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
]
LEASE_RULES = [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}]

DEFAULT_ARGS = [
    "--concurrency=4",
    "--metrics-bind-address=:8080",
    "--health-probe-bind-address=:8081",
    "--leader-elect=true",
    "--leader-election-namespace=$(POD_NAMESPACE)",
    "--leader-election-id=ecr-pullsecret-operator",
    "--allow-ambient-credentials=cluster-only",
    "--default-refresh-interval=6h",
    "--log-format=json",
    "--log-level=info",
    "--webhook=true",
    "--webhook-port=9443",
    "--webhook-cert-dir=/tmp/k8s-webhook-server/serving-certs",
    "--webhook-max-body-bytes=262144",
    "--webhook-max-inflight-bytes=16777216",
    "--webhook-max-connections=128",
    "--webhook-max-pipelined-requests=1",
]


def assert_restricted_pod_security(pod: dict) -> None:
    """The Pod Security Standards "restricted" profile, field by field."""
    psc = pod.get("securityContext", {})
    assert psc["runAsNonRoot"] is True
    assert psc["runAsUser"] != 0
    assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")
    for c in pod["containers"] + pod.get("initContainers", []):
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["runAsNonRoot"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not sc.get("privileged")
    for v in pod.get("volumes", []):
        assert "hostPath" not in v


class TestDefaults:
    m = render()

    def test_objects(self):
        assert self.m.keys() == {
            ("CustomResourceDefinition", "awsecrimagepullsecrets.ecr.pullsecrets.dev"),
            ("CustomResourceDefinition", "clusterawsecrimagepullsecrets.ecr.pullsecrets.dev"),
            ("ServiceAccount", RELEASE),
            ("ClusterRole", RELEASE),
            ("ClusterRoleBinding", RELEASE),
            ("Role", RELEASE + "-leader-election"),
            ("RoleBinding", RELEASE + "-leader-election"),
            ("ClusterRole", RELEASE + "-edit"),
            ("Deployment", RELEASE),
            ("Service", RELEASE + "-metrics"),
            ("Service", RELEASE + "-webhook"),
            ("ValidatingWebhookConfiguration", RELEASE),
            ("Issuer", RELEASE + "-selfsigned"),
            ("Certificate", RELEASE + "-ca"),
            ("Issuer", RELEASE + "-ca"),
            ("Certificate", RELEASE + "-serving-cert"),
        }

    def test_namespaced_objects_are_in_the_release_namespace(self):
        cluster_scoped = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                          "ValidatingWebhookConfiguration"}
        for o in self.m.objects:
            if o["kind"] in cluster_scoped:
                assert "namespace" not in o["metadata"], o["kind"]
            else:
                assert o["metadata"]["namespace"] == NAMESPACE, (o["kind"], o["metadata"]["name"])

    def test_pod_security_restricted(self):
        assert_restricted_pod_security(self.m.get("Deployment")["spec"]["template"]["spec"])

    def test_args_are_the_operator_flags(self):
        assert args(self.m) == DEFAULT_ARGS

    def test_container(self):
        c = container(self.m)
        assert c["image"] == "ghcr.io/ecr-pullsecret-operator/ecr-pullsecret-operator:0.1.0"
        assert c["imagePullPolicy"] == "IfNotPresent"
        assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"metrics": 8080, "health": 8081,
                                                                        "webhook": 9443}
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert c["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}
        assert c["resources"]["limits"]["memory"] == "256Mi"
        env = {e["name"]: e for e in c["env"]}
        assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"

    def test_tmp_is_a_writable_empty_dir_and_the_cert_secret_is_mounted_at_the_cert_dir(self):
        pod = self.m.get("Deployment")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m for m in container(self.m)["volumeMounts"]}
        assert volumes["tmp"]["emptyDir"] == {"sizeLimit": "64Mi"}
        assert mounts["/tmp"]["name"] == "tmp"
        cert_mount = mounts["/tmp/k8s-webhook-server/serving-certs"]
        assert cert_mount["readOnly"] is True
        secret_name = volumes[cert_mount["name"]]["secret"]["secretName"]
        assert secret_name == self.m.get("Certificate", RELEASE + "-serving-cert")["spec"]["secretName"]

    def test_cluster_rbac_rules_exactly(self):
        assert self.m.get("ClusterRole", RELEASE)["rules"] == DEFAULT_CLUSTER_RULES
        binding = self.m.get("ClusterRoleBinding", RELEASE)
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                      "name": RELEASE}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": RELEASE, "namespace": NAMESPACE}]

    def test_leases_only_in_the_operator_namespace(self):
        role = self.m.get("Role", RELEASE + "-leader-election")
        assert role["metadata"]["namespace"] == NAMESPACE
        assert role["rules"] == LEASE_RULES
        binding = self.m.get("RoleBinding", RELEASE + "-leader-election")
        assert binding["roleRef"]["name"] == role["metadata"]["name"]
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": RELEASE, "namespace": NAMESPACE}]

    def test_aggregated_user_roles(self):
        edit = self.m.get("ClusterRole", RELEASE + "-edit")
        assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
        assert edit["rules"][0]["resources"] == ["awsecrimagepullsecrets"]
        assert "rbac.authorization.k8s.io/aggregate-to-view" not in edit["metadata"]["labels"]

    def test_nothing_that_can_carry_keys_is_aggregated_into_view(self):
        # spec.awsAccess may hold an inline secretAccessKey: whoever reads the kind reads keys, and `view` reads no
        # Secrets on purpose. No rendered ClusterRole aggregated into `view` may name the API group at all.
        for role in self.m.of_kind("ClusterRole"):
            if role["metadata"].get("labels", {}).get("rbac.authorization.k8s.io/aggregate-to-view") == "true":
                assert all(GROUP not in rule.get("apiGroups", []) and "*" not in rule.get("apiGroups", [])
                           for rule in role["rules"]), role

    def test_validating_webhook_configuration(self):
        vwc = self.m.get("ValidatingWebhookConfiguration")
        assert vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
            f"{NAMESPACE}/{RELEASE}-serving-cert"
        hooks = {h["clientConfig"]["service"]["path"]: h for h in vwc["webhooks"]}
        assert set(hooks) == {"/validate-awsecrimagepullsecret", "/validate-clusterawsecrimagepullsecret"}
        for path, scope, resource in [("/validate-awsecrimagepullsecret", "Namespaced", KINDS[0]),
                                      ("/validate-clusterawsecrimagepullsecret", "Cluster", KINDS[1])]:
            h = hooks[path]
            assert h["clientConfig"]["service"] == {"name": RELEASE + "-webhook", "namespace": NAMESPACE,
                                                    "path": path, "port": 443}
            assert "caBundle" not in h["clientConfig"]
            assert h["rules"] == [{"apiGroups": [GROUP], "apiVersions": ["v1alpha1"],
                                   "operations": ["CREATE", "UPDATE"], "resources": [resource], "scope": scope}]
            assert h["failurePolicy"] == "Fail"
            assert h["sideEffects"] == "None"
            assert h["admissionReviewVersions"] == ["v1"]
            assert h["timeoutSeconds"] == 10
            assert h["name"].count(".") >= 2
            assert "namespaceSelector" not in h

    def test_webhook_service_reaches_the_webhook_port(self):
        svc = self.m.get("Service", RELEASE + "-webhook")
        assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "webhook", "protocol": "TCP"}]
        pod_labels = self.m.get("Deployment")["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"].items() <= pod_labels.items()

    def test_cert_manager_chain(self):
        selfsigned = self.m.get("Issuer", RELEASE + "-selfsigned")
        assert selfsigned["spec"] == {"selfSigned": {}}
        ca = self.m.get("Certificate", RELEASE + "-ca")
        assert ca["spec"]["isCA"] is True
        assert ca["spec"]["issuerRef"] == {"kind": "Issuer", "name": RELEASE + "-selfsigned"}
        ca_issuer = self.m.get("Issuer", RELEASE + "-ca")
        assert ca_issuer["spec"] == {"ca": {"secretName": ca["spec"]["secretName"]}}
        serving = self.m.get("Certificate", RELEASE + "-serving-cert")
        assert serving["spec"]["issuerRef"] == {"kind": "Issuer", "name": RELEASE + "-ca"}
        service = f"{RELEASE}-webhook.{NAMESPACE}.svc"
        assert serving["spec"]["dnsNames"] == [service, service + ".cluster.local"]
        assert serving["spec"]["usages"] == ["server auth"]

    def test_metrics_service(self):
        svc = self.m.get("Service", RELEASE + "-metrics")
        assert svc["spec"]["ports"] == [{"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}]
        assert svc["metadata"]["labels"]["app.kubernetes.io/component"] == "metrics"

    def test_crds_are_kept_on_uninstall(self):
        for crd in self.m.of_kind("CustomResourceDefinition"):
            assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"

    def test_no_pdb_with_one_replica(self):
        assert not self.m.has("PodDisruptionBudget")
        assert not self.m.has("ServiceMonitor")

    def test_notes_say_what_to_apply_next(self):
        assert "kubectl get ecr -A" in self.m.notes
        assert "create secret generic aws-creds" in self.m.notes
        assert "kind: AWSECRImagePullSecret" in self.m.notes
        assert "Consider replicaCount=2" in self.m.notes


def test_webhook_disabled():
    m = render({"webhook": {"enabled": False}})
    for kind in ["ValidatingWebhookConfiguration", "Certificate", "Issuer"]:
        assert not m.has(kind), kind
    assert not m.has("Service", RELEASE + "-webhook")
    assert "--webhook=false" in args(m)
    assert not any(a.startswith(("--webhook-port", "--webhook-cert-dir", "--webhook-max")) for a in args(m))
    assert "webhook" not in {p["name"] for p in container(m)["ports"]}
    assert {v["name"] for v in m.get("Deployment")["spec"]["template"]["spec"]["volumes"]} == {"tmp"}
    assert "webhook is disabled" in m.notes


def test_namespaced_mode():
    m = render({"operator": {"watchNamespace": "team-a"}})
    assert "--watch-namespace=team-a" in args(m)
    # No cluster-wide access for the operator: a Role in the watched namespace instead.
    assert not m.has("ClusterRole", RELEASE)
    assert not m.has("ClusterRoleBinding")
    role = m.get("Role", RELEASE)
    assert role["metadata"]["namespace"] == "team-a"
    kind = "awsecrimagepullsecrets"
    assert role["rules"] == [
        {"apiGroups": [GROUP], "resources": [kind], "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": [GROUP], "resources": [kind + "/status"], "verbs": ["update"]},
        {"apiGroups": [GROUP], "resources": [kind + "/finalizers"], "verbs": ["update"]},
        {"apiGroups": [""], "resources": ["secrets"],
         "verbs": ["get", "list", "watch", "create", "update", "delete"]},
        {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "patch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    ]
    binding = m.get("RoleBinding", RELEASE)
    assert binding["metadata"]["namespace"] == "team-a"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": RELEASE}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": RELEASE, "namespace": NAMESPACE}]
    # The lease Role stays in the operator's own namespace.
    assert m.get("Role", RELEASE + "-leader-election")["metadata"]["namespace"] == NAMESPACE
    # Only the namespaced kind is validated, and only in the watched namespace.
    hooks = m.get("ValidatingWebhookConfiguration")["webhooks"]
    assert [h["clientConfig"]["service"]["path"] for h in hooks] == ["/validate-awsecrimagepullsecret"]
    assert hooks[0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "team-a"}}
    assert "ClusterAWSECRImagePullSecret is not reconciled" in m.notes
    assert "namespace: team-a}" in m.notes and "my-app" not in m.notes


@pytest.mark.parametrize("pdb_values, expected", [
    ({}, {"minAvailable": 1}),
    ({"maxUnavailable": "50%"}, {"maxUnavailable": "50%"}),
    ({"minAvailable": "50%"}, {"minAvailable": "50%"}),
])
def test_two_replicas_get_a_pod_disruption_budget(pdb_values, expected):
    m = render({"replicaCount": 2, "podDisruptionBudget": pdb_values})
    assert m.get("Deployment")["spec"]["replicas"] == 2
    pdb = m.get("PodDisruptionBudget", RELEASE)
    spec = dict(pdb["spec"])
    selector = spec.pop("selector")
    assert spec == expected
    assert selector["matchLabels"] == m.get("Deployment")["spec"]["selector"]["matchLabels"]
    assert "Consider replicaCount=2" not in m.notes


def test_pdb_can_be_turned_off():
    assert not render({"replicaCount": 3, "podDisruptionBudget": {"enabled": False}}).has("PodDisruptionBudget")


def test_custom_issuer():
    m = render({"webhook": {"certManager": {"issuerRef": {"kind": "ClusterIssuer", "name": "corp-ca",
                                                          "group": "cert-manager.io"}}}})
    assert not m.has("Issuer")
    assert not m.has("Certificate", RELEASE + "-ca")
    serving = m.get("Certificate", RELEASE + "-serving-cert")
    assert serving["spec"]["issuerRef"] == {"kind": "ClusterIssuer", "name": "corp-ca", "group": "cert-manager.io"}
    assert m.get("ValidatingWebhookConfiguration")["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        f"{NAMESPACE}/{RELEASE}-serving-cert"


def test_own_certificate_without_cert_manager():
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n...\n").decode()
    m = render({"webhook": {"certManager": {"enabled": False}, "tls": {"secretName": "my-tls", "caBundle": ca}}})
    assert not m.has("Certificate") and not m.has("Issuer")
    vwc = m.get("ValidatingWebhookConfiguration")
    assert "annotations" not in vwc["metadata"]
    assert [h["clientConfig"]["caBundle"] for h in vwc["webhooks"]] == [ca, ca]
    volumes = {v["name"]: v for v in m.get("Deployment")["spec"]["template"]["spec"]["volumes"]}
    assert volumes["webhook-certs"]["secret"]["secretName"] == "my-tls"


def test_irsa_annotation_on_the_service_account():
    arn = "arn:aws:iam::123456789012:role/ecr-pull"
    m = render({"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": arn}}})
    assert m.get("ServiceAccount")["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": arn}


def test_existing_service_account():
    m = render({"serviceAccount": {"create": False, "name": "shared-sa"}})
    assert not m.has("ServiceAccount")
    assert m.get("Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "shared-sa"
    assert m.get("ClusterRoleBinding")["subjects"][0]["name"] == "shared-sa"


def test_service_monitor():
    m = render({"metrics": {"serviceMonitor": {"enabled": True, "interval": "30s", "labels": {"release": "prom"}}}})
    sm = m.get("ServiceMonitor", RELEASE)
    assert sm["metadata"]["labels"]["release"] == "prom"
    assert sm["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    metrics = m.get("Service", RELEASE + "-metrics")
    assert sm["spec"]["selector"]["matchLabels"].items() <= metrics["metadata"]["labels"].items()
    webhook = m.get("Service", RELEASE + "-webhook")
    assert not sm["spec"]["selector"]["matchLabels"].items() <= webhook["metadata"]["labels"].items()


def test_without_secret_list_watch():
    m = render({"rbac": {"secretsListWatch": False}})
    secrets = [r for r in m.get("ClusterRole", RELEASE)["rules"] if r["resources"] == ["secrets"]]
    assert secrets == [{"apiGroups": [""], "resources": ["secrets"],
                        "verbs": ["get", "create", "update", "delete"]}]
    assert "--watch-secrets=false" in args(m)


def test_without_service_account_patching():
    rules = render({"rbac": {"serviceAccounts": False}}).get("ClusterRole", RELEASE)["rules"]
    assert [r for r in rules if "serviceaccounts" in r["resources"]] == []
    assert len(rules) == len(DEFAULT_CLUSTER_RULES) - 1


def test_rbac_off_and_leader_election_off():
    m = render({"rbac": {"create": False}})
    assert not any(m.has(k) for k in ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"])
    m = render({"operator": {"leaderElection": {"enabled": False}}})
    assert not m.has("Role")
    assert "--leader-elect=false" in args(m)
    assert not any(a.startswith("--leader-election-") for a in args(m))


def test_operator_flags_from_values():
    m = render({"operator": {"concurrency": 16, "allowAmbientCredentials": "all", "defaultRefreshInterval": "1h30m",
                             "logFormat": "text", "logLevel": "debug", "extraArgs": ["--controllers=false"]},
                "metrics": {"port": 9090}, "health": {"port": 9091}, "webhook": {"port": 10250}})
    a = args(m)
    for flag in ["--concurrency=16", "--allow-ambient-credentials=all", "--default-refresh-interval=1h30m",
                 "--log-format=text", "--log-level=debug", "--metrics-bind-address=:9090",
                 "--health-probe-bind-address=:9091", "--webhook-port=10250"]:
        assert flag in a
    assert a[-1] == "--controllers=false"
    assert {p["name"]: p["containerPort"] for p in container(m)["ports"]} == {"metrics": 9090, "health": 9091,
                                                                              "webhook": 10250}


def test_extra_env_for_aws_endpoints_and_proxies():
    env = [{"name": "AWS_REGION", "value": "eu-west-1"},
           {"name": "AWS_ENDPOINT_URL_ECR", "value": "https://ecr-fips.us-gov-west-1.amazonaws.com"},
           {"name": "HTTPS_PROXY", "value": "http://proxy:3128"}, {"name": "NO_PROXY", "value": ".svc"}]
    c = container(render({"extraEnv": env}))
    assert c["env"][2:] == env


def test_scheduling_and_pod_metadata():
    m = render({
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                       "whenUnsatisfiable": "ScheduleAnyway"}],
        "priorityClassName": "system-cluster-critical",
        "podAnnotations": {"example.com/a": "1"},
        "podLabels": {"team": "platform"},
        "imagePullSecrets": [{"name": "regcred"}],
        "image": {"digest": "sha256:" + "a" * 64},
    })
    pod_template = m.get("Deployment")["spec"]["template"]
    pod = pod_template["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert pod["affinity"] == {"nodeAffinity": {}}
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    spread = pod["topologySpreadConstraints"][0]
    assert spread["labelSelector"] == {"matchLabels": m.get("Deployment")["spec"]["selector"]["matchLabels"]}
    assert pod_template["metadata"]["annotations"]["example.com/a"] == "1"
    assert pod_template["metadata"]["labels"]["team"] == "platform"
    assert container(m)["image"] == "ghcr.io/ecr-pullsecret-operator/ecr-pullsecret-operator@sha256:" + "a" * 64
    assert_restricted_pod_security(pod)


def test_crds_can_be_skipped_or_not_kept():
    assert not render({"crds": {"install": False}}).has("CustomResourceDefinition")
    for crd in render({"crds": {"keep": False}}).of_kind("CustomResourceDefinition"):
        assert "helm.sh/resource-policy" not in crd["metadata"].get("annotations", {})


def test_names_follow_the_release():
    m = render(name="ops", namespace="tools")
    assert m.get("Deployment")["metadata"]["name"] == "ops-ecr-pullsecret-operator"
    serving = m.get("Certificate", "ops-ecr-pullsecret-operator-serving-cert")
    assert serving["spec"]["dnsNames"][0] == "ops-ecr-pullsecret-operator-webhook.tools.svc"
    m = render({"fullnameOverride": "ecr"})
    assert m.get("Deployment")["metadata"]["name"] == "ecr"
    assert m.get("Service", "ecr-webhook")
