"""Spark rules of rules/spark_encryption.py (RPC and local storage encryption)."""

from __future__ import annotations

from tests.helpers import findings_of, run_cli
from tests.helpers.spark_rules import (
    AES,
    AUTH,
    FIXTURES,
    Case,
    case_tests,
    check,
    make_app,
)
from triplock.model import Status

CASES: dict[str, Case] = {
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
}


test_rule_case, test_every_rule_has_a_failing_and_a_passing_case = case_tests(
    "spark_encryption", CASES
)


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


def test_audit_spark_version_option_changes_advice() -> None:
    path = FIXTURES / "insecure" / "spark-defaults.conf"
    old = run_cli("audit", str(path), "--format", "json", "--spark-version", "3.3.2")
    [f] = findings_of(old, "SPARK-011", "fail")
    assert "3.3.2" in f["message"]
