"""The engine: the checklist derived from findings, de-duplication, rule errors kept."""

from __future__ import annotations

from dataclasses import replace

from tests.formats.sample import AUTH, LOCAL, SECRET
from triplock.audit import checklist
from triplock.model import Finding, Location, Severity, Status, Waiver


def finding(rule: object, status: Status, waived: bool = False) -> Finding:
    f = Finding(rule, status, "m", Location("a.conf", 1), Severity.HIGH)  # type: ignore[arg-type]
    return replace(f, waiver=Waiver("accepted", "file")) if waived else f


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


def test_a_rule_crash_reports_the_error_type_not_its_text() -> None:
    """An exception's text may quote the input value that broke the rule (urlsplit's "Port
    could not be cast to integer value as 'pw'"): the errors entry names only the type."""
    from triplock.audit import _rule_error
    from triplock.rules.registry import all_rules

    rule = all_rules()[0]
    error = _rule_error(rule, object(), ValueError("Port could not be cast: 'CANARY-pw'"))
    assert "ValueError" in error.reason and "CANARY" not in error.reason
