"""Shared by the Kubernetes rule tests: audit fixture files once and pick findings."""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.helpers import ROOT, findings_of, run_cli

KUBE = ROOT / "tests" / "fixtures" / "kube"


@cache
def _audit(paths: tuple[str, ...]) -> Any:
    result = run_cli("audit", *paths, "--format", "json", "--fail-on", "critical")
    assert result.code in (0, 1), result.err
    assert not result.json()["errors"], result.json()["errors"]
    return result


def findings(rule_id: str, status: str, *names: str) -> list[dict[str, Any]]:
    """Findings of `rule_id` with `status` when auditing the named files of fixtures/kube."""
    return findings_of(_audit(tuple(str(KUBE / n) for n in names)), rule_id, status)


def lines(rule_id: str, status: str, *names: str) -> list[int]:
    return sorted(f["location"]["line"] for f in findings(rule_id, status, *names))
