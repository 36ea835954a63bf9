"""The Spark UI TLS provider: a PKCS12 keystore whose chain verifies up to the CA in the
truststore (a new one, or the one --ca names), passwords only in the 0600 env file the settings
reference, Kubernetes pods given the stores as a mounted Secret; without --secrets-dir the UI's
TLS is not switched on without a keystore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.helpers import run_cli, write
from triplock.keys import certs

OFF = "spark.master spark://m:7077\nspark.ssl.ui.enabled false\n"


def _fix(conf: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("fix", "--write", "-f", "json", "--only", "SPARK-030", *extra, str(conf))
    return result.code, json.loads(result.out), result.out + result.err


def _env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_a_new_ca_signs_a_keystore_the_settings_open_with_env_passwords(tmp_path: Path) -> None:
    conf = write(tmp_path / "d", "spark-defaults.conf", OFF)
    secrets = tmp_path / "secrets"
    code, report, shown = _fix(conf, "--secrets-dir", str(secrets))
    assert code == 0, shown
    tls = secrets / "spark-tls"
    passwords = _env(tls / "spark-tls.env")
    text = conf.read_text()
    assert "spark.ssl.ui.enabled true\n" in text
    assert f"spark.ssl.ui.keyStore {tls}/keystore.p12\n" in text
    assert "spark.ssl.ui.keyStorePassword ${env:SPARK_SSL_KEY_STORE_PASSWORD}\n" in text
    assert "spark.ssl.ui.protocol TLSv1.3\n" in text
    assert not any(p in text + shown for p in passwords.values())
    key, leaf, chain = pkcs12.load_key_and_certificates(
        (tls / "keystore.p12").read_bytes(), passwords["SPARK_SSL_KEY_STORE_PASSWORD"].encode()
    )
    assert key is not None and leaf is not None
    root = certs.load_certs((tls / "ca.pem").read_bytes())[0]
    (intermediate,) = chain
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    trusted = pkcs12.load_pkcs12(
        (tls / "truststore.p12").read_bytes(), passwords["SPARK_SSL_TRUST_STORE_PASSWORD"].encode()
    )
    assert [c.certificate for c in trusted.additional_certs] == [root]
    for name in ("keystore.p12", "truststore.p12", "spark-tls.env", "ca.key", "intermediate.key"):
        assert (tls / name).stat().st_mode & 0o777 == 0o600
    assert all(r["rule_id"] != "SPARK-030" for r in report["remaining"])
    again = run_cli(
        "fix", "--write", "--only", "SPARK-030", "--secrets-dir", str(secrets), str(conf)
    )
    assert conf.read_text() == text and "generated" not in again.err  # reused, not remade


def test_the_ca_given_with_ca_signs_and_no_ca_is_made(tmp_path: Path) -> None:
    ca_key = certs.new_key("ec")
    ca = certs.root_ca(ca_key, "Example Corp CA")
    ca_pem = write(tmp_path, "ca/ca.pem", certs.cert_pem(ca).decode())
    ca_key_file = write(tmp_path, "ca/ca.key", certs.key_pem(ca_key).decode(), mode=0o600)
    conf = write(tmp_path / "d", "spark-defaults.conf", OFF)
    secrets = tmp_path / "secrets"
    code, _, shown = _fix(conf, "--secrets-dir", str(secrets), "--ca", f"{ca_pem},{ca_key_file}")
    assert code == 0, shown
    tls = secrets / "spark-tls"
    assert not (tls / "ca.key").exists()
    password = _env(tls / "spark-tls.env")["SPARK_SSL_KEY_STORE_PASSWORD"]
    _, leaf, chain = pkcs12.load_key_and_certificates(
        (tls / "keystore.p12").read_bytes(), password.encode()
    )
    assert leaf is not None and chain == [ca]
    leaf.verify_directly_issued_by(ca)


def test_kubernetes_pods_get_the_stores_as_a_secret_and_passwords_as_env(tmp_path: Path) -> None:
    conf = write(tmp_path / "d", "spark-defaults.conf", "spark.master k8s://https://api:6443\n")
    secrets = tmp_path / "secrets"
    code, _, shown = _fix(conf, "--secrets-dir", str(secrets))
    assert code == 0, shown
    text = conf.read_text()
    assert "spark.ssl.ui.keyStore /mnt/secrets/spark-tls/keystore.p12\n" in text
    assert "spark.kubernetes.driver.secrets.spark-tls /mnt/secrets/spark-tls\n" in text
    assert (
        "spark.kubernetes.driver.secretKeyRef.SPARK_SSL_KEY_STORE_PASSWORD "
        "spark-tls:key-store-password\n"
    ) in text
    manifest = yaml.safe_load((secrets / "spark-tls" / "spark-tls-secret.yaml").read_text())
    assert set(manifest["data"]) == {
        "keystore.p12",
        "truststore.p12",
        "key-store-password",
        "trust-store-password",
    }


def test_without_secrets_dir_ui_tls_is_not_switched_on_without_a_keystore(tmp_path: Path) -> None:
    conf = write(tmp_path / "d", "spark-defaults.conf", OFF)
    _, report, _ = _fix(conf)
    assert conf.read_text() == OFF  # before: spark.ssl.ui.enabled true with no keystore
    whys = {r["rule_id"]: r["why"] for r in report["remaining"]}
    assert whys["SPARK-030"].startswith("needs --secrets-dir")
