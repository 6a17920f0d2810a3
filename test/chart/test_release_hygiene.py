"""Release hygiene: the binary's version is the chart's appVersion, the README's values table is generated
from values.yaml, and an upgrade from the previous chart keeps CRDs, custom resources and managed Secrets."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

from conftest import CHART_DIR, NAMESPACE, RELEASE, Manifests, helm

ROOT = CHART_DIR.parents[1]
# The chart as last released (main before the observability work). Bump this to the last release's commit
# when a new chart version ships.
PREVIOUS_CHART_REVISION = "6d26e34"
# Objects a release stops rendering on purpose (Helm deletes them on upgrade), each with why.
RETIRED = {
    # Read of AWSECRImagePullSecret aggregated into `view`: spec.awsAccess may hold an inline secretAccessKey, and
    # `view` must not read keys (chart README, Permissions).
    ("ClusterRole", RELEASE + "-view"),
}


def test_binary_version_is_the_charts_app_version():
    source = (ROOT / "Sources" / "ecr-pullsecret-operator" / "BuildInfo.swift").read_text()
    version = re.search(r'static let version = "([^"]+)"', source).group(1)
    assert version == yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["appVersion"]


def test_stamp_commit_writes_the_commit_into_a_copy_of_the_sources():
    with tempfile.TemporaryDirectory() as tmp:
        target = pathlib.Path(tmp) / "Sources" / "ecr-pullsecret-operator"
        target.mkdir(parents=True)
        (target / "BuildInfo.swift").write_text((ROOT / "Sources/ecr-pullsecret-operator/BuildInfo.swift").read_text())
        subprocess.run([str(ROOT / "hack" / "stamp-commit.sh"), tmp, "0123456789ab"], check=True, capture_output=True)
        assert 'static let commit = "0123456789ab"' in (target / "BuildInfo.swift").read_text()
        bad = subprocess.run([str(ROOT / "hack" / "stamp-commit.sh"), tmp, 'x"; evil'], capture_output=True, text=True)
        assert bad.returncode != 0 and "commit must be" in bad.stderr


def test_chart_readme_values_table_is_generated_from_values_yaml():
    result = subprocess.run([sys.executable, str(ROOT / "hack" / "chart-readme.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def previous_chart(tmp: pathlib.Path):
    """The chart at PREVIOUS_CHART_REVISION, with the CRDs its files/crd symlink points at."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", PREVIOUS_CHART_REVISION,
                              "chart/ecr-pullsecret-operator", "config/crd"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    return helm.Chart.load(str(tmp / "chart" / "ecr-pullsecret-operator"))


def test_upgrade_from_the_previous_chart_keeps_crds_resources_and_secrets():
    with tempfile.TemporaryDirectory() as tmp:
        previous = previous_chart(pathlib.Path(tmp))
        old = Manifests(previous.render({}, name=RELEASE, namespace=NAMESPACE, is_install=True))
    new = Manifests(helm.Chart.load(str(CHART_DIR)).render({}, name=RELEASE, namespace=NAMESPACE, is_upgrade=True))

    # CRDs: none removed, same scope and names, every served version still served, the storage version kept, and
    # still kept on uninstall. Removing a CRD (or its stored version) deletes every custom resource and, through
    # ownerReferences, every managed Secret.
    old_crds = {c["metadata"]["name"]: c for c in old.of_kind("CustomResourceDefinition")}
    new_crds = {c["metadata"]["name"]: c for c in new.of_kind("CustomResourceDefinition")}
    assert len(old_crds) == 2 and set(old_crds) <= set(new_crds)
    for name, before in old_crds.items():
        after = new_crds[name]
        assert (after["spec"]["scope"], after["spec"]["names"]) == (before["spec"]["scope"], before["spec"]["names"])
        served_after = {v["name"] for v in after["spec"]["versions"] if v["served"]}
        assert {v["name"] for v in before["spec"]["versions"] if v["served"]} <= served_after
        assert [v["name"] for v in before["spec"]["versions"] if v["storage"]][0] in served_after
        assert after["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep"

    # The Deployment's selector is immutable: a change makes `helm upgrade` fail; its Pods must still match it.
    old_deployment, new_deployment = old.get("Deployment"), new.get("Deployment")
    assert new_deployment["metadata"]["name"] == old_deployment["metadata"]["name"]
    selector = new_deployment["spec"]["selector"]
    assert selector == old_deployment["spec"]["selector"]
    pod_labels = new_deployment["spec"]["template"]["metadata"]["labels"]
    assert all(pod_labels.get(k) == v for k, v in selector["matchLabels"].items())

    # Nothing the previous release rendered disappears (Helm deletes what a new revision no longer renders), but
    # what is retired on purpose.
    assert old.keys() - new.keys() - RETIRED == set()
    # The same Lease (a new name lets old and new Pods both lead during the rollout) and the same watch scope.
    old_args, new_args = (d["spec"]["template"]["spec"]["containers"][0]["args"]
                          for d in (old_deployment, new_deployment))
    for flag in ("--leader-election-id", "--watch-namespace"):
        assert [a for a in old_args if a.startswith(flag)] == [a for a in new_args if a.startswith(flag)]
