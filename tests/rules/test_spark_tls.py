"""Spark rules of rules/spark_tls.py (UI TLS, protocols, suites, keystores)."""

from __future__ import annotations

from tests.helpers.spark_rules import (
    AEAD_SUITES,
    HISTORY,
    UI_TLS,
    Case,
    case_tests,
)
from triplock.model import Status

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
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests("spark_tls", CASES)
