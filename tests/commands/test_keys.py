"""`triplock keys`: outputs, modes, no overwrite, and no secret on stdout or stderr unless asked."""

from __future__ import annotations

import base64
import errno
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers import need, run_cli
from tests.keys.conftest import FAST_SCRYPT, PASSPHRASE


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
    assert refused.code == 2 and "--show-secret" in refused.err
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


def _kms_args(tmp_path: Path, ring: str = "ring.json") -> list[str]:
    secret = tmp_path / "pass"
    if not secret.exists():
        secret.write_text(PASSPHRASE)
        secret.chmod(0o600)
    return ["--kms", f"file:{tmp_path / ring}", "--kms-secret-file", str(secret)]


def test_init_force_twice_cannot_destroy_the_keyring(tmp_path: Path) -> None:
    """The issue's repro: init, encrypt, init --force, init --force."""
    kms = _kms_args(tmp_path)
    assert run_cli("keys", "kms", "init", *kms, "--scrypt-n", FAST_SCRYPT).code == 0
    (tmp_path / "data").write_bytes(b"payload")
    assert run_cli("encrypt", str(tmp_path / "data"), *kms).code == 0
    ring = tmp_path / "ring.json"
    before = ring.read_bytes()
    keyring_id = json.loads(before)["keyring_id"]
    for _ in range(2):
        forced = run_cli("keys", "kms", "init", *kms, "--force", "--scrypt-n", FAST_SCRYPT)
        assert forced.code == 2 and "refusing to replace the keyring" in forced.err
        assert keyring_id not in forced.err  # to be read from the file, not copied by a script
    assert ring.read_bytes() == before
    replaced = run_cli(
        "keys", "kms", "init", *kms, "--force", "--destroy-keyring", keyring_id,
        "--scrypt-n", FAST_SCRYPT,
    )  # fmt: skip
    assert replaced.code == 0, replaced.err
    wrong = run_cli("decrypt", str(tmp_path / "data.tlk"), "-o", str(tmp_path / "out"), *kms)
    assert (
        wrong.code == 1
        and f"wrong keyring: the data key was wrapped by keyring {keyring_id}" in wrong.err
    )
    (backup,) = tmp_path.glob("ring.json.*.bak")
    assert backup.read_bytes() == before and mode(backup) == 0o600
    kept = _kms_args(tmp_path, backup.name)
    restored = run_cli("decrypt", str(tmp_path / "data.tlk"), "-o", str(tmp_path / "out"), *kept)
    assert restored.code == 0, restored.err
    assert (tmp_path / "out").read_bytes() == b"payload"


def test_k8s_secret_namespace_must_be_an_rfc1123_label(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("x")
    for bad in ("Bad_NS!", "-ns", "ns-", "a" * 64, "ns\n", "UPPER"):
        result = run_cli(
            "keys", "k8s-secret", "--name", "n", f"--namespace={bad}",
            "--from-file", str(tmp_path / "s"), "--out", str(tmp_path / "m.yaml"),
        )  # fmt: skip
        assert result.code == 2 and "not a valid namespace" in result.err, bad
        assert not (tmp_path / "m.yaml").exists()
    good = run_cli(
        "keys", "k8s-secret", "--name", "n", "--namespace", "spark-jobs",
        "--from-file", str(tmp_path / "s"), "--out", str(tmp_path / "m.yaml"),
    )  # fmt: skip
    assert good.code == 0, good.err


def test_a_passphrase_file_others_can_read_gets_a_warning(tmp_path: Path) -> None:
    kms = _kms_args(tmp_path)
    quiet = run_cli("keys", "kms", "init", *kms, "--scrypt-n", FAST_SCRYPT)
    assert quiet.code == 0 and "warning" not in quiet.err
    (tmp_path / "pass").chmod(0o644)
    loud = run_cli("keys", "kms", "rotate", *kms)
    assert loud.code == 0
    assert f"warning: {tmp_path / 'pass'} is readable by others" in loud.err
    assert "0644" in loud.err and PASSPHRASE not in loud.err


def test_keystore_with_a_missing_ca_cert_writes_nothing(tmp_path: Path) -> None:
    make_pki(tmp_path)
    out = tmp_path / "out"
    before = set(out.iterdir())
    missing = tmp_path / "MISSING.pem"
    result = run_cli(
        "keys", "keystore", "--key", str(out / "api.key"), "--chain", str(out / "api.pem"),
        "--out", str(out / "api.p12"), "--truststore", str(out / "trust.p12"),
        "--ca-cert", str(missing),
    )  # fmt: skip
    assert result.code == 2
    assert result.err.strip() == f"triplock: error: {missing}: No such file or directory"
    assert set(out.iterdir()) == before


def test_directories_keys_creates_are_0700_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        assert run_cli("keys", "ca", "--out", str(tmp_path / "ca")).code == 0
        assert run_cli("keys", "secret", "--out", str(tmp_path / "secrets" / "a" / "s")).code == 0
        kms = ["--kms", f"file:{tmp_path / 'kms' / 'ring.json'}"]
        (tmp_path / "pass").write_text(PASSPHRASE)
        init = run_cli(
            "keys", "kms", "init", *kms, "--kms-secret-file", str(tmp_path / "pass"),
            "--scrypt-n", FAST_SCRYPT,
        )  # fmt: skip
        assert init.code == 0, init.err
    finally:
        os.umask(old)
    for d in ("ca", "secrets", "secrets/a", "kms"):
        assert mode(tmp_path / d) == 0o700, d
    assert mode(tmp_path / "ca" / "root.key") == 0o600
    assert mode(tmp_path / "ca" / "root.pem") == 0o644


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs filled up but for one page: the second file of a CA does not fit."""
    need(os.geteuid() == 0, "root, to mount a tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], check=True)
    try:
        pads = []
        try:
            while True:
                pads.append(disk / f"pad{len(pads)}")
                pads[-1].write_bytes(b"x" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        pads[0].unlink()
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_leaves_no_half_written_ca(small_disk: Path) -> None:
    result = run_cli("keys", "ca", "--out", str(small_disk / "ca"))
    assert result.code == 2
    assert "None" not in result.err
    assert f"{small_disk / 'ca'}/" in result.err and "No space left on device" in result.err
    assert list((small_disk / "ca").iterdir()) == []
