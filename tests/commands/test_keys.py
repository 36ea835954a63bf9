"""`triplock keys`: outputs, modes, no overwrite, and no secret on stdout or stderr unless asked."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import yaml

from tests.helpers import run_cli
from tests.helpers.keys import FAST_SCRYPT, PASSPHRASE


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_pki(tmp: Path) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp / "ca"), "--org", "Example").code == 0
    result = run_cli(
        "keys", "cert", "--ca", str(tmp / "ca"), "--out", str(tmp / "out"), "--name", "api",
        "--san", "api.example", "--usage", "both",
    )  # fmt: skip
    assert result.code == 0, result.err


def test_ca_and_cert_write_private_keys_0600(tmp_path: Path) -> None:
    make_pki(tmp_path)
    for key in ("ca/root.key", "ca/intermediate.key", "out/api.key"):
        assert mode(tmp_path / key) == 0o600, key
    for cert in ("ca/root.pem", "out/api.pem", "out/ca.pem"):
        assert mode(tmp_path / cert) == 0o644, cert


def test_nothing_secret_is_printed(tmp_path: Path) -> None:
    make_pki(tmp_path)
    out = tmp_path / "out"
    result = run_cli(
        "keys", "keystore", "--key", str(out / "api.key"), "--chain", str(out / "api.pem"),
        "--out", str(out / "api.p12"), "--truststore", str(out / "trust.p12"),
    )  # fmt: skip
    assert result.code == 0, result.err
    secret = run_cli("keys", "secret", "--out", str(tmp_path / "auth.secret"))
    assert secret.code == 0
    printed = result.out + result.err + secret.out + secret.err
    for path in (out / "api.p12.pass", out / "trust.p12.pass", tmp_path / "auth.secret"):
        assert mode(path) == 0o600
        assert path.read_text() not in printed
    assert "PRIVATE KEY" not in printed


def test_show_flags_print_on_request(tmp_path: Path) -> None:
    result = run_cli("keys", "secret", "--out", str(tmp_path / "s"), "--show")
    assert result.code == 0
    assert (tmp_path / "s").read_text() in result.out


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    assert run_cli("keys", "secret", "--out", str(tmp_path / "s")).code == 0
    first = (tmp_path / "s").read_text()
    again = run_cli("keys", "secret", "--out", str(tmp_path / "s"))
    assert again.code == 2 and "--force" in again.err and "Traceback" not in again.err
    assert (tmp_path / "s").read_text() == first
    assert run_cli("keys", "secret", "--out", str(tmp_path / "s"), "--force").code == 0
    assert (tmp_path / "s").read_text() != first


def test_k8s_secret_manifest_to_file_only(tmp_path: Path) -> None:
    (tmp_path / "auth").write_text("value-not-to-print")
    result = run_cli(
        "keys", "k8s-secret", "--name", "spark-auth", "--namespace", "spark",
        "--from-file", f"secret={tmp_path / 'auth'}", "--out", str(tmp_path / "secret.yaml"),
    )  # fmt: skip
    assert result.code == 0, result.err
    encoded = base64.b64encode(b"value-not-to-print").decode()
    assert encoded not in result.out and "value-not-to-print" not in result.out
    assert mode(tmp_path / "secret.yaml") == 0o600
    doc = yaml.safe_load((tmp_path / "secret.yaml").read_text())
    assert doc["data"]["secret"] == encoded
    refused = run_cli("keys", "k8s-secret", "--name", "x", "--from-file", str(tmp_path / "auth"))
    assert refused.code == 2 and "--stdout" in refused.err
    shown = run_cli(
        "keys", "k8s-secret", "--name", "x", "--from-file", str(tmp_path / "auth"), "--stdout"
    )
    assert encoded in shown.out


def test_cert_lifetime_is_bounded(tmp_path: Path) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp_path / "ca")).code == 0
    result = run_cli(
        "keys", "cert", "--ca", str(tmp_path / "ca"), "--out", str(tmp_path), "--name", "x",
        "--san", "x", "--days", "9999",
    )  # fmt: skip
    assert result.code == 2 and "398" in result.err


def test_missing_ca_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(
        "keys", "cert", "--ca", str(tmp_path / "nope"), "--out", str(tmp_path), "--name", "x",
        "--san", "x",
    )  # fmt: skip
    assert result.code == 2 and "not a triplock CA directory" in result.err


def test_kms_init_rotate_rewrap(tmp_path: Path) -> None:
    (tmp_path / "pass").write_text(PASSPHRASE)
    kms = ["--kms", f"file:{tmp_path / 'ring.json'}", "--kms-secret-file", str(tmp_path / "pass")]
    init = run_cli("keys", "kms", "init", *kms, "--scrypt-n", FAST_SCRYPT)
    assert init.code == 0, init.err
    assert PASSPHRASE not in init.out + init.err
    (tmp_path / "data").write_bytes(b"payload")
    assert run_cli("encrypt", str(tmp_path / "data"), *kms).code == 0
    rotated = run_cli("keys", "kms", "rotate", *kms)
    assert rotated.code == 0 and "version 2" in rotated.out
    rewrapped = run_cli("keys", "kms", "rewrap", *kms, str(tmp_path))
    assert rewrapped.code == 0, rewrapped.err
    assert "rewrapped 1 of 1" in rewrapped.out
    (tmp_path / "data").unlink()
    assert run_cli("decrypt", str(tmp_path / "data.tlk"), *kms).code == 0
    assert (tmp_path / "data").read_bytes() == b"payload"


def test_kms_without_a_secret_is_a_usage_error(tmp_path: Path, monkeypatch: object) -> None:
    result = run_cli("keys", "kms", "init", "--kms", f"file:{tmp_path / 'r.json'}")
    assert result.code == 2 and "passphrase" in result.err
    assert run_cli("keys", "kms", "init").code == 2


def test_audit_opens_generated_stores_with_their_password_files(tmp_path: Path) -> None:
    """`keys keystore` writes one password file per store; `audit` takes them all."""
    ca, tls = tmp_path / "ca", tmp_path / "tls"
    assert run_cli("keys", "ca", "--out", str(ca)).code == 0
    assert (
        run_cli(
            "keys", "cert", "--ca", str(ca), "--out", str(tls), "--name", "ui", "--san", "localhost"
        ).code
        == 0
    )
    assert (
        run_cli(
            "keys",
            "keystore",
            "--key",
            str(tls / "ui.key"),
            "--chain",
            str(tls / "ui.pem"),
            "--out",
            str(tls / "ks.p12"),
            "--truststore",
            str(tls / "trust.p12"),
            "--ca-cert",
            str(ca / "root.pem"),
        ).code
        == 0
    )
    result = run_cli(
        "audit",
        str(tls),
        "--format",
        "json",
        "--keystore-password-file",
        str(tls / "ks.p12.pass"),
        "--keystore-password-file",
        str(tls / "trust.p12.pass"),
    )
    statuses = {(f["rule_id"], f["status"]) for f in result.json()["findings"]}
    assert ("CERT-013", "unknown") not in statuses
    assert not [f for f in result.json()["findings"] if f["status"] == "fail"]
