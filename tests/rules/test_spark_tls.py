"""Spark rules of rules/spark_tls.py (UI TLS, protocols, suites, keystores)."""

from __future__ import annotations

from tests.helpers.spark_rules import (
    AEAD_SUITES,
    HISTORY,
    UI_TLS,
    Case,
    case_tests,
    check,
    make_app,
)
from triplock.model import FixAction, Status

# TLS on for the UI alone: Spark's SSLOptions.parse then reads no spark.ssl.PROP for it
# (the spark.ssl defaults are empty unless spark.ssl.enabled=true).
UI_ONLY = {"spark.ssl.ui.enabled": "true"}
UNSURE = {**UI_ONLY, "spark.ssl.enabled": "${SSL_ON}"}

CASES: dict[str, Case] = {
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
    "034-fail-short": (
        "SPARK-034",
        {**UI_TLS, "spark.ui.strictTransportSecurity": "max-age=300"},
        Status.FAIL,
        "spark.ui.strictTransportSecurity",
        None,
    ),
    "034-unknown-templated": (
        "SPARK-034",
        {**UI_TLS, "spark.ui.strictTransportSecurity": "${HSTS}"},
        Status.UNKNOWN,
        "spark.ui.strictTransportSecurity",
        None,
    ),
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
    "035-fail-not-inherited": (
        "SPARK-035",
        {**UI_ONLY, "spark.ssl.protocol": "TLSv1.3"},
        Status.FAIL,
        "spark.ssl.protocol",
        None,
    ),
    "035-pass-own": (
        "SPARK-035",
        {**UI_ONLY, "spark.ssl.ui.protocol": "TLSv1.3"},
        Status.PASS,
        "spark.ssl.ui.protocol",
        None,
    ),
    "035-unknown-inheritance": (
        "SPARK-035",
        {**UNSURE, "spark.ssl.protocol": "TLSv1.3"},
        Status.UNKNOWN,
        "spark.ssl.protocol",
        None,
    ),
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
    "036-fail-not-inherited": (
        "SPARK-036",
        {**UI_ONLY, "spark.ssl.enabledAlgorithms": AEAD_SUITES},
        Status.FAIL,
        "spark.ssl.enabledAlgorithms",
        None,
    ),
    "033-fail-not-inherited": (
        "SPARK-033",
        {**UI_ONLY, "spark.ssl.needClientAuth": "true"},
        Status.FAIL,
        "spark.ssl.needClientAuth",
        None,
    ),
    "037-fail": ("SPARK-037", UI_TLS, Status.FAIL, None, None),
    "037-fail-jks-file-typed-pkcs12": (
        "SPARK-037",
        {**UI_TLS, "spark.ssl.keyStore": "/k/keystore.jks", "spark.ssl.keyStoreType": "PKCS12"},
        Status.FAIL,
        "spark.ssl.keyStore",
        None,
    ),
    "037-pass-p12-file": (
        "SPARK-037",
        {**UI_TLS, "spark.ssl.keyStore": "/k/keystore.p12"},
        Status.PASS,
        None,
        None,
    ),
    "037-fail-type-not-inherited": (
        "SPARK-037",
        {**UI_ONLY, "spark.ssl.keyStoreType": "PKCS12"},
        Status.FAIL,
        "spark.ssl.keyStoreType",
        None,
    ),
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
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests("spark_tls", CASES)


def test_a_fix_sets_the_key_spark_reads_for_the_namespace() -> None:
    (generic,) = check("SPARK-035", make_app({**UI_TLS, "spark.ssl.protocol": "TLSv1"}))
    (own,) = check("SPARK-035", make_app({**UI_ONLY, "spark.ssl.protocol": "TLSv1.3"}))
    assert generic.fix is not None and generic.fix.target == "spark.ssl.protocol"
    assert own.fix is not None and own.fix.target == "spark.ssl.ui.protocol"
    assert "spark.ssl.protocol is not read there" in own.message


def test_the_keystore_type_follows_the_file() -> None:
    typed = {**UI_TLS, "spark.ssl.keyStoreType": "JKS"}
    (p12,) = check("SPARK-037", make_app({**typed, "spark.ssl.keyStore": "/k/ui.p12"}))
    (none_yet,) = check("SPARK-037", make_app(typed))
    (jks,) = check("SPARK-037", make_app({**UI_TLS, "spark.ssl.keyStore": "/k/keystore.jks"}))
    assert p12.status is Status.PASS  # the JDK loads a PKCS12 file whatever the type says
    assert none_yet.fix is not None
    assert (none_yet.fix.action, none_yet.fix.value) == (FixAction.SET, "PKCS12")
    assert jks.fix is not None and jks.fix.action is FixAction.MANUAL
    assert "-destkeystore /k/keystore.p12" in jks.fix.target
    assert "spark.ssl.keyStore=/k/keystore.p12 and spark.ssl.keyStoreType=PKCS12" in jks.fix.target
