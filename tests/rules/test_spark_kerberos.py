"""Spark rules of rules/spark_kerberos.py."""

from __future__ import annotations

from tests.helpers.spark_rules import (
    HISTORY,
    K8S,
    KERBEROS,
    Case,
    case_tests,
    check,
    make_app,
)
from triplock.model import Status

CASES: dict[str, Case] = {
    "060-fail": (
        "SPARK-060",
        {**K8S, "spark.kerberos.keytab": "/home/u/u.keytab"},
        Status.FAIL,
        "spark.kerberos.keytab",
        None,
    ),
    "060-pass": (
        "SPARK-060",
        {**K8S, "spark.kerberos.keytab": "local:///mnt/kt/u.keytab"},
        Status.PASS,
        "spark.kerberos.keytab",
        None,
    ),
    "061-fail": ("SPARK-061", KERBEROS, Status.FAIL, "spark.kerberos.principal", None),
    "061-pass": (
        "SPARK-061",
        {**KERBEROS, "spark.kerberos.keytab": "/k"},
        Status.PASS,
        "spark.kerberos.principal",
        None,
    ),
    "062-fail": (
        "SPARK-062",
        {**KERBEROS, "spark.eventLog.dir": "hdfs://nn2:8020/ev"},
        Status.FAIL,
        "spark.eventLog.dir",
        None,
    ),
    "062-pass": (
        "SPARK-062",
        {
            **KERBEROS,
            "spark.eventLog.dir": "hdfs://nn2:8020/ev",
            "spark.kerberos.access.hadoopFileSystems": "hdfs://nn2:8020",
        },
        Status.PASS,
        "spark.kerberos.access.hadoopFileSystems",
        None,
    ),
    "063-fail": ("SPARK-063", {**KERBEROS, **HISTORY}, Status.FAIL, None, None),
    "063-pass": (
        "SPARK-063",
        {
            **KERBEROS,
            **HISTORY,
            "spark.history.kerberos.enabled": "true",
            "spark.history.kerberos.principal": "h@E",
            "spark.history.kerberos.keytab": "/k",
        },
        Status.PASS,
        "spark.history.kerberos.enabled",
        None,
    ),
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests(
    "spark_kerberos", CASES
)


def test_kerberos_and_history_rules_stay_silent_without_their_settings() -> None:
    app = make_app({**K8S})
    for rid in ("SPARK-031", "SPARK-043", "SPARK-060", "SPARK-061", "SPARK-062", "SPARK-063"):
        assert check(rid, app) == [], rid
