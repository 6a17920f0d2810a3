"""The chart's ValidatingWebhookConfiguration against the one a real kube-apiserver v1.26.1 was recorded with.

The corpus's admission cases registered a capture webhook for everything (CREATE, UPDATE, DELETE, both kinds,
failurePolicy Ignore) and recorded what the API server sent. The chart differs on purpose where noted here.
"""

from __future__ import annotations

import json

from conftest import ROOT, render

CORPUS = ROOT / "test" / "kube-api-corpus" / "cases"


def recorded(name: str) -> dict:
    return json.loads((CORPUS / f"{name}.json").read_text())


def chart_webhooks() -> list[dict]:
    return render().get("ValidatingWebhookConfiguration")["webhooks"]


def test_same_match_policy_side_effects_and_review_version_as_recorded():
    capture = recorded("admission-aeps-create")["webhookConfiguration"]["webhooks"][0]
    for hook in chart_webhooks():
        assert hook["matchPolicy"] == capture["matchPolicy"] == "Equivalent"
        # None: the API server also sends dry-run requests (recorded with dryRun true); with Some or Unknown it
        # would refuse every dry run of both kinds. The webhook only reads, so None is true.
        assert hook["sideEffects"] == capture["sideEffects"] == "None"
        assert hook["admissionReviewVersions"] == capture["admissionReviewVersions"] == ["v1"]


def test_delete_is_not_sent():
    # The recording shows DELETE requests arrive with object null; the webhook always allows them. Not sending
    # them keeps deletes (and namespace deletion) independent of the webhook's availability under failurePolicy
    # Fail: a stopped operator must never block removing its resources.
    assert recorded("admission-aeps-delete")["received"]["request"]["operation"] == "DELETE"
    for hook in chart_webhooks():
        assert [rule["operations"] for rule in hook["rules"]] == [["CREATE", "UPDATE"]]


def test_status_subresource_is_not_matched():
    # Rules naming only the main resource are not called for /status (recorded: nothing received), so the
    # operator's status writes never wait for, or fail with, the webhook.
    for name in ("admission-aeps-status", "admission-caeps-status"):
        assert recorded(name)["received"] is None
    for hook in chart_webhooks():
        for rule in hook["rules"]:
            assert not any("/" in resource for resource in rule["resources"])


def test_failure_policy_fail_unlike_the_capture():
    # The capture used Ignore so recording never blocked; the product enforces its rules, so Fail.
    assert recorded("admission-aeps-create")["webhookConfiguration"]["webhooks"][0]["failurePolicy"] == "Ignore"
    assert {hook["failurePolicy"] for hook in chart_webhooks()} == {"Fail"}
