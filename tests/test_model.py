"""Finding: a location and a shared verdict (issue 18), read back field by field as given."""

from __future__ import annotations

import pickle

import pytest

from tests.helpers.sample import AUTH
from triplock.model import Evidence, Finding, Fix, FixAction, Location, Severity, Status, Waiver

HERE = Location("conf/spark-defaults.conf", 3)


def finding(where: Location = HERE, fix_path: str | None = HERE.path) -> Finding:
    return Finding(
        AUTH,
        Status.FAIL,
        "spark.authenticate is false",
        where,
        Severity.HIGH,
        (Evidence.of("spark.authenticate", "false"),),
        Fix(FixAction.SET, "spark.authenticate", "true", fix_path),
        cause="c1",
    )


def test_fields_read_back_as_given() -> None:
    f = finding()
    assert (f.rule, f.status, f.location, f.severity, f.cause) == (
        AUTH,
        Status.FAIL,
        HERE,
        Severity.HIGH,
        "c1",
    )
    assert f.fix == Fix(FixAction.SET, "spark.authenticate", "true", HERE.path)
    assert f.evidence[0].describe() == "spark.authenticate=false"
    assert (f.waiver, f.baselined, f.counts, f.shown_status) == (None, False, True, "fail")


def test_a_fix_for_the_findings_file_is_shared_without_its_path() -> None:
    one, other = finding(), finding(Location("other.conf", 9), fix_path="other.conf")
    assert one.verdict == other.verdict  # equal apart from where: one object can serve both
    assert other.fix is not None and other.fix.path == "other.conf"
    elsewhere = finding(fix_path="spark-env.sh")  # a fix in another file keeps its path
    assert elsewhere.fix is not None and elsewhere.fix.path == "spark-env.sh"
    assert elsewhere.verdict != one.verdict


def test_replace_equality_and_pickle() -> None:
    f = finding()
    waived = f.replace(waiver=Waiver("accepted", "waivers.yaml"))
    assert waived.waiver is not None and not waived.counts and f.waiver is None
    moved = f.replace(location=Location("moved.conf", 1))
    assert moved.fix is not None and moved.fix.path == HERE.path  # the fix stays where it was
    assert f == finding() and hash(f) == hash(finding()) and f != moved
    assert pickle.loads(pickle.dumps(f)) == f
    with pytest.raises(AttributeError):
        f.location = HERE  # type: ignore[misc]
