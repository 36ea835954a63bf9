"""--format sarif: valid SARIF 2.1.0 (checked against the official schema), stable fingerprints,
waivers as suppressions, rule metadata with help and control."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers import EXAMPLES, ROOT, run_cli
from tests.helpers.sample import every_kind_of_finding, result_with, sample_result
from triplock.fingerprint import SCHEME as FINGERPRINT
from triplock.formats.sarif import render, sarif
from triplock.model import Status

SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text())
REPORTS = ROOT / "tests" / "fixtures" / "reports"


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(log)


def audit_sarif(*paths: Path) -> dict[str, Any]:
    result = run_cli("audit", *map(str, paths), "--format", "sarif")
    assert result.code in (0, 1, 2), result.err
    log: dict[str, Any] = result.json()
    return log


def fingerprints(log: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT] for r in log["runs"][0]["results"]]


def test_the_schema_rejects_a_broken_log() -> None:
    log = json.loads(render(sample_result()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_hand_built_result_validates() -> None:
    validate(json.loads(render(sample_result())))


@pytest.mark.parametrize("name", ["insecure", "hardened"])
def test_examples_validate_and_fingerprints_are_stable(name: str) -> None:
    example = EXAMPLES / "spark-on-k8s" / name
    first, second = audit_sarif(example, REPORTS), audit_sarif(example, REPORTS)
    validate(first)
    assert first["runs"][0]["results"], "the fixtures must produce results"
    assert fingerprints(first) == fingerprints(second)
    assert len(set(fingerprints(first))) == len(fingerprints(first))


def test_fingerprints_survive_lines_moving(tmp_path: Path) -> None:
    copy = tmp_path / "reports"
    shutil.copytree(REPORTS, copy)
    before = audit_sarif(copy)["runs"][0]["results"]
    conf = copy / "spark-defaults.conf"
    conf.write_text("# a new comment\n\n" + conf.read_text())
    after = audit_sarif(copy)["runs"][0]["results"]

    def lines(results: list[dict[str, Any]]) -> dict[str, int | None]:
        return {
            r["partialFingerprints"][FINGERPRINT]: r["locations"][0]["physicalLocation"]
            .get("region", {})
            .get("startLine")
            for r in results
        }

    old, new = lines(before), lines(after)
    assert old.keys() == new.keys()
    moved = {fp: (old[fp], new[fp]) for fp in old if old[fp] != new[fp]}
    assert moved, "a finding in the edited file should have moved two lines down"
    assert all(n == o + 2 for o, n in moved.values() if o is not None and n is not None)


def test_results_kinds_levels_and_suppressions() -> None:
    log = json.loads(render(sample_result()))
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["TEST-001", "TEST-002", "TEST-003", "TEST-003"]
    auth, secret, unknown, waived = results
    assert (auth["kind"], auth["level"]) == ("fail", "error")
    assert auth["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert auth["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "deploy/spark-defaults.conf",
        "uriBaseId": "%SRCROOT%",
    }
    assert secret["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "spark-submit"}]
    assert "hunter2" not in json.dumps(log)
    assert (unknown["kind"], unknown["level"]) == ("review", "none")
    assert "suppressions" not in auth
    assert waived["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "lab cluster, no data",
            "properties": {"source": "inline:deploy/other.conf:1", "expires": "2099-12-31"},
        }
    ]
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error", "warning", "note"]
    assert "TEST-009 matched no finding" in notes[2]["message"]["text"]


def test_rule_metadata_carries_help_and_control() -> None:
    log = json.loads(render(sample_result()))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    test_rule = rules["TEST-001"]
    assert test_rule["properties"]["control"] == "spark.authentication"
    assert test_rule["properties"]["security-severity"] == "8.0"
    assert "Set spark.authenticate=true." in test_rule["help"]["text"]
    assert test_rule["helpUri"].startswith("https://spark.apache.org/")
    assert "SPARK-001" in rules, "every registered rule is described"
    for result in log["runs"][0]["results"]:
        assert (
            log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        )


def test_waiver_file_suppression_is_external(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - rule: SPARK-001\n    path: expired.conf\n    reason: tracked in SEC-12\n"
    )
    result = run_cli("audit", str(REPORTS), "--format", "sarif", "--waivers", str(waivers))
    log = result.json()
    validate(log)
    suppressed = [r for r in log["runs"][0]["results"] if r.get("suppressions")]
    kinds = sorted(r["suppressions"][0]["kind"] for r in suppressed)
    assert kinds == ["external", "inSource"]


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    sarif_file, junit_file = tmp_path / "out.sarif", tmp_path / "out.xml"
    result = run_cli(
        "audit",
        str(REPORTS),
        "--format",
        "markdown",
        "--format",
        "sarif",
        "--format",
        "junit",
        "-o",
        "-",
        "-o",
        str(sarif_file),
        "-o",
        str(junit_file),
    )
    assert result.code == 1
    assert result.out.startswith("### triplock:")
    validate(json.loads(sarif_file.read_text()))
    assert junit_file.read_text().startswith('<?xml version="1.0"')


def test_the_log_is_what_json_dumps_writes_for_every_kind_of_field() -> None:
    """orjson writes the log: byte for byte what json.dumps(ensure_ascii=False) would, with
    control characters, non-ASCII text, waivers, baselined and fixed findings."""
    result = result_with(every_kind_of_finding())
    log = sarif(result)
    log["runs"][0]["results"] = list(log["runs"][0]["results"])
    assert render(result) == json.dumps(log, ensure_ascii=False, separators=(",", ":")) + "\n"
    validate(json.loads(render(result)))


def test_each_result_says_what_its_finding_says() -> None:
    findings = every_kind_of_finding()
    shown = [f for f in findings if f.status is not Status.PASS]
    results = json.loads(render(result_with(findings)))["runs"][0]["results"]
    assert len(results) == len(shown)
    for f, r in zip(shown, results, strict=True):
        assert r["ruleId"] == f.rule.id
        assert r["message"]["text"].startswith(f.message)
        assert r["properties"]["fix"] == (f.fix.describe() if f.fix else f.rule.remediation)
        assert r["properties"]["status"] == f.shown_status
        assert ("baselineState" in r) == f.baselined
        assert ("suppressions" in r) == (f.waiver is not None)
        where = r["locations"][0]
        assert where.get("logicalLocations", [{}])[0].get("fullyQualifiedName") == (
            f.location.object or None
        )
