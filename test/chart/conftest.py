"""Shared helpers: render the chart with the real Helm engine (helm-python-sdk) and index the manifests."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is not installed (hack/install-deps.sh installs it)")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "chart" / "ecr-pullsecret-operator"
CRD_DIR = ROOT / "config" / "crd"

# The release name and namespace for which the chart's defaults equal config/default.
RELEASE = "ecr-pullsecret-operator"
NAMESPACE = "ecr-pullsecret-operator-system"
GROUP = "ecr.pullsecrets.dev"


class Manifests:
    """The rendered objects of one `helm template`, with lookups by kind and name."""

    def __init__(self, rendered: dict[str, str]):
        self.notes = ""
        self.objects: list[dict[str, Any]] = []
        # Helm hooks (`helm.sh/hook`) are not part of the install: Helm creates them at their event only.
        self.hooks: list[dict[str, Any]] = []
        for path, text in sorted(rendered.items()):
            if path.endswith("NOTES.txt"):
                self.notes = text
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    hook = "helm.sh/hook" in (doc["metadata"].get("annotations") or {})
                    (self.hooks if hook else self.objects).append(doc)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if name is None or o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {[o['metadata']['name'] for o in found]}"
        return found[0]

    def has(self, kind: str, name: str | None = None) -> bool:
        return any(name is None or o["metadata"]["name"] == name for o in self.of_kind(kind))

    def hooks_for(self, event: str) -> list[dict[str, Any]]:
        """The hooks Helm runs at `event` (`test`, `post-delete`, ...)."""
        return [h for h in self.hooks if event in h["metadata"]["annotations"]["helm.sh/hook"].split(",")]

    def hook(self, kind: str, event: str) -> dict[str, Any]:
        found = [h for h in self.hooks_for(event) if h["kind"] == kind]
        assert len(found) == 1, f"expected one {kind} {event} hook, found {[h['metadata']['name'] for h in found]}"
        return found[0]

    def keys(self) -> set[tuple[str, str]]:
        return {(o["kind"], o["metadata"]["name"]) for o in self.objects}


_chart = None


def chart():
    global _chart
    if _chart is None:
        _chart = helm.Chart.load(str(CHART_DIR))
    return _chart


def render(values: dict[str, Any] | None = None, *, name: str = RELEASE, namespace: str = NAMESPACE) -> Manifests:
    return Manifests(chart().render(values or {}, name=name, namespace=namespace, is_install=True))


def container(manifests: Manifests) -> dict[str, Any]:
    pod = manifests.get("Deployment")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["operator"]
    return pod["containers"][0]


def args(manifests: Manifests) -> list[str]:
    return container(manifests)["args"]


def load_yaml_docs(path: pathlib.Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]
