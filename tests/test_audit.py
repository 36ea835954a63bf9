"""The engine: the checklist derived from findings, de-duplication, rule errors kept."""

from __future__ import annotations

from dataclasses import replace

from tests.helpers.sample import AUTH, LOCAL, SECRET
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
