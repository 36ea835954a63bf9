"""--format junit: JUnit XML for CI test reports (GitLab, Jenkins, Azure DevOps).

One test suite per control of the checklist, one test case per finding: a failure is a
<failure>, a finding that could not be judged or was waived is <skipped> with the reason, a pass
passes. A control no input spoke to is one skipped case saying what would assess it. Inputs that
could not be read are <error> cases of a suite of their own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from triplock.controls import CONTROLS
from triplock.model import AuditResult, Finding, Status

# XML 1.0 forbids these characters even escaped; a hostile input must not break the report.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(result: AuditResult) -> str:
    root = ET.Element("testsuites", name="triplock")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for status in result.checklist:
        mine = [f for f in result.findings if f.rule.control == status.control]
        suite = _suite(root, status.control)
        if not mine:
            case = _case(suite, status.control, "not assessed")
            _child(case, "skipped", f"not assessed: needs {CONTROLS[status.control].assessed_by}")
        for f in mine:
            _finding(suite, f)
        _count(suite, totals)
    if result.errors:
        suite = _suite(root, "inputs")
        for e in result.errors:
            _child(_case(suite, "inputs", e.path), "error", e.reason)
        _count(suite, totals)
    if result.expired_waivers:
        suite = _suite(root, "waivers")
        for w in result.expired_waivers:
            _child(_case(suite, "waivers", "expired waiver"), "failure", w)
        _count(suite, totals)
    if result.unused_waivers:
        suite = _suite(root, "unused waivers")
        for w in result.unused_waivers:
            _child(_case(suite, "waivers", "unused waiver"), "skipped", w)
        _count(suite, totals)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=_clean(name))


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=_clean(classname), name=_clean(name))


def _child(case: ET.Element, tag: str, message: str, body: str | None = None) -> ET.Element:
    element = ET.SubElement(case, tag, message=_clean(message))
    if body:
        element.text = _clean(body)
    return element


def _finding(suite: ET.Element, f: Finding) -> None:
    case = _case(suite, f.rule.control, f"{f.rule.id} {f.location.describe()}")
    if f.waiver is not None:
        until = f" (until {f.waiver.expires})" if f.waiver.expires else ""
        _child(case, "skipped", f"waived: {f.waiver.reason}{until} [{f.waiver.source}]")
    elif f.baselined:
        _child(case, "skipped", f"baselined (known failure): {f.severity.value}: {f.message}")
    elif f.status is Status.FAIL:
        failure = _child(case, "failure", f"{f.severity.value}: {f.message}", _details(f))
        failure.set("type", f.severity.value)
    elif f.status is Status.UNKNOWN:
        _child(case, "skipped", f"unknown: {f.message}")


def _details(f: Finding) -> str:
    lines = [f"{f.rule.id} {f.rule.title}", f"at {f.location.describe()}"]
    lines += [f"evidence: {e.describe()}" for e in f.evidence]
    lines.append(f"why: {f.rule.rationale}")
    lines.append(f"fix: {f.fix.describe() if f.fix else f.rule.remediation}")
    return "\n".join(lines)


def _count(suite: ET.Element, totals: dict[str, int]) -> None:
    cases = suite.findall("testcase")
    counts = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    for key, value in counts.items():
        suite.set(key, str(value))
        totals[key] += value


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)
