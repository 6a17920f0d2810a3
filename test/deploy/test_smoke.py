"""Deployment smoke test: the built operator binary exactly as the Helm chart runs it.

The chart is rendered with the real Helm engine; the Deployment's args, env, ports and probes are used as
rendered. The binary runs as a separate process as UID/GID 65532 with in-cluster configuration only (token,
ca.crt and namespace at the in-cluster path, no kubeconfig) against `ecr-sandbox apiserver` over HTTPS,
authenticated with a token the server issued for the chart's ServiceAccount and authorized only by the chart's
rendered RBAC; AWS is moto. The tests up to the SIGTERM one run in file order against one operator process
(the `pod` fixture); the cache-not-synced and namespaced-mode cases start their own API server and operator.
"""

from __future__ import annotations

import base64
import json
import math
import os
import pathlib

import pytest
from moto.server import ThreadedMotoServer

from sandbox import (APIServer, Certificates, OperatorPod, cpus, eventually, free_port, granted, http,
                     load_chart_helpers, running_as_pod_is_possible)

reason = running_as_pod_is_possible()
if reason:
    pytest.skip(f"deployment smoke test skipped: {reason}", allow_module_level=True)

chart = load_chart_helpers()
NAMESPACE = chart.NAMESPACE
GROUP_VERSION = "ecr.pullsecrets.dev/v1alpha1"
# What kube-apiserver v1.26.1 sent a validating webhook for a CREATE (test/kube-api-corpus, key `received`).
CORPUS_REVIEW = chart.ROOT / "test" / "kube-api-corpus" / "cases" / "admission-aeps-create.json"
RBAC_KINDS = ("ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding")
KINDS = ("awsecrimagepullsecrets", "clusterawsecrimagepullsecrets")
# Granted though no request uses it: the Secrets' ownerReference sets blockOwnerDeletion, which kube-apiserver's
# OwnerReferencesPermissionEnforcement admission plugin allows only to who may update the owner's finalizers (the
# test server, like most clusters, does not run that plugin).
ADMISSION_ONLY = {("update", "ecr.pullsecrets.dev", f"{kind}/finalizers") for kind in KINDS}
# The first status write of each kind answers 409, so the operator's re-read (get) runs too.
STATUS_CONFLICTS = ("PUT:409:/namespaces/team-a/awsecrimagepullsecrets/app/status",
                    "PUT:409:/clusterawsecrimagepullsecrets/shared/status")


@pytest.fixture(scope="module")
def moto():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def render(moto: str, values: dict | None = None):
    """The chart with `values` over its defaults, on free ports (the machine is shared), with AWS pointed at moto
    through extraEnv."""
    return chart.render({
        "metrics": {"port": free_port()}, "health": {"port": free_port()}, "webhook": {"port": free_port()},
        "extraEnv": [{"name": "AWS_ENDPOINT_URL", "value": moto}], **(values or {}),
    })


@pytest.fixture(scope="module")
def manifests(moto):
    return render(moto)


def install(api: APIServer, manifests) -> str:
    """Applies the namespaces, the ServiceAccount and the RBAC objects as rendered; returns a token for the
    ServiceAccount issued by the API server (TokenRequest)."""
    namespaces = {NAMESPACE} | {o["metadata"]["namespace"] for o in manifests.objects if "namespace" in o["metadata"]}
    for namespace in sorted(namespaces):
        api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    account = manifests.get("ServiceAccount")
    api.create(account)
    for kind in RBAC_KINDS:
        for obj in manifests.of_kind(kind):
            api.create(obj)
    return api.service_account_token(NAMESPACE, account["metadata"]["name"])


def start_pod(api: APIServer, manifests, tmp_path_factory, name: str) -> OperatorPod:
    service = manifests.get("ValidatingWebhookConfiguration")["webhooks"][0]["clientConfig"]["service"]
    work = tmp_path_factory.mktemp(name)
    return OperatorPod(
        chart.container(manifests), pod_name=f"{chart.RELEASE}-{name}", namespace=NAMESPACE, api=api,
        token=install(api, manifests),
        certificates=Certificates(work / "certs", f"{service['name']}.{service['namespace']}.svc"),
        cert_dir=webhook_cert_dir(manifests), stage=work / "stage", log_path=work / "operator.log")


