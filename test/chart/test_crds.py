"""The chart installs exactly the CustomResourceDefinitions in config/crd, not copies that can drift."""

from __future__ import annotations

import os

from conftest import CHART_DIR, CRD_DIR, chart, load_yaml_docs, render


def config_crds() -> dict[str, dict]:
    crds = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for doc in load_yaml_docs(path):
            if doc.get("kind") == "CustomResourceDefinition":
                crds[doc["metadata"]["name"]] = doc
    return crds


def test_config_crd_holds_both_kinds():
    assert set(config_crds()) == {"awsecrimagepullsecrets.ecr.pullsecrets.dev",
                                  "clusterawsecrimagepullsecrets.ecr.pullsecrets.dev"}


def test_chart_reads_config_crd_through_a_symlink():
    link = CHART_DIR / "files" / "crd"
    assert link.is_symlink(), "chart/ecr-pullsecret-operator/files/crd must be a symlink to config/crd, not a copy"
    assert link.resolve() == CRD_DIR.resolve()
    # Helm's crds/ folder would install a second, never-upgraded copy.
    assert not (CHART_DIR / "crds").exists()


def test_files_loaded_by_helm_are_byte_identical_to_config_crd():
    loaded = {f["name"]: f["data"] for f in chart().files if f["name"].startswith("files/crd/")}
    on_disk = {f"files/crd/{p.name}": p.read_text() for p in CRD_DIR.iterdir() if p.is_file()}
    assert loaded.keys() == on_disk.keys()
    for name, text in on_disk.items():
        assert loaded[name] == text, f"{name} differs from config/crd"


def test_rendered_crds_equal_config_crd_apart_from_chart_metadata():
    rendered = {c["metadata"]["name"]: c for c in render().of_kind("CustomResourceDefinition")}
    expected = config_crds()
    assert rendered.keys() == expected.keys()
    for name, crd in rendered.items():
        source = expected[name]
        assert {k: v for k, v in crd.items() if k != "metadata"} == \
            {k: v for k, v in source.items() if k != "metadata"}, name
        # The chart only adds labels and the keep annotation; everything the file sets stays.
        for key in ("labels", "annotations"):
            assert source["metadata"].get(key, {}).items() <= crd["metadata"].get(key, {}).items()
        extra = set(crd["metadata"]) - set(source["metadata"]) - {"labels", "annotations"}
        assert extra == set()


def test_no_chart_file_is_a_stale_copy_of_a_crd():
    names = set(config_crds())
    for root, _dirs, files in os.walk(CHART_DIR, followlinks=False):
        if os.path.islink(root):
            continue
        for f in files:
            path = os.path.join(root, f)
            if f.endswith(".yaml") and not os.path.islink(path) and "/templates/" not in path:
                text = open(path).read()
                assert not any(n in text and "kind: CustomResourceDefinition" in text for n in names), path
