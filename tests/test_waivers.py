"""Waivers: inline comments and waiver-file entries, reasons required, expiry, refusal of inline
waivers; waived findings stay in the report and stop counting toward the exit code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.formats.sample import sample_result
from tests.helpers import findings_of, run_cli, write
from triplock.waivers import (
    WaiverEntry,
    WaiverError,
    WaiverStep,
    glob_match,
    parse_entries,
    scan_inline,
)

TODAY = dt.date.today()
FUTURE = (TODAY + dt.timedelta(days=30)).isoformat()
PAST = (TODAY - dt.timedelta(days=1)).isoformat()
K8S = "spark.master k8s://https://kubernetes.default.svc:443\n"


def test_inline_syntax_in_properties_shell_yaml_and_xml() -> None:
    text = "\n".join(
        [
            '# triplock: ignore SPARK-001 reason="lab" expires=2030-01-02',
            "spark.authenticate false",
            'export X=1  # triplock: ignore SPARK-001,spark-auth-secret-literal reason="a b"',
            '  <!-- triplock: ignore SPARK-001 reason="xml" -->',
            "  <property>",
            "! triplock: ignore SPARK-001 reason=bare",
        ]
    )
    waivers, problems = scan_inline(text)
    assert problems == []
    assert [(w.line, w.applies_to) for w in waivers] == [
        (1, (1, 2)),
        (3, (3,)),
        (4, (4, 5)),
        (6, (6, 7)),
    ]
    assert waivers[0].expires == dt.date(2030, 1, 2)
    assert waivers[1].rules == ("SPARK-001", "spark-auth-secret-literal")
    assert [w.reason for w in waivers] == ["lab", "a b", "xml", "bare"]


def test_stacked_inline_waivers_reach_the_setting_below() -> None:
    text = (
        '# triplock: ignore SPARK-001 reason="a"\n# triplock: ignore SPARK-002 reason="b"\nkey v\n'
    )
    waivers, _ = scan_inline(text)
    assert [w.applies_to for w in waivers] == [(1, 3), (2, 3)]


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        ("# triplock: ignore SPARK-001", 'has no reason="..."'),
        ('# triplock: ignore reason="x"', "names no rule id"),
        ('# triplock: ignore NOPE-999 reason="x"', "names unknown rule NOPE-999"),
        ('# triplock: ignore SPARK-001 reason="x" expires=soon', "invalid expires date"),
    ],
)
def test_malformed_inline_waivers_are_reported_not_applied(comment: str, problem: str) -> None:
    waivers, problems = scan_inline(comment + "\n")
    assert waivers == []
    assert len(problems) == 1 and problem in problems[0][1]


def test_inline_waiver_applies_in_an_audit(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        f'{K8S}# triplock: ignore SPARK-001 reason="lab only" expires={FUTURE}\n'
        "spark.authenticate false\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json", "--fail-on", "high")
    [finding] = findings_of(result, "SPARK-001", "fail")
    assert finding["waiver"]["reason"] == "lab only"
    assert finding["waiver"]["expires"] == FUTURE
    assert finding["waiver"]["source"].endswith("spark-defaults.conf:2")
    assert not any(
        f["rule_id"] == "SPARK-001" and f["status"] == "fail" and not f["waiver"]
        for f in result.json()["findings"]
    )


def test_waived_failure_does_not_fail_the_run(tmp_path: Path) -> None:
    conf = "spark.authenticate false\n"
    write(tmp_path / "plain", "spark-defaults.conf", conf)
    write(
        tmp_path / "waived",
        "spark-defaults.conf",
        f'# triplock: ignore SPARK-001 reason="ok"\n{conf}',
    )
    plain = run_cli(
        "audit",
        str(tmp_path / "plain"),
        "--format",
        "json",
        "--fail-on",
        "high",
        "--disable",
        "SPARK-010",
    )
    waived = run_cli(
        "audit",
        str(tmp_path / "waived"),
        "--format",
        "json",
        "--fail-on",
        "high",
        "--disable",
        "SPARK-010",
    )
    high_fails = [
        f
        for f in plain.json()["findings"]
        if f["status"] == "fail" and f["severity"] in ("high", "critical")
    ]
    assert [f["rule_id"] for f in high_fails] == ["SPARK-001"], (
        "the fixture must fail only SPARK-001 at high"
    )
    assert plain.code == 1
    assert waived.code == 0
    checklist = {c["control"]: c for c in waived.json()["checklist"]}
    assert checklist["spark.authentication"]["counts"]["waived"] == 1


def test_expired_inline_waiver_stops_applying_and_is_listed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        f'# triplock: ignore SPARK-001 reason="old" expires={PAST}\nspark.authenticate false\n',
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    [finding] = findings_of(result, "SPARK-001", "fail")
    assert finding["waiver"] is None
    [expired] = result.json()["expired_waivers"]
    assert f"expired {PAST}" in expired and "spark-defaults.conf:1" in expired


def test_no_inline_waivers_refuses_them(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        '# triplock: ignore SPARK-001 reason="x"\nspark.authenticate false\n',
    )
    result = run_cli("audit", str(tmp_path), "--format", "json", "--no-inline-waivers")
    [finding] = findings_of(result, "SPARK-001", "fail")
    assert finding["waiver"] is None


def test_waiver_on_an_unrelated_line_does_not_apply(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        '# triplock: ignore SPARK-001 reason="x"\n\nspark.authenticate false\n',
    )
    [finding] = findings_of(
        run_cli("audit", str(tmp_path), "--format", "json"), "SPARK-001", "fail"
    )
    assert finding["waiver"] is None


def test_malformed_inline_waiver_is_an_input_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "# triplock: ignore SPARK-001 token=hunter2\nspark.authenticate false\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    [error] = result.json()["errors"]
    assert error["path"].endswith("spark-defaults.conf:1")
    assert "reason" in error["reason"] and "hunter2" not in result.out


def test_waiver_file_entries(tmp_path: Path) -> None:
    write(tmp_path, "deploy/a/spark-defaults.conf", "spark.authenticate false\n")
    write(tmp_path, "deploy/b/spark-defaults.conf", "spark.authenticate false\n")
    waivers = write(
        tmp_path,
        "waivers.yaml",
        "waivers:\n"
        "  - rule: spark-authenticate-off\n"
        "    path: deploy/a/**\n"
        "    reason: team A accepted it (SEC-1)\n"
        f"    expires: {FUTURE}\n"
        "  - control: spark.authentication\n"
        "    path: deploy/b/*.conf\n"
        "    reason: old\n"
        f"    expires: {PAST}\n",
    )
    result = run_cli(
        "audit", str(tmp_path / "deploy"), "--format", "json", "--waivers", str(waivers)
    )
    by_dir = {
        f["location"]["path"].split("/")[-2]: f for f in findings_of(result, "SPARK-001", "fail")
    }
    assert by_dir["a"]["waiver"]["reason"] == "team A accepted it (SEC-1)"
    assert by_dir["a"]["waiver"]["source"].endswith("waivers.yaml:2")
    assert by_dir["b"]["waiver"] is None
    [expired] = result.json()["expired_waivers"]
    assert expired.startswith(f"{waivers}:6: waiver of spark.authentication expired {PAST}")
    assert result.json()["unused_waivers"] == []  # one applied, the other expired


def test_unused_waivers_are_listed_when_they_speak_to_the_audited_inputs(tmp_path: Path) -> None:
    write(
        tmp_path,
        "deploy/spark-defaults.conf",
        '# triplock: ignore SPARK-002 reason="no secret here"\n'
        "spark.authenticate false\n"
        "spark.io.encryption.enabled true\n",
    )
    waivers = write(
        tmp_path,
        "waivers.yaml",
        "waivers:\n"
        "  - rule: SPARK-001\n"
        "    reason: applies\n"
        "  - rule: SPARK-020\n"
        "    reason: encrypted since\n"
        "  - rule: SPARK-020\n"
        "    path: other-team/**\n"
        "    reason: not audited in this run\n",
    )
    args = ("audit", str(tmp_path / "deploy"), "--waivers", str(waivers), "--format")
    result = run_cli(*args, "json")
    [waived] = findings_of(result, "SPARK-001", "fail")
    assert waived["waiver"]["reason"] == "applies"
    assert result.json()["unused_waivers"] == [
        f"{waivers}:4: waiver of SPARK-020 matched no finding (encrypted since)",
        f"inline:{tmp_path}/deploy/spark-defaults.conf:1: waiver of SPARK-002 matched no "
        "finding (no secret here)",
    ]
    assert result.code == 1  # informational: the exit code follows the findings only
    table = run_cli(*args, "table")
    assert "Unused waivers" in table.out and "encrypted since" in table.out


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"rule": "SPARK-001"}, "needs a reason"),
        ({"reason": "x"}, "names a rule or a control"),
        ({"rule": "NOPE-1", "reason": "x"}, "no rule"),
        ({"control": "nope", "reason": "x"}, "no control"),
        ({"rule": "SPARK-001", "reason": "x", "expires": "next year"}, "expires must be a date"),
        ({"rule": "SPARK-001", "reason": "x", "paths": "a"}, "unknown waiver field(s) paths"),
    ],
)
def test_bad_waiver_entries(entry: dict[str, str], problem: str) -> None:
    with pytest.raises(
        WaiverError, match="^w.yaml:3: .*" + problem.replace("(", r"\(").replace(")", r"\)")
    ):
        parse_entries([entry], "w.yaml", ".", [3])


def test_bad_waiver_file_is_a_usage_error(tmp_path: Path) -> None:
    conf = write(tmp_path, "spark-defaults.conf", "spark.authenticate false\n")
    waivers = write(tmp_path, "w.yaml", "- rule: SPARK-001\n")
    result = run_cli("audit", str(conf), "--waivers", str(waivers))
    assert result.code == 2
    assert "w.yaml:1: a waiver needs a reason" in result.err


def test_object_globs_and_expiry_on_a_hand_built_result() -> None:
    entry = WaiverEntry(
        reason="r", source="f:1", rules=("TEST-002",), object="spark-*", expires=TODAY
    )
    result = sample_result()
    WaiverStep([entry], inline=False, today=TODAY)(result, None)
    waived = [f.rule.id for f in result.findings if f.waiver and f.waiver.source == "f:1"]
    assert waived == ["TEST-002"]
    assert result.expired_waivers == sample_result().expired_waivers

    later = sample_result()
    WaiverStep([entry], inline=False, today=TODAY + dt.timedelta(days=1))(later, None)
    assert not any(f.waiver and f.waiver.source == "f:1" for f in later.findings)
    assert later.expired_waivers[-1] == f"f:1: waiver of TEST-002 expired {TODAY} (r)"


def test_glob() -> None:
    assert glob_match("deploy/**/*.conf", "deploy/a/b/x.conf")
    assert glob_match("deploy/**/*.conf", "deploy/x.conf")
    assert not glob_match("deploy/*.conf", "deploy/a/x.conf")
    assert glob_match("spark-?", "spark-1")
    assert not glob_match("spark-?", "spark-/")
    assert glob_match("**", "a/b") and not glob_match("*", "a/b")
    assert glob_match("a/***/b", "a/x/y/b") and glob_match("a/***/b", "a/b")  # a run is `**`


def test_inline_waivers_come_from_the_text_discovery_read(tmp_path: Path) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: apps}\nspec:\n"
        "  containers:\n  - name: c\n    image: x\n    env:\n"
        '    - {name: DB_PASSWORD, value: hunter2hunter2}  # triplock: ignore K8S-001 reason="p"\n'
    )
    result = run_cli("audit", "-", "--format", "json", stdin=pod)  # stdin cannot be read again
    [finding] = findings_of(result, "K8S-001", "fail")
    assert finding["waiver"]["source"] == "inline:<stdin>:9"
    # A file changed after discovery read it: the waiver step does not read it again.
    conf = '# triplock: ignore SPARK-001 reason="piped in"\nspark.authenticate false\n'
    path = write(tmp_path, "spark-defaults.conf", conf)
    from triplock.audit import AuditOptions, audit
    from triplock.waivers import WaiverStep

    options = AuditOptions(paths=[str(path)])
    options.post_steps.append(lambda r, o: path.write_text("spark.authenticate false\n"))
    options.post_steps.append(WaiverStep([]))
    [waived] = [f for f in audit(options).findings if f.rule.id == "SPARK-001"]
    assert waived.waiver is not None and waived.waiver.reason == "piped in"


SUBMIT = """#!/bin/sh
# triplock: ignore SPARK-038 reason="keystore password rotated by the job runner (SEC-9)"
spark-submit \\
  --master k8s://https://kubernetes.default.svc:443 \\
  --conf spark.ssl.keyStorePassword=hunter22 \\
  --conf spark.authenticate.secret=s3cr3tvalue \\
  app.py
