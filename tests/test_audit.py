"""The engine: the checklist derived from findings, de-duplication, rule errors kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import write
from tests.helpers.sample import AUTH, LOCAL, SECRET
from triplock.audit import AuditOptions, _distinct, audit, checklist
from triplock.facts.spark import SparkApp
from triplock.model import Finding, Location, Severity, Status, Waiver
from triplock.rules.registry import Rule, all_rules


def finding(rule: object, status: Status, waived: bool = False) -> Finding:
    f = Finding(rule, status, "m", Location("a.conf", 1), Severity.HIGH)  # type: ignore[arg-type]
    return f.replace(waiver=Waiver("accepted", "file")) if waived else f


def test_checklist_statuses() -> None:
    rows = {
        c.control: c
        for c in checklist(
            [
                finding(AUTH, Status.FAIL),
                finding(AUTH, Status.PASS),
                finding(SECRET, Status.FAIL, waived=True),
                finding(SECRET, Status.PASS),
                finding(LOCAL, Status.UNKNOWN),
                finding(LOCAL, Status.PASS),
            ]
        )
    }
    assert len(rows) == 23
    auth, secret, local = (
        rows["spark.authentication"],
        rows["keys.management"],
        rows["rest.spark-local"],
    )
    assert (auth.status, auth.fail, auth.passed) == ("fail", 1, 1)
    assert (secret.status, secret.fail, secret.waived, secret.passed) == ("pass", 0, 1, 1)
    assert (local.status, local.unknown) == ("unknown", 1)
    assert rows["use.tee"].status == "not assessed"


def _crashing_rule(where: str) -> Rule:
    """A rule with the bug the engine guards against: it raises on a value it did not expect,
    with the value (a secret) in the exception's message."""

    def check(app: SparkApp, ctx: object) -> list[object]:
        if where == "check":
            raise ValueError(f"unexpected {app.value('spark.authenticate.secret')}")
        return []

    def applies(app: SparkApp) -> bool:
        if where == "applies":
            raise TypeError(f"unexpected {app.value('spark.authenticate.secret')}")
        return True

    meta = replace(AUTH, id="TEST-900", slug="test-crashes", target="SparkApp")
    return Rule(meta, SparkApp, check, applies)


@pytest.mark.parametrize("where", ["check", "applies"])
def test_a_rule_that_raises_is_one_error_and_the_others_still_judge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    import triplock.audit

    rules = [*all_rules(), _crashing_rule(where)]
    monkeypatch.setattr(triplock.audit, "all_rules", lambda: rules)
    conf = write(
        tmp_path,
        "spark-defaults.conf",
        "spark.authenticate false\nspark.authenticate.secret CANARY-in-a-message\n",
    )
    result = audit(AuditOptions(paths=[str(conf)]))
    assert [(e.path, e.reason) for e in result.errors] == [
        (
            str(conf),
            f"rule TEST-900 could not judge {conf}: internal error "
            f"{'ValueError' if where == 'check' else 'TypeError'}; please report it",
        )
    ]
    assert any(f.rule.id == "SPARK-001" and f.status is Status.FAIL for f in result.findings)
    assert "CANARY" not in repr(result.errors)


def test_a_rule_crash_reports_the_error_type_not_its_text() -> None:
    """An exception's text may quote the input value that broke the rule (urlsplit's "Port
    could not be cast to integer value as 'pw'"): the errors entry names only the type."""
    from triplock.audit import _rule_error
    from triplock.rules.registry import all_rules

    rule = all_rules()[0]
    error = _rule_error(rule, object(), ValueError("Port could not be cast: 'CANARY-pw'"))
    assert "ValueError" in error.reason and "CANARY" not in error.reason


def test_a_rules_findings_of_one_identity_are_one_the_first_kept_in_order() -> None:
    """Status, location and message make a finding's identity; severity, evidence and the
    rest do not. The first of each identity stays, in the order found."""
    first = Finding(AUTH, Status.FAIL, "m", Location("a.conf", 1), Severity.HIGH)  # type: ignore[arg-type]
    other_line = Finding(AUTH, Status.FAIL, "m", Location("a.conf", 2), Severity.HIGH)  # type: ignore[arg-type]
    passed = Finding(AUTH, Status.PASS, "m", Location("a.conf", 1), Severity.HIGH)  # type: ignore[arg-type]
    again = Finding(AUTH, Status.FAIL, "m", Location("a.conf", 1), Severity.LOW)  # type: ignore[arg-type]
    kept = _distinct([first, other_line, again, passed, first])
    assert [id(f) for f in kept] == [id(first), id(other_line), id(passed)]
    distinct = [first, other_line, passed]
    assert _distinct(distinct) == distinct