def webhook_cert_dir(manifests) -> str:
    container = chart.container(manifests)
    volume = next(v for v in manifests.get("Deployment")["spec"]["template"]["spec"]["volumes"] if "secret" in v)
    return next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume["name"])


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = APIServer(tmp_path_factory.mktemp("apiserver"), fail_once=STATUS_CONFLICTS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pod(api, manifests, moto, tmp_path_factory):
    pod = start_pod(api, manifests, tmp_path_factory, "smoke")
    yield pod
    pod.close()


def lease(api: APIServer, manifests) -> dict:
    lease_id = next(a.split("=", 1)[1] for a in chart.args(manifests) if a.startswith("--leader-election-id="))
    status, body = api.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/{lease_id}")
    return body if status == 200 else {}


def holder(api: APIServer, manifests) -> str:
    return lease(api, manifests).get("spec", {}).get("holderIdentity") or ""


def test_healthz_and_readyz_answer_200(pod, manifests):
    container = chart.container(manifests)
    for probe in ("livenessProbe", "readinessProbe"):
        url = pod.probe_url(container[probe])
        eventually(f"{url} to answer 200", lambda: pod.running() and http(url)[0] == 200, timeout=30,
                   context=pod.output)
    assert pod.running(), pod.output()


def test_runs_as_the_chart_says(pod, manifests):
    # What the sandbox reproduces (sandbox.POD_SCRIPT) is what the chart asks for.
    security = manifests.get("Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"]) == (65532, 65532)
    container = chart.container(manifests)["securityContext"]
    assert container["readOnlyRootFilesystem"] and not container["allowPrivilegeEscalation"], container
    assert container["capabilities"]["drop"] == ["ALL"], container
    status = eventually("the operator to run (exec'd by unshare, sh and setpriv)",
                        lambda: (text := open(f"/proc/{pod.process.pid}/status").read()).startswith(
                            "Name:\tecr-pullsecret") and text)
    assert "Uid:\t65532\t65532\t65532\t65532" in status and "Gid:\t65532\t65532\t65532\t65532" in status, status
    assert "CapEff:\t0000000000000000" in status and "NoNewPrivs:\t1" in status, status
    assert "--kubeconfig" not in " ".join(pod.args) and "KUBECONFIG" not in pod.env


def test_the_cpu_limit_sizes_the_event_loops(pod, manifests):
    # Under the chart's CPU limit, applied as the kubelet does (sandbox.CPUGroup), NIO sizes the event loop group that
    # the webhook and the probes share from the quota: one loop at the default limit, not one per core of the node.
    if pod.cpu_group is None:
        pytest.skip(f"the chart's CPU limit cannot be applied here: {pod.no_cpu_group_reason}")
    expected = math.ceil(cpus(chart.container(manifests)["resources"]["limits"]["cpu"]))
    if (os.cpu_count() or 1) <= expected:
        pytest.skip(f"{os.cpu_count()} CPUs: no more than the limit, so an unlimited operator would look the same")
    url = pod.probe_url(chart.container(manifests)["readinessProbe"])
    eventually(f"{url} to answer 200", lambda: pod.running() and http(url)[0] == 200, timeout=30, context=pod.output)
    pid = pod.process.pid
    assert pod.cpu_group.path.name in open(f"/proc/{pid}/cgroup").read()
    loops = [path for path in pathlib.Path(f"/proc/{pid}/task").iterdir()
             if (path / "comm").read_text().startswith("NIO-SGLTN")]
    assert len(loops) == expected, f"{len(loops)} event loops under a limit of {expected} CPU(s)"


def test_webhook_allows_a_recorded_admission_review_over_tls(pod, manifests):
    assert_webhook_allows_recorded_review(pod, manifests)


