"""--format json: each verdict is encoded once and each finding fills in its location (and its
fix's path when the fix goes to its own file). The text must stay byte for byte what the
encoders write for `finding_dict`, for every kind of field a finding can hold."""

from __future__ import annotations

import json

import orjson
import pytest

from tests.helpers.sample import (
    AUTH,
    every_kind_of_finding,
    locations,
    result_with,
    verdicts,
)
from triplock.audit import AuditOptions, audit
from triplock.formats import _stream
from triplock.formats import json as json_format
from triplock.formats._common import finding_dict, result_dict
from triplock.model import AuditResult, Finding, Location, Severity, Status
from triplock.waivers import WaiverStep


def expected(result: AuditResult) -> str:
    return json.dumps(result_dict(result), ensure_ascii=False, separators=(",", ":")) + "\n"


@pytest.mark.parametrize("batch", [1, 4, 2000])
@pytest.mark.parametrize("kept", [1, 3, 4096])
def test_the_report_is_what_the_encoders_write_for_finding_dict(
    batch: int, kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "_BATCH", batch)
    monkeypatch.setattr(json_format, "_KEPT", kept)
    result = result_with(every_kind_of_finding())
    text = json_format.render(result)
    assert text == expected(result)
    assert text == orjson.dumps(result_dict(result)).decode() + "\n"


def test_each_finding_is_its_own_finding_dict() -> None:
    """Finding by finding, so that a field encoded wrongly is named by the failure."""
    findings = every_kind_of_finding()
    encoded = json.loads(json_format.render(result_with(findings)))["findings"]
    assert len(encoded) == len(findings)
    for f, data in zip(findings, encoded, strict=True):
        assert data == finding_dict(f)
        assert list(data) == list(finding_dict(f))  # the keys in the same order


def test_a_fix_aimed_at_its_own_file_names_each_findings_file() -> None:
    verdict = verdicts()[1]
    assert verdict.fix_here
    findings = [Finding.at(where, verdict) for where in locations()]
    encoded = json.loads(json_format.render(result_with(findings)))["findings"]
    assert [d["fix"]["path"] for d in encoded] == [where.path for where in locations()]
    assert [d["location"] for d in encoded] == [where.to_dict() for where in locations()]


def test_equal_verdicts_in_distinct_objects_are_encoded_alike() -> None:
    """Findings built one by one (not shared through the inventory) each have a verdict of
    their own: the cache goes by identity and must not mix them up."""
    findings = [
        Finding(AUTH, Status.FAIL, f"message {i}", Location(path=f"f{i % 3}.conf"), Severity.HIGH)
        for i in range(50)
    ]
    findings += [f.replace() for f in findings]
    result = result_with(findings)
    assert json_format.render(result) == expected(result)


def test_findings_that_share_a_location_object_each_have_their_own_fix_path() -> None:
    """A run of findings at one Location object encodes it once; the run ends where another
    object comes, equal or not, and a fix aimed at the finding's own file still names it."""
    here, there = locations()[:2]
    again = Location(path=here.path, line=here.line)  # equal to `here`, another object
    shared, fixing = verdicts()[0], verdicts()[1]
    assert fixing.fix_here
    findings = [
        Finding.at(where, verdict)
        for where in (here, here, there, there, again, here)
        for verdict in (shared, fixing)
    ]
    result = result_with(findings)
    assert json_format.render(result) == expected(result)
    encoded = json.loads(json_format.render(result))["findings"]
    paths = [w.path for w in (here, here, there, there, again, here)]
    assert [d["location"]["path"] for d in encoded[::2]] == paths
    assert [d["fix"]["path"] for d in encoded[1::2]] == paths


def test_the_verdicts_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_format, "_KEPT", 4)
    where = [Location(path="deploy/spark-defaults.conf", line=i) for i in range(20)]
    findings = [
        Finding(AUTH, Status.FAIL, f"message {i}", at, Severity.HIGH) for i, at in enumerate(where)
    ]
    encoder = json_format._Findings()
    text = encoder.encode(findings)
    assert text == orjson.dumps([finding_dict(f) for f in findings])[1:-1]
    assert 0 < len(encoder._parts) <= 4
    assert len(encoder._verdicts) == len(encoder._parts)


def test_an_audit_report_is_what_the_encoders_write() -> None:
    """A real audit of the examples and the test fixtures: inline waivers, causes, fixes."""
    from tests.helpers import EXAMPLES, ROOT

    paths = [str(EXAMPLES), str(ROOT / "tests" / "fixtures")]
    result = audit(AuditOptions(paths=paths, post_steps=[WaiverStep([])]))
    assert any(f.verdict.fix_here for f in result.findings)
    assert any(f.waiver for f in result.findings)
    assert any(f.cause for f in result.findings)
    assert json_format.render(result) == expected(result)
