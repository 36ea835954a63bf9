"""Spark rules of rules/spark_auth.py (spark.authentication)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings_of, run_cli, write
from tests.helpers.spark_rules import (
    AUTH,
    K8S,
    Case,
    case_tests,
    check,
    make_app,
)
from triplock.model import Status

CASES: dict[str, Case] = {
    "001-fail": (
        "SPARK-001",
        {"spark.authenticate": "false"},
        Status.FAIL,
        "spark.authenticate",
        None,
    ),
    "001-unset": ("SPARK-001", {}, Status.FAIL, None, None),
    "001-pass": ("SPARK-001", AUTH, Status.PASS, "spark.authenticate", None),
    "001-templated": (
        "SPARK-001",
        {"spark.authenticate": "${AUTH}"},
        Status.UNKNOWN,
        "spark.authenticate",
        None,
    ),
    "002-fail": (
        "SPARK-002",
        {"spark.authenticate.secret": "s3cr3t-Value"},
        Status.FAIL,
        "spark.authenticate.secret",
        None,
    ),
    "002-pass": ("SPARK-002", AUTH, Status.PASS, None, None),
    "002-templated": (
        "SPARK-002",
        {"spark.authenticate.secret": "$PW"},
        Status.UNKNOWN,
        "spark.authenticate.secret",
        None,
    ),
    "003-fail": ("SPARK-003", {**K8S, **AUTH}, Status.FAIL, "spark.authenticate", None),
    "003-driver-only": (
        "SPARK-003",
        {**K8S, **AUTH, "spark.authenticate.secret.executor.file": "/s/x"},
        Status.FAIL,
        "spark.authenticate",
        None,
    ),
    "003-pass": (
        "SPARK-003",
        {
            **K8S,
            **AUTH,
            "spark.authenticate.secret.driver.file": "/s/x",
            "spark.authenticate.secret.executor.file": "/s/x",
        },
        Status.PASS,
        "spark.authenticate.secret.executor.file",
        None,
    ),
    "003-pass-common-file": (
        "SPARK-003",
        {**K8S, **AUTH, "spark.authenticate.secret.file": "/s/x"},
        Status.PASS,
        "spark.authenticate.secret.file",
        None,
    ),
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests("spark_auth", CASES)


def test_templated_secret_on_command_line_is_still_exposed() -> None:
    app = make_app(
        {"spark.authenticate.secret": "$PW"}, exposed=frozenset({"spark.authenticate.secret"})
    )
    [o] = check("SPARK-002", app)
    assert o.status is Status.FAIL and o.severity is not None and o.severity.value == "critical"
    assert [e.shown for e in o.evidence] == ["$PW"]


def test_audit_submit_script_secret_is_critical(tmp_path: Path) -> None:
    write(
        tmp_path,
        "submit.sh",
        "#!/bin/bash\nspark-submit --master k8s://https://k8s:443 \\\n"
        "  --conf spark.authenticate=true \\\n"
        "  --conf spark.authenticate.secret=Fixture-Only-9d8c7b \\\n  local:///app.py\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    [f] = findings_of(result, "SPARK-002", "fail")
    assert f["severity"] == "critical"
    assert f["location"]["line"] == 4
    assert "Fixture-Only" not in result.out
    [env] = findings_of(result, "SPARK-003", "fail")
    assert env["location"]["line"] == 3
