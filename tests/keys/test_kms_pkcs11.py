"""The PKCS#11 backend against a real SoftHSM2 token created by the fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.helpers.keys import Token
from triplock.keys.kms.interface import KmsError, KmsSpec, generate_data_key, open_kms, rewrap


def spec(token: Token, key_id: str = "triplock") -> KmsSpec:
    return KmsSpec(
        "pkcs11", token.label, secret_file=str(token.pin_file), module=token.module, key_id=key_id
    )


def test_wrong_pin_and_missing_token(softhsm: Token, tmp_path: Path) -> None:
    # Runs first: a PKCS#11 login lasts for the process, after which no PIN is asked.
    bad = tmp_path / "pin"
    bad.write_text("000000")
    wrong = KmsSpec("pkcs11", softhsm.label, secret_file=str(bad), module=softhsm.module)
    with pytest.raises(KmsError, match="wrong PIN"):
        open_kms(wrong)
    with pytest.raises(KmsError, match="no PKCS#11 token"):
        open_kms(KmsSpec("pkcs11", "absent", secret_file=str(bad), module=softhsm.module))


def test_wrap_rotate_rewrap_in_the_hsm(softhsm: Token) -> None:
    kms = open_kms(spec(softhsm, "hsm-test"))
    assert kms.primary_version == 1
    key, wrapped = generate_data_key(kms, b"ctx")
    assert kms.unwrap(wrapped, b"ctx") == key
    with pytest.raises(KmsError, match="failed authentication"):
        kms.unwrap(wrapped, b"other")
    assert kms.rotate() == 2
    again = open_kms(spec(softhsm, "hsm-test"))
    assert again.primary_version == 2
    assert again.unwrap(wrapped, b"ctx") == key
    moved = rewrap(again, wrapped, b"ctx")
    assert moved.version == 2 and again.unwrap(moved, b"ctx") == key


def test_hsm_keys_are_not_extractable(softhsm: Token) -> None:
    import pkcs11

    kms = open_kms(spec(softhsm, "extract-test"))
    obj = kms._keys[kms.primary_version]  # type: ignore[attr-defined]
    assert obj[pkcs11.Attribute.SENSITIVE] is True
    assert obj[pkcs11.Attribute.EXTRACTABLE] is False


def test_cli_envelope_through_the_hsm(softhsm: Token, tmp_path: Path) -> None:
    kms = [
        "--kms", f"pkcs11:{softhsm.label}", "--kms-secret-file", str(softhsm.pin_file),
        "--pkcs11-module", softhsm.module, "--key-id", "cli-test",
    ]  # fmt: skip
    init = run_cli("keys", "kms", "init", *kms)
    assert init.code == 0, init.err
    assert softhsm.pin_file.read_text() not in init.out + init.err
    (tmp_path / "f").write_bytes(b"hsm protected" * 1000)
    assert run_cli("encrypt", str(tmp_path / "f"), *kms).code == 0
    assert run_cli("keys", "kms", "rotate", *kms).code == 0
    rewrap = run_cli("keys", "kms", "rewrap", *kms, str(tmp_path / "f.tlk"))
    assert rewrap.code == 0 and "rewrapped 1 of 1" in rewrap.out
    result = run_cli("decrypt", str(tmp_path / "f.tlk"), "-o", str(tmp_path / "g"), *kms)
    assert result.code == 0, result.err
    assert (tmp_path / "g").read_bytes() == b"hsm protected" * 1000
