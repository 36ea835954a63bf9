"""The bundled example deployments: the insecure one trips rules across the checklist, the
hardened one has no failure at medium or above."""

from __future__ import annotations

from tests.helpers import EXAMPLES, run_cli

INSECURE = EXAMPLES / "spark-on-k8s" / "insecure"
HARDENED = EXAMPLES / "spark-on-k8s" / "hardened"


def test_insecure_example_fails_many_rules() -> None:
    result = run_cli("audit", str(INSECURE), "--format", "json")
    assert result.code == 1
    failing = {f["rule_id"] for f in result.json()["findings"] if f["status"] == "fail"}
    assert len(failing) >= 10, failing
    assert not result.json()["errors"]


def test_hardened_example_has_no_failure_at_medium_or_above() -> None:
    result = run_cli("audit", str(HARDENED), "--format", "json", "--fail-on", "medium")
    bad = [
        (f["rule_id"], f["message"], f["location"])
        for f in result.json()["findings"]
        if f["status"] == "fail" and f["severity"] in ("medium", "high", "critical")
    ]
    assert bad == []
    assert result.code == 0
    assert not result.json()["errors"]