def assert_webhook_allows_recorded_review(pod: OperatorPod, manifests, namespace: str | None = None):
    """POSTs the AdmissionReview kube-apiserver sent for a CREATE (from the corpus; moved to `namespace` if given)
    to the path the chart registers, over TLS verified with the webhook's CA; the webhook must allow it."""
    # The webhook Service routes only to ready pods (the webhook's claim cache has synced by then).
    readyz = pod.probe_url(chart.container(manifests)["readinessProbe"])
    eventually("/readyz to answer 200", lambda: http(readyz)[0] == 200, context=pod.output)
    with open(CORPUS_REVIEW) as file:
        review = json.load(file)["received"]
    if namespace:
        review["request"]["namespace"] = review["request"]["object"]["metadata"]["namespace"] = namespace
    webhook = next(w for w in manifests.get("ValidatingWebhookConfiguration")["webhooks"]
                   if w["rules"][0]["resources"] == [review["request"]["resource"]["resource"]])
    url = f"https://127.0.0.1:{pod.ports['webhook']}{webhook['clientConfig']['service']['path']}"
    status, answer = eventually("the webhook to answer",
                                lambda: http(url, method="POST", body=review, ca=pod.webhook_ca),
                                context=pod.output)
    assert status == 200, answer
    assert answer["kind"] == "AdmissionReview" and answer["response"]["uid"] == review["request"]["uid"], answer
    assert answer["response"]["allowed"] is True, answer


def test_lease_is_acquired_by_this_pod(pod, api, manifests):
    eventually("the Lease to name this pod", lambda: holder(api, manifests).startswith(pod.pod_name + "_"),
               context=pod.output)


def test_resources_get_secrets_status_events_and_service_accounts(pod, api):
    for namespace in ("ops", "team-b"):
        api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    create_credentials(api, "ops")
    namespaced = create_namespaced_resource(api, "team-a")
    cluster = api.create({
        "apiVersion": GROUP_VERSION, "kind": "ClusterAWSECRImagePullSecret", "metadata": {"name": "shared"},
        "spec": {"secretName": "ecr-shared",
                 "awsAccess": {"region": "eu-west-1", "secretRef": {"name": "aws-creds", "namespace": "ops"}},
                 "registries": [{"accountID": "210987654321"}], "namespaces": ["team-b"],
                 "serviceAccounts": ["default"]}})
    assert_synced(api, pod, namespaced, "team-a", "ecr-login")
    assert_synced(api, pod, cluster, "team-b", "ecr-shared")
    account = api.object("v1", "ServiceAccount", "default", "team-a")
    assert {"name": "ecr-login"} in account.get("imagePullSecrets", []), account


def test_update_prune_and_deletion_paths(pod, api):
    """The rest of what the operator does in a cluster: a spec change rewrites the Secret (twice, so the second
    identical Event is aggregated with a PATCH), a namespace leaving the selector has its Secret pruned, and deleting
    either kind runs the finalizer that takes the Secret out of the ServiceAccounts."""
    for accounts in (["123456789012", "123456789013"], ["123456789012"]):
        merge_patch(api, GROUP_VERSION, "AWSECRImagePullSecret", "app", "team-a",
                    {"spec": {"registries": [{"accountID": a} for a in accounts]}})
        eventually(f"Secret team-a/ecr-login for {accounts}", lambda: sorted(
            host.split(".")[0] for host in registries(api.object("v1", "Secret", "ecr-login", "team-a"))) == accounts,
            context=pod.output)
    eventually("the repeated SecretUpdated Event counted by a patch", lambda: [
        e for e in api.get("/api/v1/namespaces/team-a/events")["items"]
        if e["involvedObject"]["name"] == "app" and e["reason"] == "SecretUpdated" and e.get("count", 1) >= 2],
        context=pod.output)

    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-c", "labels": {"ecr": "on"}}})
    merge_patch(api, GROUP_VERSION, "ClusterAWSECRImagePullSecret", "shared", None,
                {"spec": {"namespaceSelector": {"matchLabels": {"ecr": "on"}}}})
    eventually("Secret team-c/ecr-shared", lambda: api.object("v1", "Secret", "ecr-shared", "team-c"), context=pod.output)
    merge_patch(api, "v1", "Namespace", "team-c", None, {"metadata": {"labels": {"ecr": None}}})
    eventually("Secret team-c/ecr-shared pruned", lambda: api.object("v1", "Secret", "ecr-shared", "team-c") is None,
               context=pod.output)
    assert api.object("v1", "Secret", "ecr-shared", "team-b"), "pruned a Secret still selected"

    for kind, name, namespace, secret in (("AWSECRImagePullSecret", "app", "team-a", "ecr-login"),
                                          ("ClusterAWSECRImagePullSecret", "shared", None, "ecr-shared")):
        status, body = api.request("DELETE", APIServer.path(GROUP_VERSION, kind, namespace, name))
        assert status in (200, 202), body
        eventually(f"{kind} {name} gone (finalizer removed)",
                   lambda: api.object(GROUP_VERSION, kind, name, namespace) is None, context=pod.output)
        account = api.object("v1", "ServiceAccount", "default", namespace or "team-b")
        assert {"name": secret} not in account.get("imagePullSecrets", []), account


