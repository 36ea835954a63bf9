"""What the Hadoop-family rule tests (core/HDFS, KMS, S3A storage) share: fixture paths, a
*-site.xml writer, audit-and-pick helpers, and the fixture-pair test each rule gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ROOT
from triplock.audit import AuditOptions, audit
from triplock.model import Finding

FIXTURES = ROOT / "tests" / "fixtures" / "hadoop"
SECURE = FIXTURES / "secure"
INSECURE = FIXTURES / "insecure"
WEAK = FIXTURES / "weak-encryption"


def xml(*pairs: tuple[str, str], final: tuple[str, ...] = ()) -> str:
    """A Hadoop configuration file with these properties, one per line-block."""
    body = "".join(
        f"  <property>\n    <name>{k}</name>\n    <value>{v}</value>\n"
        + ("    <final>true</final>\n" if k in final else "")
        + "  </property>\n"
        for k, v in pairs
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}</configuration>\n'


def findings(path: Path, prefix: str = "") -> list[Finding]:
    result = audit(AuditOptions(paths=[str(path)]))
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule.id.startswith(prefix)]


def statuses(path: Path, rule_id: str) -> list[str]:
    return [f.status.value for f in findings(path, rule_id) if f.rule.id == rule_id]


def only(path: Path, rule_id: str) -> Finding:
    mine = [f for f in findings(path, rule_id) if f.rule.id == rule_id]
    assert len(mine) == 1, [(f.status, f.message) for f in mine]
    return mine[0]


def fixture_pair_tests(
    fails: list[str], passes: list[str]
) -> tuple[Callable[[str], None], Callable[[str], None]]:
    """The parametrised pair every rule gets: each of `fails` fails on the insecure fixture,
    each of `passes` only passes on the secure one. Assign the pair to two `test_*` names."""

    @pytest.mark.parametrize("rule_id", fails)
    def fails_on_insecure_fixture(rule_id: str) -> None:
        assert "fail" in statuses(INSECURE, rule_id)

    @pytest.mark.parametrize("rule_id", passes)
    def passes_on_secure_fixture(rule_id: str) -> None:
        got = statuses(SECURE, rule_id)
        assert got and set(got) == {"pass"}, got

    return fails_on_insecure_fixture, passes_on_secure_fixture
