"""The resources the install guide and NOTES.txt tell users to paste are valid against the CRDs' schema."""

from __future__ import annotations

import re
import textwrap

import jsonschema
import yaml

from conftest import ROOT, render
from test_crds import config_crds

INSTALL_GUIDE = ROOT / "README.md"


def schema_for(kind: str) -> dict:
    for crd in config_crds().values():
        if crd["spec"]["names"]["kind"] == kind:
            return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    raise AssertionError(f"no CRD for {kind}")


def heredocs(text: str, marker: str) -> list[str]:
    pattern = rf"<<'{marker}'\n(.*?)\n\s*{marker}\n"
    return [textwrap.dedent(body) for body in re.findall(pattern, text, flags=re.S)]


def assert_valid(doc: dict) -> None:
    assert doc["apiVersion"] == "ecr.pullsecrets.dev/v1alpha1"
    jsonschema.Draft7Validator(schema_for(doc["kind"])).validate(doc)


def test_readme_yaml_examples_are_valid():
    blocks = re.findall(r"```yaml\n(.*?)```", INSTALL_GUIDE.read_text(), flags=re.S)
    docs = [yaml.safe_load(block) for block in blocks]
    resources = [d for d in docs if d.get("apiVersion") == "ecr.pullsecrets.dev/v1alpha1"]
    assert resources, "README has no example resource"
    for doc in resources:
        assert_valid(doc)


def test_install_guide_sample_is_valid():
    docs = [yaml.safe_load(body) for body in heredocs(INSTALL_GUIDE.read_text(), "EOF")]
    assert [d["kind"] for d in docs] == ["AWSECRImagePullSecret"]
    for doc in docs:
        assert_valid(doc)


def test_notes_sample_is_valid():
    docs = [yaml.safe_load(body) for body in heredocs(render().notes, "YAML")]
    assert [d["kind"] for d in docs] == ["AWSECRImagePullSecret"]
    for doc in docs:
        assert_valid(doc)


def test_schema_check_catches_a_bad_sample():
    bad = {"apiVersion": "ecr.pullsecrets.dev/v1alpha1", "kind": "AWSECRImagePullSecret",
           "metadata": {"name": "x"}, "spec": {"secretName": "Not_Valid", "awsAccess": {"region": "us-west-2"}}}
    try:
        assert_valid(bad)
    except jsonschema.ValidationError as error:
        assert "Not_Valid" in str(error)
    else:
        raise AssertionError("an invalid secretName passed the schema")
