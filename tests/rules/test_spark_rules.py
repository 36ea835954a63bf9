"""All Spark rules together: a failing and a passing case for each, controls, secrets on a
command line, and the rules through `triplock audit` on properties files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import findings_of, run_cli
from tests.rules import (
    test_spark_access,
    test_spark_auth,
    test_spark_encryption,
    test_spark_kerberos,
    test_spark_kubernetes,
    test_spark_secrets,
    test_spark_tls,
)
from tests.rules.spark_cases import (
    FIXTURES,
    JWS_KEY,
    K8S,
    RULES,
    UI_TLS,
    Case,
    lines_of,
    make_app,
)
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.model import Status
from triplock.redact import MASK
from triplock.rules.registry import Context

CASES: dict[str, Case] = {
    **test_spark_auth.CASES,
    **test_spark_secrets.CASES,
    **test_spark_encryption.CASES,
    **test_spark_tls.CASES,
    **test_spark_access.CASES,
    **test_spark_kerberos.CASES,
    **test_spark_kubernetes.CASES,
}


def test_every_spark_rule_has_a_failing_and_a_passing_case() -> None:
    # Rules on live observations (SparkService, SPARK-080..084) are asserted in both states
    # against real Spark in tests/live.
    spark_rules = {
        rid for rid, r in RULES.items() if rid.startswith("SPARK-") and r.target is SparkApp
    }
    failing = {c[0] for c in CASES.values() if c[2] is Status.FAIL}
    passing = {c[0] for c in CASES.values() if c[2] is Status.PASS}
    assert spark_rules == failing == passing


def test_every_spark_rule_serves_one_known_control() -> None:
    from triplock.controls import CONTROLS

    for rid, r in RULES.items():
        if rid.startswith("SPARK-"):
            assert r.meta.control in CONTROLS
            assert r.meta.rationale and r.meta.remediation and r.meta.references


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("spark.authenticate.secret", "CANARY-auth-1"),
        ("spark.ssl.keyStorePassword", "CANARY-ks-2"),
        ("spark.kubernetes.authenticate.driver.oauthToken", "CANARY-tok-3"),
        (JWS_KEY, "CANARY-jws-4"),
    ],
)
def test_command_line_secret_is_critical_and_redacted(key: str, value: str) -> None:
    app = make_app({**K8S, **UI_TLS, key: value}, exposed=frozenset({key}))
    outcomes = [
        o
        for r in RULES.values()
        if r.target is SparkApp
        for o in r.check(app, Context(Inventory()))
    ]
    [bad] = [o for o in outcomes if o.status is Status.FAIL and o.location.line == 4]
    assert bad.severity is not None and bad.severity.value == "critical"
    assert all("CANARY" not in o.message for o in outcomes)
    assert all("CANARY" not in (e.shown or "") for o in outcomes for e in o.evidence)


def test_audit_insecure_properties_file() -> None:
    path = FIXTURES / "insecure" / "spark-defaults.conf"
    result = run_cli("audit", str(path), "--format", "json")
    assert result.code == 1
    lines = lines_of(path)
    expect = {
        "SPARK-001": "spark.authenticate",
        "SPARK-002": "spark.authenticate.secret",
        "SPARK-011": "spark.network.crypto.cipher",
        "SPARK-038": "spark.ssl.keyStorePassword",
        "SPARK-041": "spark.admin.acls",
        "SPARK-050": "spark.kubernetes.driverEnv.DB_PWD",
        "SPARK-075": "spark.kubernetes.driverEnv.DB_PWD",
    }
    for rule_id, key in expect.items():
        found = findings_of(result, rule_id, "fail")
        assert found, rule_id
        assert lines[key] in {f["location"]["line"] for f in found}, rule_id
        assert all(f["location"]["path"] == str(path) for f in found)
    [secret] = findings_of(result, "SPARK-002", "fail")
    assert secret["severity"] == "high" and secret["control"] == "spark.authentication"
    assert secret["evidence"] == [{"key": "spark.authenticate.secret", "value": MASK}]
    assert "Fixture-Only" not in result.out


def test_audit_hardened_properties_file() -> None:
    path = FIXTURES / "hardened" / "spark-defaults.conf"
    result = run_cli("audit", str(path), "--format", "json", "--fail-on", "low")
    spark = [f for f in result.json()["findings"] if f["rule_id"].startswith("SPARK-")]
    assert [(f["rule_id"], f["message"]) for f in spark if f["status"] != "pass"] == []
    passed_rules = {f["rule_id"] for f in spark}
    assert len(passed_rules) >= 30, sorted(passed_rules)


HISTORY_SERVER_CONF = """\
spark.history.fs.logDirectory hdfs://nn:8020/spark-logs
spark.history.kerberos.enabled true
spark.history.kerberos.principal spark/_HOST@EXAMPLE.COM
spark.history.kerberos.keytab /etc/security/keytabs/spark.keytab
spark.ssl.historyServer.enabled true
spark.ssl.historyServer.keyStore /etc/tls/hs.p12
spark.ui.filters org.example.AuthFilter
spark.org.example.AuthFilter.param.realm example
"""
APPLICATION_ONLY = ["SPARK-001", "SPARK-010", "SPARK-020", "SPARK-030", "SPARK-042", "SPARK-062"]


def test_a_history_server_conf_gets_no_application_rule(tmp_path: Path) -> None:
    conf = tmp_path / "history" / "spark-defaults.conf"
    conf.parent.mkdir()
    conf.write_text(HISTORY_SERVER_CONF)
    result = run_cli("audit", str(conf), "--format", "json")
    ids = {f["rule_id"] for f in result.json()["findings"]}
    assert not ids & set(APPLICATION_ONLY)
    # What is about the history server itself is still judged.
    assert {"SPARK-031", "SPARK-035", "SPARK-043", "SPARK-063"} <= ids
    # One application key, and it is an application's (shared) configuration again.
    conf.write_text(HISTORY_SERVER_CONF + "spark.master k8s://https://api:6443\n")
    result = run_cli("audit", str(conf), "--format", "json")
    assert set(APPLICATION_ONLY) <= {f["rule_id"] for f in result.json()["findings"]}
