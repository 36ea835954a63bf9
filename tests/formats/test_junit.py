"""--format junit: one suite per control, failures for failing findings, skips for waived and
unknown ones, errors for unreadable inputs; always well-formed XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.helpers import ROOT, run_cli
from tests.helpers.sample import sample_result
from triplock.controls import CONTROLS
from triplock.formats.junit import render


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode())


def test_suites_cases_and_totals() -> None:
    root = parse(render(sample_result()))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(CONTROLS) <= set(suites)
    auth = suites["spark.authentication"]
    assert (auth.get("tests"), auth.get("failures"), auth.get("skipped")) == ("2", "1", "0")
    failure = auth.find("testcase/failure")
    assert failure is not None
    assert failure.get("type") == "high"
    assert "fix: set spark.authenticate=true" in (failure.text or "")
    local = suites["rest.spark-local"]
    skipped = [c.find("skipped") for c in local.findall("testcase")]
    messages = sorted(s.get("message", "") for s in skipped if s is not None)
    assert messages[0].startswith("unknown: ")
    assert messages[1].startswith("waived: lab cluster, no data (until 2099-12-31)")
    assert suites["k8s.rbac"].find("testcase/skipped") is not None  # not assessed
    assert suites["inputs"].find("testcase/error") is not None
    assert suites["waivers"].find("testcase/failure") is not None
    assert suites["unused waivers"].get("skipped") == "1"  # reported, never a failure
    assert root.get("failures") == str(sum(int(s.get("failures", 0)) for s in suites.values()))
    assert root.get("failures") == "3"  # two findings and one expired waiver


def test_control_characters_and_markup_stay_well_formed() -> None:
    text = render(sample_result())
    root = parse(text)  # would raise on \x01 or an unescaped <script>
    assert "\x01" not in text
    messages = [e.get("message", "") for e in root.iter("failure")]
    assert any("<script>" in m for m in messages), "escaped, then read back as text"


def test_cli_junit_for_a_deployment() -> None:
    result = run_cli("audit", str(ROOT / "tests" / "fixtures" / "reports"), "--format", "junit")
    root = parse(result.out)
    names = [c.get("name", "") for c in root.iter("testcase")]
    assert any(n.startswith("SPARK-001 ") for n in names)
    assert int(root.get("failures", "0")) >= 1