def merge_patch(api: APIServer, api_version: str, kind: str, name: str, namespace: str | None, patch: dict):
    status, body = api.request("PATCH", APIServer.path(api_version, kind, namespace, name), patch,
                               content_type="application/merge-patch+json")
    assert status == 200, f"PATCH {kind} {name}: {status} {body}"


def registries(secret: dict | None) -> list[str]:
    return list(json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]) if secret else []


def create_credentials(api: APIServer, namespace: str):
    api.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "aws-creds", "namespace": namespace},
                "data": {"AWS_ACCESS_KEY_ID": b64("AKIASMOKEEXAMPLE0001"),
                         "AWS_SECRET_ACCESS_KEY": b64("smoke-secret-access-key")}})


def create_namespaced_resource(api: APIServer, namespace: str) -> dict:
    """A namespace with credentials and an AWSECRImagePullSecret `app` writing `ecr-login` for its `default`
    ServiceAccount (which the API server creates with the namespace)."""
    if api.object("v1", "Namespace", namespace) is None:
        api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    create_credentials(api, namespace)
    return api.create({
        "apiVersion": GROUP_VERSION, "kind": "AWSECRImagePullSecret", "metadata": {"name": "app", "namespace": namespace},
        "spec": {"secretName": "ecr-login", "awsAccess": {"region": "us-west-2", "secretRef": {"name": "aws-creds"}},
                 "registries": [{"accountID": "123456789012"}], "serviceAccounts": ["default"]}})


def assert_synced(api: APIServer, pod: OperatorPod, owner: dict, namespace: str, secret_name: str):
    """The owner's Secret (type, key, registry, ownerReference), its Ready=True status and an Event about it."""
    kind, name = owner["kind"], owner["metadata"]["name"]
    secret = eventually(f"Secret {namespace}/{secret_name}",
                        lambda: api.object("v1", "Secret", secret_name, namespace), context=pod.output)
    assert secret["type"] == "kubernetes.io/dockerconfigjson", secret["type"]
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    assert any(host.startswith(owner["spec"]["registries"][0]["accountID"]) for host in auths), list(auths)
    assert [(r["kind"], r["name"], r["uid"]) for r in secret["metadata"]["ownerReferences"]] == [
        (kind, name, owner["metadata"]["uid"])]

    def ready():
        current = api.object(GROUP_VERSION, kind, name, owner["metadata"].get("namespace"))
        return [c for c in current.get("status", {}).get("conditions", [])
                if c["type"] == "Ready" and c["status"] == "True"]

    eventually(f"{kind} {name} Ready=True", ready, context=pod.output)
    eventually(f"an Event about {kind} {name}", lambda: [
        e for e in api.get("/api/v1/events")["items"]
        if (e["involvedObject"]["kind"], e["involvedObject"]["name"]) == (kind, name)], context=pod.output)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_sigterm_with_synced_caches_ends_within_5_s_and_releases_the_lease(pod, api, manifests):
    assert pod.running(), pod.output()
    seconds = pod.terminate()
    assert seconds < 5, f"SIGTERM took {seconds:.1f} s\n{pod.output()}"
    assert pod.process.returncode == 0, pod.output()
    assert holder(api, manifests) == "", lease(api, manifests)


