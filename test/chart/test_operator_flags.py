"""The flags the chart passes are the operator's flags (the contract with the executable)."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import ROOT, args, render

# The executable's flags as agreed with the operator engineer.
CONTRACT_FLAGS = {
    "--kubeconfig", "--context", "--watch-namespace", "--concurrency", "--metrics-bind-address",
    "--health-probe-bind-address", "--leader-elect", "--leader-election-namespace", "--leader-election-id",
    "--allow-ambient-credentials", "--default-refresh-interval", "--log-format", "--log-level", "--controllers",
    "--webhook", "--webhook-port", "--webhook-cert-dir", "--webhook-max-body-bytes", "--webhook-max-inflight-bytes",
    "--webhook-max-connections", "--webhook-max-pipelined-requests",
}
# Agreed flags not in the executable yet (the webhook lands separately). Missing only these skips the check with
# their names; remove this set once `--help` lists them.
# `--watch-secrets` (Bool option, default true) is proposed for rbac.secretsListWatch=false and not agreed yet.
PROPOSED_FLAGS = {"--watch-secrets"}
PENDING_FLAGS = {"--webhook", "--webhook-port", "--webhook-cert-dir"} | PROPOSED_FLAGS
VALUE_SETS = [{}, {"operator": {"watchNamespace": "team-a"}}, {"webhook": {"enabled": False}},
              {"operator": {"leaderElection": {"enabled": False}}}, {"rbac": {"secretsListWatch": False}}]


def flag_names(values: dict) -> set[str]:
    return {a.split("=", 1)[0] for a in args(render(values))}


@pytest.mark.parametrize("values", VALUE_SETS)
def test_chart_passes_only_contract_flags_in_key_equals_value_form(values):
    rendered = args(render(values))
    assert all(re.fullmatch(r"--[a-z-]+=.*", a) for a in rendered), rendered
    assert flag_names(values) <= CONTRACT_FLAGS | PROPOSED_FLAGS


def test_the_built_binary_knows_every_flag_the_chart_passes():
    binary = next((p for p in [ROOT / ".build" / "debug" / "ecr-pullsecret-operator",
                               ROOT / ".build" / "release" / "ecr-pullsecret-operator"] if p.exists()), None)
    if binary is None:
        pytest.skip("ecr-pullsecret-operator is not built (hack/test.sh builds it before running these tests)")
    result = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60)
    help_text = result.stdout + result.stderr
    if "USAGE:" not in help_text:
        pytest.skip(f"{binary.name} does not parse flags yet (no ArgumentParser help): {help_text.strip()[:80]!r}")
    used = set().union(*(flag_names(v) for v in VALUE_SETS))
    missing = sorted(f for f in used if not re.search(re.escape(f) + r"(?![\w-])", help_text))
    if missing and set(missing) <= PENDING_FLAGS:
        pytest.skip(f"pending flags (agreed webhook flags, proposed --watch-secrets) not yet in the executable: {missing}")
    assert missing == [], f"flags the chart passes but `{binary.name} --help` does not list: {missing}"