"""


def test_an_inline_waiver_above_a_multi_line_command_covers_the_whole_command(
    tmp_path: Path,
) -> None:
    write(tmp_path, "bin/submit.sh", SUBMIT)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    [waived] = findings_of(result, "SPARK-038", "fail")
    assert waived["location"]["line"] == 5
    assert waived["waiver"]["reason"].startswith("keystore password rotated")
    assert all(f["waiver"] is None for f in findings_of(result, "SPARK-002", "fail"))


def test_spark_submit_findings_name_the_setting_so_a_waiver_file_can_target_one_key(
    tmp_path: Path,
) -> None:
    write(tmp_path, "bin/submit.sh", SUBMIT.replace("# triplock: ignore", "# not a waiver"))
    waivers = write(
        tmp_path,
        "waivers.yaml",
        "waivers:\n"
        "  - rule: SPARK-038\n"
        '    object: "spark-submit spark.ssl.keyStorePassword"\n'
        "    reason: rotated (SEC-9)\n",
    )
    result = run_cli("audit", str(tmp_path / "bin"), "--format", "json", "--waivers", str(waivers))
    [finding] = findings_of(result, "SPARK-038", "fail")
    assert finding["location"]["object"] == "spark-submit spark.ssl.keyStorePassword"
    assert finding["waiver"]["reason"] == "rotated (SEC-9)"
    [other] = findings_of(result, "SPARK-002", "fail")
    assert other["location"]["object"] == "spark-submit spark.authenticate.secret"
    assert other["waiver"] is None