def test_sigterm_before_caches_synced_ends_within_5_s_and_releases_the_lease(manifests, tmp_path_factory):
    """Without the CRDs installed the caches never sync and /readyz stays 503; SIGTERM must still end it."""
    api = APIServer(tmp_path_factory.mktemp("apiserver-no-crds"), crds=False)
    pod = start_pod(api, manifests, tmp_path_factory, "unsynced")
    try:
        eventually("the Lease to name this pod", lambda: holder(api, manifests).startswith(pod.pod_name + "_"),
                   context=pod.output)
        readyz = pod.probe_url(chart.container(manifests)["readinessProbe"])
        eventually("/readyz to answer 503", lambda: http(readyz)[0] == 503, context=pod.output)
        seconds = pod.terminate()
        assert seconds < 5, f"SIGTERM took {seconds:.1f} s\n{pod.output()}"
        assert holder(api, manifests) == "", lease(api, manifests)
    finally:
        pod.close()
        denials = api.stop()
    assert denials == [], "requests refused by the chart's RBAC:\n" + "\n".join(denials)


def operator_user(manifests) -> str:
    return f"system:serviceaccount:{NAMESPACE}:{manifests.get('ServiceAccount')['metadata']['name']}"


@pytest.fixture(scope="module")
def called(api, manifests) -> set[tuple[str, str, str]]:
    """Stops the API server of the run above; the (verb, apiGroup, resource) RBAC allowed the operator."""
    denials = api.stop()
    assert denials == [], "requests refused by the chart's RBAC:\n" + "\n".join(denials)
    return api.allowed_requests(operator_user(manifests))


def test_no_request_was_denied_by_rbac(called):
    """Every request the operator made was allowed by the chart's rendered RBAC alone (the `called` fixture asserts
    it). A denial here means the chart lacks a rule the code needs (fix chart/.../rbac.yaml and config/rbac
    together)."""
    assert called


def test_rbac_grants_exactly_what_the_operator_called(called, manifests):
    """Least privilege: every verb the chart's default rules grant the operator was used by a request above, except
    the admission-only finalizers rule. A verb granted and never called must go (or the test must drive its path)."""
    rules = granted(manifests, NAMESPACE, manifests.get("ServiceAccount")["metadata"]["name"])
    assert sorted(rules - ADMISSION_ONLY - called) == [], "granted, never called"
    assert sorted(called - rules) == [], "called, not granted"
    assert ADMISSION_ONLY <= rules


def variant_calls(values: dict, called: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """What the default run called, less what a value variant turns off: namespaced mode has no cluster kind and no
    namespaces; rbac.secretsListWatch=false no Secret cache."""
    if values.get("operator", {}).get("watchNamespace"):
        return {c for c in called if c[2].split("/")[0] not in ("clusterawsecrimagepullsecrets", "namespaces")}
    if values.get("rbac", {}).get("secretsListWatch") is False:
        return called - {("list", "", "secrets"), ("watch", "", "secrets")}
    return called


@pytest.mark.parametrize("values", [{"operator": {"watchNamespace": "team-a"}}, {"rbac": {"secretsListWatch": False}}],
                         ids=["namespaced-mode", "no-secret-list-watch"])
def test_value_variants_need_no_more_rbac_than_they_render(moto, tmp_path_factory, values, called):
    """operator.watchNamespace (a Role in that namespace instead of the ClusterRole) and rbac.secretsListWatch=false
    (no list/watch on Secrets, --watch-secrets=false): the webhook and a namespaced resource work, RBAC refuses
    nothing, and the rules grant exactly the default run's calls less what the variant turns off."""
    manifests = render(moto, values)
    rules = granted(manifests, NAMESPACE, manifests.get("ServiceAccount")["metadata"]["name"])
    expected = variant_calls(values, called)
    admission_only = {r for r in ADMISSION_ONLY if r in rules}
    assert sorted(rules - admission_only - expected) == [], "granted, never called"
    assert sorted(expected - rules) == [], "called, not granted"
    api = APIServer(tmp_path_factory.mktemp("apiserver-variant"))
    pod = start_pod(api, manifests, tmp_path_factory, "variant")
    try:
        assert_webhook_allows_recorded_review(pod, manifests, namespace="team-a")
        assert_synced(api, pod, create_namespaced_resource(api, "team-a"), "team-a", "ecr-login")
        assert pod.terminate() < 5, pod.output()
    finally:
        pod.close()
        denials = api.stop()
    assert denials == [], "requests refused by the chart's RBAC:\n" + "\n".join(denials)
    assert api.allowed_requests(operator_user(manifests)) <= rules
