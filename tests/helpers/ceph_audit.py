"""Shared by the Ceph and Rook rule tests: audit inputs once and pick findings by rule."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from tests.helpers import ROOT, run_cli

CEPH = ROOT / "tests" / "fixtures" / "ceph"
INSECURE = CEPH / "insecure"
HARDENED = CEPH / "hardened"


@cache  # keyed by path: a test that rewrites its inputs audits a new directory
def audit(*paths: str) -> Any:
    result = run_cli("audit", *paths, "--format", "json", "--fail-on", "critical")
    assert result.code in (0, 1), result.err
    return result.json()


def found(rule_id: str, status: str, *paths: Path) -> list[dict[str, Any]]:
    report = audit(*(str(p) for p in paths))
    return [f for f in report["findings"] if f["rule_id"] == rule_id and f["status"] == status]


def lines(rule_id: str, status: str, *paths: Path) -> list[int | None]:
    return sorted(
        (f["location"]["line"] for f in found(rule_id, status, *paths)), key=lambda n: n or 0
    )


def where(rule_id: str, status: str, *paths: Path) -> list[tuple[str, int | None]]:
    """(file name, line) of each finding."""
    return sorted(
        (Path(f["location"]["path"]).name, f["location"]["line"])
        for f in found(rule_id, status, *paths)
    )


def errors(*paths: Path) -> list[dict[str, str]]:
    return list(audit(*(str(p) for p in paths))["errors"])
