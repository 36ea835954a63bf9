"""Spark rules of rules/spark_kubernetes.py (service accounts, namespace, pod secrets)."""

from __future__ import annotations

from tests.helpers import findings_of, run_cli
from tests.helpers.spark_rules import (
    AUTH,
    FIXTURES,
    K8S,
    Case,
    case_tests,
    check,
    make_app,
)
from triplock.facts.spark import SparkOrigin
from triplock.model import Status
from triplock.redact import MASK

CASES: dict[str, Case] = {
    "070-fail": (
        "SPARK-070",
        {**K8S, "spark.kubernetes.authenticate.driver.serviceAccountName": "default"},
        Status.FAIL,
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        None,
    ),
    "070-pass": (
        "SPARK-070",
        {**K8S, "spark.kubernetes.authenticate.driver.serviceAccountName": "spark-driver"},
        Status.PASS,
        "spark.kubernetes.authenticate.driver.serviceAccountName",
        None,
    ),
    "071-fail": (
        "SPARK-071",
        {
            **K8S,
            "spark.kubernetes.authenticate.driver.serviceAccountName": "sa",
            "spark.kubernetes.authenticate.executor.serviceAccountName": "sa",
        },
        Status.FAIL,
        "spark.kubernetes.authenticate.executor.serviceAccountName",
        None,
    ),
    "071-fail-unset": ("SPARK-071", K8S, Status.FAIL, None, None),
    "071-pass": (
        "SPARK-071",
        {
            **K8S,
            "spark.kubernetes.authenticate.driver.serviceAccountName": "sa",
            "spark.kubernetes.authenticate.executor.serviceAccountName": "sb",
        },
        Status.PASS,
        "spark.kubernetes.authenticate.executor.serviceAccountName",
        None,
    ),
    "072-fail": ("SPARK-072", K8S, Status.FAIL, None, None),
    "072-pass": (
        "SPARK-072",
        {**K8S, "spark.kubernetes.namespace": "spark-jobs"},
        Status.PASS,
        "spark.kubernetes.namespace",
        None,
    ),
    "075-fail-name": (
        "SPARK-075",
        {**K8S, "spark.kubernetes.driverEnv.DB_PASSWORD": "hunter2"},
        Status.FAIL,
        "spark.kubernetes.driverEnv.DB_PASSWORD",
        None,
    ),
    "075-fail-value": (
        "SPARK-075",
        {**K8S, "spark.executorEnv.GITHUB": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
        Status.FAIL,
        "spark.executorEnv.GITHUB",
        None,
    ),
    "075-pass": (
        "SPARK-075",
        {
            **K8S,
            "spark.executorEnv.PYTHONPATH": "/opt/app",
            "spark.kubernetes.driverEnv.PASSWORD_FILE": "/mnt/s/pw",
        },
        Status.PASS,
        None,
        None,
    ),
    "076-fail": (
        "SPARK-076",
        {**K8S, "spark.kubernetes.driver.secretKeyRef.DB_PW": "db:password"},
        Status.FAIL,
        "spark.kubernetes.driver.secretKeyRef.DB_PW",
        None,
    ),
    "076-pass": (
        "SPARK-076",
        {**K8S, "spark.kubernetes.driver.secrets.db": "/mnt/db"},
        Status.PASS,
        "spark.kubernetes.driver.secrets.db",
        None,
    ),
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests(
    "spark_kubernetes", CASES
)


def test_k8s_rules_stay_silent_off_kubernetes() -> None:
    app = make_app({"spark.master": "yarn", **AUTH, "spark.kubernetes.driverEnv.PASSWORD": "x"})
    for rid in ("SPARK-003", "SPARK-070", "SPARK-071", "SPARK-072", "SPARK-075", "SPARK-076"):
        assert check(rid, app) == [], rid


def test_kubernetes_detected_from_settings_when_master_is_given_elsewhere() -> None:
    app = make_app({"spark.kubernetes.container.image": "apache/spark:3.5.1"})
    [o] = check("SPARK-072", app)
    assert o.status is Status.FAIL


def test_sparkapplication_resources_are_judged_like_conf_files() -> None:
    app = make_app({"spark.kubernetes.driverEnv.API_TOKEN": "abc123"}, kind=SparkOrigin.KUBERNETES)
    [o] = check("SPARK-075", app)
    assert o.status is Status.FAIL and o.evidence[0].shown == MASK


def test_partial_app_gives_unknown_for_unset_keys() -> None:
    app = make_app(K8S)
    app.partial = True
    assert [o.status for o in check("SPARK-001", app)] == [Status.UNKNOWN]
    assert [o.status for o in check("SPARK-070", app)] == [Status.UNKNOWN]


def test_audit_sparkapplication_resource() -> None:
    path = FIXTURES / "sparkapplication.yaml"
    result = run_cli("audit", str(path), "--format", "json")
    assert result.json()["errors"] == []
    [env] = findings_of(result, "SPARK-075", "fail")
    assert env["severity"] == "critical"  # a custom resource is readable by whoever reads it
    assert env["location"]["line"] == 16
    [pod_env] = findings_of(result, "SPARK-003", "fail")
    assert pod_env["location"]["line"] == 13
    [shared] = findings_of(result, "SPARK-071", "fail")
    assert shared["location"]["line"] == 21
    [cipher] = findings_of(result, "SPARK-011", "fail")
    assert "3.5.1" in cipher["message"]  # sparkVersion of the resource
    assert "Fixture-Only" not in result.out
