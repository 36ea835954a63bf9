"""Spark rules of rules/spark_access.py (UI filters, ACLs, REST server)."""

from __future__ import annotations

import pytest

from tests.rules.spark_cases import (
    HISTORY,
    Case,
    assert_case,
    check,
    make_app,
)
from triplock.model import FixAction, Status

CASES: dict[str, Case] = {
    "040-fail": ("SPARK-040", {}, Status.FAIL, None, None),
    "040-pass": (
        "SPARK-040",
        {"spark.ui.filters": "org.apache.spark.ui.JWSFilter"},
        Status.PASS,
        "spark.ui.filters",
        None,
    ),
    "041-fail": (
        "SPARK-041",
        {"spark.modify.acls": "alice,*"},
        Status.FAIL,
        "spark.modify.acls",
        None,
    ),
    "041-pass": (
        "SPARK-041",
        {"spark.modify.acls": "alice,bob"},
        Status.PASS,
        "spark.modify.acls",
        None,
    ),
    "042-fail-off": (
        "SPARK-042",
        {"spark.acls.enable": "false"},
        Status.FAIL,
        "spark.acls.enable",
        None,
    ),
    "042-fail-no-filter": (
        "SPARK-042",
        {"spark.acls.enable": "true"},
        Status.FAIL,
        "spark.acls.enable",
        None,
    ),
    "042-pass": (
        "SPARK-042",
        {"spark.acls.enable": "true", "spark.ui.filters": "org.apache.spark.ui.JWSFilter"},
        Status.PASS,
        "spark.acls.enable",
        None,
    ),
    "043-fail": ("SPARK-043", HISTORY, Status.FAIL, None, None),
    "043-pass": (
        "SPARK-043",
        {**HISTORY, "spark.history.ui.acls.enable": "true"},
        Status.PASS,
        "spark.history.ui.acls.enable",
        None,
    ),
    "044-fail": (
        "SPARK-044",
        {"spark.master.rest.enabled": "true"},
        Status.FAIL,
        "spark.master.rest.enabled",
        None,
    ),
    "044-fail-old": (
        "SPARK-044",
        {
            "spark.master.rest.enabled": "true",
            "spark.master.rest.filters": "org.apache.spark.ui.JWSFilter",
        },
        Status.FAIL,
        "spark.master.rest.enabled",
        "3.5.3",
    ),
    "044-pass-filtered": (
        "SPARK-044",
        {
            "spark.master.rest.enabled": "true",
            "spark.master.rest.filters": "org.apache.spark.ui.JWSFilter",
        },
        Status.PASS,
        "spark.master.rest.enabled",
        "4.0.0",
    ),
    "044-pass-off": ("SPARK-044", {"spark.master": "spark://m:7077"}, Status.PASS, None, None),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_rule_case(case: str) -> None:
    assert_case(CASES[case])


def test_ui_filter_fix_follows_the_version() -> None:
    [old] = check("SPARK-040", make_app({}), version="3.5.1")
    [new] = check("SPARK-040", make_app({}), version="4.0.0")
    assert old.fix is not None and old.fix.action is FixAction.MANUAL
    assert new.fix is not None and new.fix.value == "org.apache.spark.ui.JWSFilter"


def test_rest_finding_names_the_configured_port() -> None:
    conf = {"spark.master.rest.enabled": "true", "spark.master.rest.port": "46066"}
    [finding] = check("SPARK-044", make_app(conf), version="4.0.0")
    assert "port 46066" in finding.message and "port 6066" not in finding.message
    [default] = check("SPARK-044", make_app({"spark.master.rest.enabled": "true"}))
    assert "port 6066" in default.message
