"""values.schema.json makes bad values fail at install, and README.md documents every value."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import CHART_DIR, chart, helm, render

BAD_VALUES = [
    ({"unknownTopLevel": 1}, "additional properties"),
    ({"replicaCount": 0}, "/replicaCount"),
    ({"replicaCount": "2"}, "/replicaCount"),
    ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ({"image": {"digest": "latest"}}, "/image/digest"),
    ({"image": {"repository": ""}}, "/image/repository"),
    ({"operator": {"logFormat": "xml"}}, "/operator/logFormat"),
    ({"operator": {"logLevel": "verbose"}}, "/operator/logLevel"),
    ({"operator": {"allowAmbientCredentials": "yes"}}, "/operator/allowAmbientCredentials"),
    ({"operator": {"defaultRefreshInterval": "6 hours"}}, "/operator/defaultRefreshInterval"),
    ({"operator": {"concurrency": 0}}, "/operator/concurrency"),
    ({"operator": {"watchNamespace": "Team_A"}}, "/operator/watchNamespace"),
    ({"operator": {"extraArgs": ["no-dashes"]}}, "/operator/extraArgs"),
    ({"operator": {"leaderElectionn": {}}}, "additional properties"),
    ({"webhook": {"failurePolicy": "fail"}}, "/webhook/failurePolicy"),
    ({"webhook": {"timeoutSeconds": 31}}, "/webhook/timeoutSeconds"),
    ({"webhook": {"port": 70000}}, "/webhook/port"),
    ({"webhook": {"certManager": {"enabled": False}}}, "/webhook"),
    ({"webhook": {"certManager": {"issuerRef": {"kind": "ClusterIssuer"}}}}, "/webhook/certManager/issuerRef"),
    ({"webhook": {"certManager": {"issuerRef": {"name": "x", "kind": "Vault"}}}}, "/webhook/certManager/issuerRef"),
    ({"extraEnv": [{"value": "no name"}]}, "/extraEnv"),
    ({"extraEnv": {"AWS_REGION": "us-west-2"}}, "/extraEnv"),
    ({"resources": {"limits": {"memory": "lots"}}}, "/resources/limits/memory"),
    ({"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": 5}}}, "/serviceAccount/annotations"),
    ({"podDisruptionBudget": {"minAvailable": "half"}}, "/podDisruptionBudget/minAvailable"),
    ({"metrics": {"serviceMonitor": {"enabled": "yes"}}}, "/metrics/serviceMonitor/enabled"),
    ({"rbac": {"secretsListWatch": "false"}}, "/rbac/secretsListWatch"),
    ({"crds": {"install": None, "keepp": True}}, "/crds"),
]


@pytest.mark.parametrize("values, where", BAD_VALUES, ids=[json.dumps(v) for v, _ in BAD_VALUES])
def test_schema_rejects_bad_values_at_render(values, where):
    with pytest.raises(helm.HelmValuesError) as failure:
        render(values)
    assert where in str(failure.value)


def test_schema_accepts_the_defaults_and_documented_variants():
    for values in [{}, {"operator": {"watchNamespace": "team-a"}},
                   {"webhook": {"certManager": {"enabled": False}, "tls": {"secretName": "t", "caBundle": "QUJD"}}},
                   {"webhook": {"enabled": False, "certManager": {"enabled": False}}},
                   {"podDisruptionBudget": {"maxUnavailable": 1}}, {"resources": {"limits": {"cpu": 2}}}]:
        chart().validate_schema(values)


def test_schema_is_strict_everywhere():
    """Every object in the schema that lists properties forbids unknown ones (free-form maps aside)."""
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())

    def walk(node, path):
        if isinstance(node, dict):
            if "properties" in node:
                assert node.get("additionalProperties") is False, f"{path} allows unknown keys"
            for key, child in node.items():
                if key not in ("if", "then", "else"):  # conditions constrain, they do not define keys
                    walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")

    walk(schema, "")


def leaf_paths(values, prefix=""):
    """Dotted paths of the values a user sets: scalars, lists and empty maps (free-form maps are leaves)."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in FREE_FORM:
            yield from leaf_paths(value, path + ".")
        else:
            yield path


FREE_FORM = {"resources", "podSecurityContext", "securityContext", "livenessProbe", "readinessProbe"}


def test_readme_documents_every_value():
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    readme = (CHART_DIR / "README.md").read_text().split("\n## Values\n", 1)[1]
    documented = set(re.findall(r"^\| `([A-Za-z0-9_.]+)` \|", readme, flags=re.M))
    expected = set(leaf_paths(values))
    assert expected - documented == set(), "values missing from README.md"
    assert documented - expected == set(), "README.md documents values that do not exist"


def test_helm_lint_is_clean():
    report = helm.lint(str(CHART_DIR), strict=True)
    errors = [m for m in report["messages"] if m["severity"] >= 2] + report.get("errors", [])
    assert errors == []
