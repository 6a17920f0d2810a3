"""The uninstall cleanup hook: a post-delete Job running `ecr-pullsecret-operator cleanup` with its own RBAC."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import GROUP, NAMESPACE, RELEASE, ROOT, container, render
from test_chart_render import assert_restricted_pod_security

NAME = RELEASE + "-cleanup"
KINDS = ["awsecrimagepullsecrets", "clusterawsecrimagepullsecrets"]
# Exactly what OperatorCleanup calls: list both kinds, re-read one on a conflict, merge-patch metadata.finalizers;
# list ServiceAccounts, re-read one, merge-patch imagePullSecrets and the record annotation.
CLUSTER_RULES = [
    {"apiGroups": [GROUP], "resources": KINDS, "verbs": ["get", "list", "patch"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "patch"]},
]
HOOK_ANNOTATIONS = {"helm.sh/hook": "post-delete", "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}


def hooks(values=None):
    """The post-delete hooks (the chart's `helm test` hook is another hook, tested elsewhere)."""
    return {(o["kind"], o["metadata"]["name"]): o for o in render(values).hooks_for("post-delete")}


def job_container(job):
    pod = job["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["cleanup"]
    return pod["containers"][0]


def built_binary():
    return next((p for p in [ROOT / ".build" / "debug" / "ecr-pullsecret-operator",
                             ROOT / ".build" / "release" / "ecr-pullsecret-operator"] if p.exists()), None)


class TestDefaults:
    m = render()
    h = hooks()

    def test_hook_objects(self):
        assert set(self.h) == {("ServiceAccount", NAME), ("ClusterRole", NAME), ("ClusterRoleBinding", NAME),
                               ("Job", NAME)}

    def test_post_delete_annotations_and_order(self):
        for key, obj in self.h.items():
            annotations = obj["metadata"]["annotations"]
            assert {k: annotations[k] for k in HOOK_ANNOTATIONS} == HOOK_ANNOTATIONS, key
        weight = {kind: int(o["metadata"]["annotations"]["helm.sh/hook-weight"]) for (kind, _), o in self.h.items()}
        # The ServiceAccount and its RBAC exist before the Job starts.
        assert max(w for kind, w in weight.items() if kind != "Job") < weight["Job"]

    def test_namespaced_hooks_are_in_the_release_namespace(self):
        for (kind, _), obj in self.h.items():
            if kind in {"ClusterRole", "ClusterRoleBinding"}:
                assert "namespace" not in obj["metadata"]
            else:
                assert obj["metadata"]["namespace"] == NAMESPACE

    def test_job_runs_the_operator_image_with_the_cleanup_subcommand(self):
        job = self.h[("Job", NAME)]
        c = job_container(job)
        assert c["image"] == container(self.m)["image"]
        assert c["imagePullPolicy"] == container(self.m)["imagePullPolicy"]
        assert c["args"] == ["cleanup", "--log-format=json"]
        assert "command" not in c, "the image's entrypoint is the operator binary"
        pod = job["spec"]["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        assert job["spec"]["backoffLimit"] == 2
        assert job["spec"]["activeDeadlineSeconds"] == 300

    def test_job_has_the_charts_security_context(self):
        pod = self.h[("Job", NAME)]["spec"]["template"]["spec"]
        deployment_pod = self.m.get("Deployment")["spec"]["template"]["spec"]
        assert pod["securityContext"] == deployment_pod["securityContext"]
        assert job_container(self.h[("Job", NAME)])["securityContext"] == container(self.m)["securityContext"]
        assert_restricted_pod_security(pod)

    def test_own_service_account_bound_to_exactly_what_cleanup_calls(self):
        pod = self.h[("Job", NAME)]["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == NAME
        assert pod["automountServiceAccountToken"] is True
        assert self.h[("ClusterRole", NAME)]["rules"] == CLUSTER_RULES
        binding = self.h[("ClusterRoleBinding", NAME)]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]

    def test_hooks_are_not_part_of_the_install(self):
        assert not any(o["metadata"]["name"] == NAME for o in self.m.objects)


def test_disabled_by_a_value():
    assert hooks({"cleanup": {"enabled": False}}) == {}


def test_namespaced_mode_cleans_only_the_watched_namespace():
    h = hooks({"operator": {"watchNamespace": "team-a"}})
    assert set(h) == {("ServiceAccount", NAME), ("Role", NAME), ("RoleBinding", NAME), ("Job", NAME)}
    assert h[("Role", NAME)]["metadata"]["namespace"] == "team-a"
    assert h[("Role", NAME)]["rules"] == [
        {"apiGroups": [GROUP], "resources": KINDS[:1], "verbs": ["get", "list", "patch"]},
        CLUSTER_RULES[1],
    ]
    assert h[("RoleBinding", NAME)]["metadata"]["namespace"] == "team-a"
    assert h[("RoleBinding", NAME)]["subjects"] == [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]
    assert job_container(h[("Job", NAME)])["args"] == ["cleanup", "--namespace=team-a", "--log-format=json"]


def test_without_service_account_patching_no_service_account_rights():
    h = hooks({"rbac": {"serviceAccounts": False}})
    assert h[("ClusterRole", NAME)]["rules"] == CLUSTER_RULES[:1]
    assert job_container(h[("Job", NAME)])["args"] == ["cleanup", "--service-accounts=false", "--log-format=json"]


def test_without_rbac_the_service_account_is_still_created_but_not_bound():
    h = hooks({"rbac": {"create": False}})
    assert set(h) == {("ServiceAccount", NAME), ("Job", NAME)}


def test_scheduling_and_pull_secrets_follow_the_operator():
    values = {"imagePullSecrets": [{"name": "reg"}], "nodeSelector": {"pool": "system"},
              "tolerations": [{"key": "dedicated", "operator": "Exists"}], "image": {"digest": "sha256:" + "a" * 64}}
    m = render(values)
    pod = m.hook("Job", "post-delete")["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "reg"}]
    assert pod["nodeSelector"] == {"pool": "system"}
    assert pod["tolerations"] == values["tolerations"]
    assert pod["containers"][0]["image"] == container(m)["image"]


@pytest.mark.parametrize("values", [{}, {"operator": {"watchNamespace": "team-a"}}, {"rbac": {"serviceAccounts": False}},
                                    {"operator": {"logFormat": "text"}}])
def test_the_built_binary_accepts_the_hooks_arguments(values):
    binary = built_binary()
    if binary is None:
        pytest.skip("ecr-pullsecret-operator is not built (hack/test.sh builds it before running these tests)")
    job_args = job_container(render(values).hook("Job", "post-delete"))["args"]
    result = subprocess.run([str(binary), job_args[0], "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    help_text = result.stdout + result.stderr
    for arg in job_args[1:]:
        flag = arg.split("=", 1)[0]
        assert re.search(re.escape(flag) + r"(?![\w-])", help_text), f"`cleanup --help` does not list {flag}"
