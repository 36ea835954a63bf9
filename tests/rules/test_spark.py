"""Spark rules: one failing and one passing case per rule on SparkApp facts built directly, and
the same rules through `triplock audit` on properties files and a submit script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Inventory, Setting
from triplock.model import FixAction, Location, Status
from triplock.redact import MASK, is_reference
from triplock.rules._spark_version import image_tag, parse_version, spark_version
from triplock.rules.registry import Context, Outcome, all_rules

FIXTURES = ROOT / "tests" / "fixtures" / "spark"
CONF = "conf/spark-defaults.conf"
K8S = {"spark.master": "k8s://https://kubernetes.default.svc:443"}
AUTH = {"spark.authenticate": "true"}
AES = {**AUTH, "spark.network.crypto.enabled": "true"}
UI_TLS = {"spark.ssl.enabled": "true", "spark.ssl.protocol": "TLSv1.3"}
HISTORY = {"spark.history.fs.logDirectory": "hdfs://nn:8020/spark-events"}
JWS_KEY = "spark.org.apache.spark.ui.JWSFilter.param.secretKey"
AEAD_SUITES = "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
AZURE_KEY = "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net"
KERBEROS = {"spark.kerberos.principal": "spark@EXAMPLE.COM"}


def make_app(
    settings: dict[str, str],
    exposed: frozenset[str] = frozenset(),
    kind: SparkOrigin = SparkOrigin.DEFAULTS_FILE,
    spark_version: str | None = None,
) -> SparkApp:
    """A SparkApp whose N-th setting sits on line N of conf/spark-defaults.conf."""
    app = SparkApp(CONF, Location(path=CONF), kind, spark_version=spark_version)
    for line, (key, value) in enumerate(settings.items(), start=1):
        app.set(
            Setting.literal_or_templated(
                key, value, Location(path=CONF, line=line), exposed=key in exposed
            )
        )
    return app


SECRET_RULES = {"SPARK-002", "SPARK-004", "SPARK-005", "SPARK-038", "SPARK-050", "SPARK-075"}
RULES = {r.meta.id: r for r in all_rules()}


def check(rule_id: str, app: SparkApp, version: str | None = None) -> list[Outcome]:
    return list(RULES[rule_id].check(app, Context(Inventory(), version)))


def line_of(settings: dict[str, str], key: str) -> int:
    return list(settings).index(key) + 1


# (rule, settings, status, key whose line the outcome points at (None: the file), version)
Case = tuple[str, dict[str, str], Status, str | None, str | None]
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
    "004-fail-s3a": (
        "SPARK-004",
        {"spark.hadoop.fs.s3a.secret.key": "wJalrXUtnFEMI/K7MDENG"},
        Status.FAIL,
        "spark.hadoop.fs.s3a.secret.key",
        None,
    ),
    "004-fail-jws": (
        "SPARK-004",
        {JWS_KEY: "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDEy"},
        Status.FAIL,
        JWS_KEY,
        None,
    ),
    "004-fail-by-value": (
        "SPARK-004",
        {"spark.hadoop.fs.s3a.access.key.id": "AKIAIOSFODNN7EXAMPLE"},
        Status.FAIL,
        "spark.hadoop.fs.s3a.access.key.id",
        None,
    ),
    "004-pass": (
        "SPARK-004",
        {
            "spark.authenticate.secret.file": "/mnt/s",
            "spark.ui.filters": "org.apache.spark.ui.JWSFilter",
            "spark.ssl.enabledAlgorithms": "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256",
            "spark.io.encryption.keySizeBits": "256",
        },
        Status.PASS,
        None,
        None,
    ),
    "004-fail-numeric": (
        "SPARK-004",
        {"spark.hadoop.javax.jdo.option.ConnectionPassword": "123456"},
        Status.FAIL,
        "spark.hadoop.javax.jdo.option.ConnectionPassword",
        None,
    ),
    "005-fail": (
        "SPARK-005",
        {**K8S, "spark.kubernetes.authenticate.submission.oauthToken": "tok-abc"},
        Status.FAIL,
        "spark.kubernetes.authenticate.submission.oauthToken",
        None,
    ),
    "005-pass": (
        "SPARK-005",
        {**K8S, "spark.kubernetes.authenticate.submission.oauthTokenFile": "/t"},
        Status.PASS,
        None,
        None,
    ),
    "010-fail": (
        "SPARK-010",
        {"spark.network.crypto.enabled": "false"},
        Status.FAIL,
        "spark.network.crypto.enabled",
        None,
    ),
    "010-fail-no-auth": (
        "SPARK-010",
        {"spark.network.crypto.enabled": "true"},
        Status.FAIL,
        "spark.network.crypto.enabled",
        None,
    ),
    "010-fail-tls-rpc-old": (
        "SPARK-010",
        {"spark.ssl.rpc.enabled": "true"},
        Status.FAIL,
        "spark.ssl.rpc.enabled",
        "3.5.1",
    ),
    "010-pass-aes": ("SPARK-010", AES, Status.PASS, "spark.network.crypto.enabled", None),
    "010-pass-tls": (
        "SPARK-010",
        {"spark.ssl.rpc.enabled": "true"},
        Status.PASS,
        "spark.ssl.rpc.enabled",
        "4.0.0",
    ),
    "011-fail-default": ("SPARK-011", AES, Status.FAIL, None, None),
    "011-fail-ctr-old": (
        "SPARK-011",
        {**AES, "spark.network.crypto.cipher": "AES/CTR/NoPadding"},
        Status.FAIL,
        "spark.network.crypto.cipher",
        "3.5.1",
    ),
    "011-fail-gcm-bug": (
        "SPARK-011",
        {**AES, "spark.network.crypto.cipher": "AES/GCM/NoPadding"},
        Status.FAIL,
        "spark.network.crypto.cipher",
        "3.5.4",
    ),
    "011-fail-gcm-unsupported": (
        "SPARK-011",
        {**AES, "spark.network.crypto.cipher": "AES/GCM/NoPadding"},
        Status.FAIL,
        "spark.network.crypto.cipher",
        "3.4.1",
    ),
    "011-pass": (
        "SPARK-011",
        {**AES, "spark.network.crypto.cipher": "AES/GCM/NoPadding"},
        Status.PASS,
        "spark.network.crypto.cipher",
        "4.0.2",
    ),
    "011-pass-unknown-version": (
        "SPARK-011",
        {**AES, "spark.network.crypto.cipher": "aes/gcm/nopadding"},
        Status.PASS,
        "spark.network.crypto.cipher",
        None,
    ),
    "012-fail": ("SPARK-012", AES, Status.FAIL, None, None),
    "012-pass": (
        "SPARK-012",
        {**AES, "spark.network.crypto.authEngineVersion": "2"},
        Status.PASS,
        "spark.network.crypto.authEngineVersion",
        None,
    ),
    "013-fail": ("SPARK-013", AES, Status.FAIL, None, None),
    "013-pass": (
        "SPARK-013",
        {**AES, "spark.network.crypto.saslFallback": "false"},
        Status.PASS,
        "spark.network.crypto.saslFallback",
        None,
    ),
    "014-fail": (
        "SPARK-014",
        {"spark.authenticate.enableSaslEncryption": "true"},
        Status.FAIL,
        "spark.authenticate.enableSaslEncryption",
        None,
    ),
    "014-pass": (
        "SPARK-014",
        {"spark.authenticate.enableSaslEncryption": "false"},
        Status.PASS,
        "spark.authenticate.enableSaslEncryption",
        None,
    ),
    "015-fail": ("SPARK-015", AUTH, Status.FAIL, None, None),
    "015-pass": (
        "SPARK-015",
        {**AUTH, "spark.network.sasl.serverAlwaysEncrypt": "true"},
        Status.PASS,
        "spark.network.sasl.serverAlwaysEncrypt",
        None,
    ),
    "020-fail": (
        "SPARK-020",
        {"spark.io.encryption.enabled": "false"},
        Status.FAIL,
        "spark.io.encryption.enabled",
        None,
    ),
    "020-pass": (
        "SPARK-020",
        {"spark.io.encryption.enabled": "true"},
        Status.PASS,
        "spark.io.encryption.enabled",
        None,
    ),
    "021-fail": (
        "SPARK-021",
        {"spark.io.encryption.enabled": "true", "spark.io.encryption.keySizeBits": "128"},
        Status.FAIL,
        "spark.io.encryption.keySizeBits",
        None,
    ),
    "021-pass": (
        "SPARK-021",
        {"spark.io.encryption.enabled": "true", "spark.io.encryption.keySizeBits": "256"},
        Status.PASS,
        "spark.io.encryption.keySizeBits",
        None,
    ),
    "030-fail": (
        "SPARK-030",
        {"spark.ssl.enabled": "false"},
        Status.FAIL,
        "spark.ssl.enabled",
        None,
    ),
    "030-pass-inherited": ("SPARK-030", UI_TLS, Status.PASS, "spark.ssl.enabled", None),
    "030-fail-overridden": (
        "SPARK-030",
        {**UI_TLS, "spark.ssl.ui.enabled": "false"},
        Status.FAIL,
        "spark.ssl.ui.enabled",
        None,
    ),
    "030-pass-no-ui": (
        "SPARK-030",
        {"spark.ui.enabled": "false"},
        Status.PASS,
        "spark.ui.enabled",
        None,
    ),
    "031-fail": ("SPARK-031", HISTORY, Status.FAIL, None, None),
    "031-pass": (
        "SPARK-031",
        {**HISTORY, "spark.ssl.historyServer.enabled": "true"},
        Status.PASS,
        "spark.ssl.historyServer.enabled",
        None,
    ),
    "032-fail": ("SPARK-032", {"spark.master": "spark://m:7077"}, Status.FAIL, None, None),
    "032-pass": (
        "SPARK-032",
        {"spark.master": "spark://m:7077", "spark.ssl.standalone.enabled": "true"},
        Status.PASS,
        "spark.ssl.standalone.enabled",
        None,
    ),
    "033-fail": ("SPARK-033", UI_TLS, Status.FAIL, None, None),
    "033-pass": (
        "SPARK-033",
        {**UI_TLS, "spark.ssl.needClientAuth": "true"},
        Status.PASS,
        "spark.ssl.needClientAuth",
        None,
    ),
    "034-fail": ("SPARK-034", UI_TLS, Status.FAIL, None, None),
    "034-pass": (
        "SPARK-034",
        {**UI_TLS, "spark.ui.strictTransportSecurity": "max-age=31536000"},
        Status.PASS,
        "spark.ui.strictTransportSecurity",
        None,
    ),
    "035-fail-missing": ("SPARK-035", {"spark.ssl.enabled": "true"}, Status.FAIL, None, None),
    "035-fail-old": (
        "SPARK-035",
        {"spark.ssl.enabled": "true", "spark.ssl.ui.protocol": "TLSv1.1"},
        Status.FAIL,
        "spark.ssl.ui.protocol",
        None,
    ),
    "035-pass": ("SPARK-035", UI_TLS, Status.PASS, "spark.ssl.protocol", None),
    "036-fail-default": ("SPARK-036", UI_TLS, Status.FAIL, None, None),
    "036-fail-weak": (
        "SPARK-036",
        {**UI_TLS, "spark.ssl.enabledAlgorithms": "TLS_RSA_WITH_AES_128_GCM_SHA256"},
        Status.FAIL,
        "spark.ssl.enabledAlgorithms",
        None,
    ),
    "036-pass": (
        "SPARK-036",
        {
            **UI_TLS,
            "spark.ssl.enabledAlgorithms": AEAD_SUITES,
        },
        Status.PASS,
        "spark.ssl.enabledAlgorithms",
        None,
    ),
    "037-fail": ("SPARK-037", UI_TLS, Status.FAIL, None, None),
    "037-pass": (
        "SPARK-037",
        {**UI_TLS, "spark.ssl.keyStoreType": "PKCS12"},
        Status.PASS,
        "spark.ssl.keyStoreType",
        None,
    ),
    "038-fail": (
        "SPARK-038",
        {**UI_TLS, "spark.ssl.ui.keyStorePassword": "changeit"},
        Status.FAIL,
        "spark.ssl.ui.keyStorePassword",
        None,
    ),
    "038-pass": (
        "SPARK-038",
        {**UI_TLS, "spark.hadoop.hadoop.security.credential.provider.path": "jceks://file/p.jceks"},
        Status.PASS,
        "spark.hadoop.hadoop.security.credential.provider.path",
        None,
    ),
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
    "050-fail": (
        "SPARK-050",
        {AZURE_KEY: "q3N1Yk8vZ2h0K0xNcFd6RXJ0eVU5aW9QbEtqSGdGZERzQWxaeENWYm5NMTIzNDU2Nzg5MGFiY2Q="},
        Status.FAIL,
        AZURE_KEY,
        None,
    ),
    "050-fail-custom-regex": (
        "SPARK-050",
        {"spark.redaction.regex": "(?i)password", "spark.hadoop.fs.s3a.secret.key": "abc-def-ghi"},
        Status.FAIL,
        "spark.hadoop.fs.s3a.secret.key",
        None,
    ),
    "050-pass": (
        "SPARK-050",
        {"spark.hadoop.fs.s3a.secret.key": "abc-def-ghi"},
        Status.PASS,
        None,
        None,
    ),
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


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_rule_case(case: str) -> None:
    rule_id, settings, status, key, version = CASES[case]
    outcomes = check(rule_id, make_app(settings), version)
    assert [o.status for o in outcomes] == [status], [o.message for o in outcomes]
    [outcome] = outcomes
    expected_line = None if key is None else line_of(settings, key)
    assert outcome.location.path == CONF
    assert outcome.location.line == expected_line
    for evidence in outcome.evidence:
        raw = settings.get(evidence.key or "")
        if raw and evidence.key and ("secret" in evidence.key.lower() or "pass" in evidence.key):
            assert evidence.shown == (raw if is_reference(raw) else MASK)
    if rule_id in SECRET_RULES and status is Status.FAIL:
        assert outcome.evidence and all(e.shown == MASK for e in outcome.evidence)


def test_every_spark_rule_has_a_failing_and_a_passing_case() -> None:
    spark_rules = {rid for rid in RULES if rid.startswith("SPARK-")}
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
        ("spark.hadoop.fs.s3a.secret.key", "CANARY-s3-4"),
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


def test_templated_secret_on_command_line_is_still_exposed() -> None:
    app = make_app(
        {"spark.authenticate.secret": "$PW"}, exposed=frozenset({"spark.authenticate.secret"})
    )
    [o] = check("SPARK-002", app)
    assert o.status is Status.FAIL and o.severity is not None and o.severity.value == "critical"
    assert [e.shown for e in o.evidence] == ["$PW"]


def test_k8s_rules_stay_silent_off_kubernetes() -> None:
    app = make_app({"spark.master": "yarn", **AUTH, "spark.kubernetes.driverEnv.PASSWORD": "x"})
    for rid in ("SPARK-003", "SPARK-070", "SPARK-071", "SPARK-072", "SPARK-075", "SPARK-076"):
        assert check(rid, app) == [], rid


def test_kerberos_and_history_rules_stay_silent_without_their_settings() -> None:
    app = make_app({**K8S})
    for rid in ("SPARK-031", "SPARK-043", "SPARK-060", "SPARK-061", "SPARK-062", "SPARK-063"):
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


def test_cipher_advice_follows_the_image_tag() -> None:
    settings = {**AES, "spark.kubernetes.container.image": "apache/spark:3.5.1-scala2.12-java17"}
    [o] = check("SPARK-011", make_app(settings))
    assert o.status is Status.FAIL and "3.5.1" in o.message and "upgrade" in o.message
    [o] = check("SPARK-011", make_app(settings), version="4.1.1")
    assert o.status is Status.FAIL and "upgrade" not in o.message


def test_gcm_message_drop_bug_is_low() -> None:
    settings = {**AES, "spark.network.crypto.cipher": "AES/GCM/NoPadding"}
    [o] = check("SPARK-011", make_app(settings), version="4.0.0")
    assert o.status is Status.FAIL and o.severity is not None and o.severity.value == "low"
    assert "SPARK-56227" in o.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5.1", (3, 5, 1)),
        ("v4.0", (4, 0, 0)),
        ("3.5.1-scala2.12-java17-python3-ubuntu", (3, 5, 1)),
        ("4.0.0-preview2", (4, 0, 0)),
        ("latest", None),
        ("3", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, int, int] | None) -> None:
    v = parse_version(text)
    assert (None if v is None else (v.major, v.minor, v.patch)) == expected


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("apache/spark:3.5.1-scala2.12-java17", "3.5.1-scala2.12-java17"),
        ("registry.local:5000/team/spark:4.0.2@sha256:abcd", "4.0.2"),
        ("gcr.io/spark-operator/spark:v3.1.1", "v3.1.1"),
        ("myrepo/spark-py:spark-3.4.4", "3.4.4"),
        ("intelanalytics/bigdl-ppml-trusted-big-data-ml-python-gramine:2.4.0", None),
        ("apache/spark", None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


def test_version_precedence() -> None:
    app = make_app(
        {"spark.kubernetes.container.image": "apache/spark:3.5.1"}, spark_version="3.4.4"
    )
    assert str(spark_version(app, "4.0.1")) == "4.0.1"
    assert str(spark_version(app, None)) == "3.4.4"
    app.spark_version = None
    assert str(spark_version(app, None)) == "3.5.1"
    templated = make_app({"spark.kubernetes.container.image": "apache/spark:${TAG}"})
    assert spark_version(templated, None) is None


# --- through `triplock audit` ---------------------------------------------------------------


def lines_of(path: Path) -> dict[str, int]:
    """key -> line number in a simple `key value` properties file."""
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            out[line.split()[0]] = n
    return out


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


def test_audit_spark_version_option_changes_advice() -> None:
    path = FIXTURES / "insecure" / "spark-defaults.conf"
    old = run_cli("audit", str(path), "--format", "json", "--spark-version", "3.3.2")
    [f] = findings_of(old, "SPARK-011", "fail")
    assert "3.3.2" in f["message"]


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


def test_ui_filter_fix_follows_the_version() -> None:
    [old] = check("SPARK-040", make_app({}), version="3.5.1")
    [new] = check("SPARK-040", make_app({}), version="4.0.0")
    assert old.fix is not None and old.fix.action is FixAction.MANUAL
    assert new.fix is not None and new.fix.value == "org.apache.spark.ui.JWSFilter"
