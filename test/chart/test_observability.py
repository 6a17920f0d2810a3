"""Metrics a running operator exports, and the chart's alerts, dashboard, NetworkPolicy and `helm test` hook.

The exposition comes from the built binary running against the sandbox API server and moto (see
operator_sandbox.py); the chart is rendered with the real Helm engine.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import time

import pytest
import yaml

from conftest import CHART_DIR, NAMESPACE, RELEASE, render
from operator_sandbox import binary, parse_exposition, running_operator

MOTO_EXPIRY = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture(scope="module")
def operator():
    with running_operator() as running:
        yield running


def samples(operator, name: str) -> list[tuple[dict[str, str], float]]:
    return [(labels, value) for n, labels, value in parse_exposition(operator.scrape())[0] if n == name]


# MARK: - The operator's exposition


def test_kubernetes_client_requests_are_counted_by_code_method_and_host(operator):
    found = samples(operator, "rest_client_requests_total")
    assert {tuple(sorted(labels)) for labels, _ in found} == {("code", "host", "method")}
    hosts = {labels["host"] for labels, _ in found}
    assert len(hosts) == 1 and re.fullmatch(r"127\.0\.0\.1:\d+", hosts.pop())
    by_key = {(labels["method"], labels["code"]): value for labels, value in found}
    assert by_key.get(("GET", "200"), 0) >= 3, by_key  # lists and watches of the informers
    assert by_key.get(("PUT", "200"), 0) + by_key.get(("PATCH", "200"), 0) >= 1, by_key  # status writes


def test_kubernetes_client_latency_is_a_histogram_with_client_go_buckets(operator):
    samples_, types = parse_exposition(operator.scrape())
    assert types["rest_client_request_duration_seconds"] == "histogram"
    get_buckets = {labels["le"] for name, labels, _ in samples_
                   if name == "rest_client_request_duration_seconds_bucket" and labels.get("verb") == "GET"}
    assert {float(le) for le in get_buckets} == {0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, float("inf")}
    counts = [(labels, value) for name, labels, value in samples_
              if name == "rest_client_request_duration_seconds_count"]
    assert counts and all(set(labels) == {"verb", "host"} for labels, _ in counts)


def test_leader_status_and_build_info(operator):
    assert samples(operator, "leader_election_master_status") == [({"name": operator.lease}, 1.0)]
    [(labels, value)] = samples(operator, "ecr_pullsecret_build_info")
    assert value == 1.0
    app_version = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["appVersion"]
    assert labels == {"version": app_version, "commit": labels["commit"]}
    printed = subprocess.run([str(binary()), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    assert printed == f"{app_version} (commit {labels['commit']})"


def test_per_resource_gauges_come_from_live_state_at_scrape_time(operator):
    key = {"kind": "ClusterAWSECRImagePullSecret", "resource_namespace": "", "resource_name": "metrics-shared"}
    first = dict((tuple(sorted(l.items())), v) for l, v in samples(operator, "ecr_pullsecret_token_expires_in_seconds"))
    expires_in = first[tuple(sorted(key.items()))]
    # moto's tokens expire on 2015-01-01: the gauge is that minus now (negative), not a value stored at refresh.
    assert abs(expires_in - (MOTO_EXPIRY - time.time())) < 120
    time.sleep(2.1)
    later = dict((tuple(sorted(l.items())), v) for l, v in samples(operator, "ecr_pullsecret_token_expires_in_seconds"))
    assert later[tuple(sorted(key.items()))] <= expires_in - 2

    ready = {labels["resource_name"]: value for labels, value in samples(operator, "ecr_pullsecret_ready")}
    assert ready["metrics-shared"] == 1.0
    assert ready["no-credentials"] == 0.0
    refreshed = {labels["resource_name"]: value
                 for labels, value in samples(operator, "ecr_pullsecret_last_refresh_timestamp_seconds")}
    assert time.time() - 600 < refreshed["metrics-shared"] <= time.time() + 5
    assert "no-credentials" not in refreshed


def test_errors_and_webhook_requests_are_counted(operator):
    errors = {labels["reason"]: value for labels, value in samples(operator, "ecr_pullsecret_errors_total")}
    assert errors.get("CredentialsSecretMissing", 0) >= 1, errors
    webhook = samples(operator, "controller_runtime_webhook_requests_total")
    assert ({"code": "200", "webhook": "/validate-awsecrimagepullsecret"}, 1.0) in webhook


# MARK: - PrometheusRule and dashboard


def observability_manifests():
    return render({"metrics": {"prometheusRule": {"enabled": True}, "grafanaDashboard": {"enabled": True}}})


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads: identifiers that are not functions, keywords or label names."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        word = match.group()
        following = expr[match.end():].lstrip()
        if word.lower() in PROMQL_WORDS or following.startswith("("):
            continue
        if match.start() > 0 and (expr[match.start() - 1].isdigit() or expr[match.start() - 1] == "."):
            continue  # the unit of a number (1e3) or a decimal
        names.add(word)
    return names


def test_metric_names_finds_names_and_skips_functions_labels_and_keywords():
    expr = ('histogram_quantile(0.99, sum by (le, verb) (rate(a_bucket{job=~"x"}[5m]))) '
            '/ sum without (x) (b) > 0.5 or vector(0) and on (y) c')
    assert metric_names(expr) == {"a_bucket", "b", "c"}


def promql_expressions(manifests) -> dict[str, str]:
    exprs = {}
    for rule in manifests.get("PrometheusRule")["spec"]["groups"][0]["rules"]:
        exprs[f"alert {rule['alert']}"] = rule["expr"]
    dashboard = json.loads(manifests.get("ConfigMap", f"{RELEASE}-dashboard")["data"]["ecr-pullsecret-operator.json"])
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            exprs[f"panel {panel['title']!r} {target['refId']}"] = target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            exprs[f"variable {variable['name']}"] = re.sub(r"^label_values\((\w+),.*\)$", r"\1", variable["query"])
    return exprs


def test_alerts_and_dashboard_reference_only_metrics_the_operator_exports(operator):
    samples_, types = parse_exposition(operator.scrape())
    exported = {name for name, _, _ in samples_} | set(types)
    for family, kind in types.items():
        if kind == "histogram":
            exported |= {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
    unknown = {where: sorted(metric_names(expr) - exported)
               for where, expr in promql_expressions(observability_manifests()).items()}
    unknown = {where: names for where, names in unknown.items() if names}
    assert unknown == {}, f"PromQL reads metrics the operator does not export: {unknown}"


def test_prometheus_rule_has_the_four_alerts_with_the_values_thresholds():
    manifests = render({"metrics": {"prometheusRule": {
        "enabled": True, "labels": {"release": "prom"}, "alertLabels": {"team": "platform"},
        "expiryThresholdSeconds": 7200, "refreshFailingFor": "30m"}}})
    rule = manifests.get("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "prom"
    rules = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    assert list(rules) == ["ECRPullSecretTokenExpiringSoon", "ECRPullSecretRefreshFailing", "ECRPullSecretNoLeader",
                           "ECRPullSecretWebhookErrors"]
    job = f'job="{RELEASE}-metrics"'
    assert rules["ECRPullSecretTokenExpiringSoon"]["expr"] == f"ecr_pullsecret_token_expires_in_seconds{{{job}}} < 7200"
    assert rules["ECRPullSecretRefreshFailing"]["for"] == "30m"
    assert f'name="{RELEASE}"' in rules["ECRPullSecretNoLeader"]["expr"]
    assert all(r["labels"]["team"] == "platform" for r in rules.values())
    # Prometheus templates survive Helm's: the annotation still holds `{{ $labels... }}`.
    assert "{{ $labels.resource_name }}" in rules["ECRPullSecretTokenExpiringSoon"]["annotations"]["description"]
    without_leader = render({"metrics": {"prometheusRule": {"enabled": True}},
                             "operator": {"leaderElection": {"enabled": False}}})
    alerts = {r["alert"] for r in without_leader.get("PrometheusRule")["spec"]["groups"][0]["rules"]}
    assert "ECRPullSecretNoLeader" not in alerts
    assert not render().has("PrometheusRule")


def test_dashboard_configmap_is_labelled_for_the_grafana_sidecar():
    manifests = render({"metrics": {"grafanaDashboard": {"enabled": True, "namespace": "monitoring",
                                                         "annotations": {"grafana_folder": "Operators"}}}})
    config_map = manifests.get("ConfigMap", f"{RELEASE}-dashboard")
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "Operators"}
    dashboard = json.loads(config_map["data"]["ecr-pullsecret-operator.json"])
    assert [p["title"] for p in dashboard["panels"]] == [
        "Refreshes", "Errors by reason", "Time to token expiry per resource", "Ready per resource",
        "Kubernetes API requests", "Kubernetes API latency (p50, p99)", "AWS requests", "AWS latency (p50, p99)",
        "Work queue depth", "Webhook latency (p50, p99) and errors"]
    assert not render().has("ConfigMap", f"{RELEASE}-dashboard")


# MARK: - NetworkPolicy and helm test


def test_network_policy_admits_only_the_webhook_and_metrics_ports():
    selector = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    manifests = render({"networkPolicy": {"enabled": True, "metricsNamespaceSelector": selector}})
    policy = manifests.get("NetworkPolicy")["spec"]
    assert policy["podSelector"] == manifests.get("Deployment")["spec"]["selector"]
    assert policy["policyTypes"] == ["Ingress"]
    webhook, metrics = policy["ingress"]
    assert webhook == {"ports": [{"port": "webhook", "protocol": "TCP"}]}
    assert metrics["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert metrics["from"][0] == {"namespaceSelector": selector}
    # The helm test Pod may read /readyz; its labels are not the Deployment's, so no Service targets it.
    test_pod = manifests.hook("Job", "test")["spec"]["template"]["metadata"]["labels"]
    assert metrics["from"][1] == {"podSelector": {"matchLabels": test_pod}}
    named_ports = {p["name"] for p in manifests.get("Deployment")["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {"webhook", "metrics"} <= named_ports
    assert not render().has("NetworkPolicy")
    no_webhook = render({"networkPolicy": {"enabled": True}, "webhook": {"enabled": False}})
    assert [rule["ports"][0]["port"] for rule in no_webhook.get("NetworkPolicy")["spec"]["ingress"]] == ["metrics"]


def test_helm_test_hook_runs_selftest_against_the_services():
    manifests = render()
    job = manifests.hook("Job", "test")
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == manifests.get("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert container["args"] == [
        "selftest",
        f"--readyz-url=http://{RELEASE}-metrics.{NAMESPACE}.svc:8080/readyz",
        f"--webhook-url=https://{RELEASE}-webhook.{NAMESPACE}.svc:443/healthz",
        "--webhook-ca-file=/etc/selftest/ca.crt",
    ]
    service_selector = manifests.get("Service", f"{RELEASE}-metrics")["spec"]["selector"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert not all(labels.get(k) == v for k, v in service_selector.items())
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    without_cert_manager = render({"webhook": {"certManager": {"enabled": False},
                                               "tls": {"secretName": "mine", "caBundle": "Q0E="}}})
    args = without_cert_manager.hook("Job", "test")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == "--webhook-ca-bundle=Q0E="
    assert not render({"tests": {"enabled": False}}).hooks_for("test")


def test_selftest_passes_against_a_running_operator_and_names_what_fails(operator):
    readyz = operator.metrics_url.replace("/metrics", "/readyz")

    def selftest(*args):
        return subprocess.run([str(binary()), "selftest", f"--readyz-url={readyz}", *args],
                              capture_output=True, text=True, timeout=60)

    ok = selftest(f"--webhook-url={operator.webhook_url}", f"--webhook-ca-file={operator.webhook_ca}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"ok: operator /readyz at {readyz}" in ok.stdout
    assert f"ok: webhook TLS /healthz at {operator.webhook_url}" in ok.stdout
    # The webhook's certificate does not verify against another CA: the check fails and says which one.
    wrong_ca = selftest(f"--webhook-url={operator.webhook_url}", "--webhook-ca-file=/etc/ssl/certs/ca-certificates.crt",
                        "--timeout=1")
    assert wrong_ca.returncode != 0
    assert f"FAIL: webhook TLS /healthz at {operator.webhook_url} failed" in wrong_ca.stdout
    down = subprocess.run([str(binary()), "selftest", "--readyz-url=http://127.0.0.1:1/readyz", "--timeout=1"],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode != 0
    assert "selftest failed: operator /readyz at http://127.0.0.1:1/readyz failed" in down.stdout + down.stderr
