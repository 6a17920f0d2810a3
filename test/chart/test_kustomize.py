"""config/default builds with kustomize and installs the same objects as the chart with default values."""

from __future__ import annotations

import copy
import pathlib
import shutil
import subprocess
import tempfile

import pytest
import yaml

from conftest import NAMESPACE, ROOT, render

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: cannot run `kubectl kustomize`")

# Labels that differ by installer on purpose.
INSTALLER_LABELS = {"helm.sh/chart", "app.kubernetes.io/managed-by"}


def kustomize(directory: pathlib.Path) -> list[dict]:
    result = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module")
def built() -> list[dict]:
    return kustomize(ROOT / "config" / "default")


def normalized(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    for meta in [obj["metadata"], obj.get("spec", {}).get("template", {}).get("metadata")]:
        if meta is None:
            continue
        labels = {k: v for k, v in meta.get("labels", {}).items() if k not in INSTALLER_LABELS}
        meta.pop("labels", None)
        if labels:
            meta["labels"] = labels
    if obj["kind"] == "CustomResourceDefinition":  # the chart adds helm.sh/resource-policy: keep
        obj["metadata"].pop("annotations", None)
    return obj


def by_key(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def test_builds_with_the_namespace_and_cert_manager(built):
    kinds = {o["kind"] for o in built}
    assert {"Namespace", "CustomResourceDefinition", "Deployment", "ClusterRole", "ValidatingWebhookConfiguration",
            "Certificate", "Issuer"} <= kinds
    namespace = by_key(built)[("Namespace", NAMESPACE)]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_rbac_equals_the_chart_defaults(built):
    chart = by_key(render().objects)
    kustomized = by_key(built)
    rbac_kinds = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    chart_rbac = {k for k in chart if k[0] in rbac_kinds}
    assert chart_rbac == {k for k in kustomized if k[0] in rbac_kinds}
    for key in chart_rbac:
        for field in ("rules", "roleRef", "subjects"):
            assert chart[key].get(field) == kustomized[key].get(field), (key, field)


def test_same_install_as_the_chart_defaults(built):
    """Every object equal, field by field, except the installer's own labels, the Namespace object and Helm's
    `helm test` hook (run by `helm test`, not installed)."""
    chart = {k: normalized(o) for k, o in by_key(render().objects).items()
             if "helm.sh/hook" not in o["metadata"].get("annotations", {})}
    kustomized = {k: normalized(o) for k, o in by_key(built).items() if k[0] != "Namespace"}
    assert chart.keys() == kustomized.keys()
    for key in chart:
        assert chart[key] == kustomized[key], key


def test_another_namespace_carries_into_certificate_and_webhook():
    """Changing `namespace:` in config/default (the documented way) also moves DNS names and CA injection."""
    with tempfile.TemporaryDirectory() as tmp:
        config = pathlib.Path(tmp) / "config"
        shutil.copytree(ROOT / "config", config, symlinks=False)
        kustomization = config / "default" / "kustomization.yaml"
        text = kustomization.read_text()
        assert f"namespace: {NAMESPACE}\n" in text
        kustomization.write_text(text.replace(f"namespace: {NAMESPACE}\n", "namespace: ecr-ops\n"))
        objects = by_key(kustomize(config / "default"))
    serving = objects[("Certificate", "ecr-pullsecret-operator-serving-cert")]
    assert serving["metadata"]["namespace"] == "ecr-ops"
    assert serving["spec"]["dnsNames"] == ["ecr-pullsecret-operator-webhook.ecr-ops.svc",
                                           "ecr-pullsecret-operator-webhook.ecr-ops.svc.cluster.local"]
    vwc = objects[("ValidatingWebhookConfiguration", "ecr-pullsecret-operator")]
    assert vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        "ecr-ops/ecr-pullsecret-operator-serving-cert"
    assert {h["clientConfig"]["service"]["namespace"] for h in vwc["webhooks"]} == {"ecr-ops"}
    assert objects[("ClusterRoleBinding", "ecr-pullsecret-operator")]["subjects"][0]["namespace"] == "ecr-ops"
