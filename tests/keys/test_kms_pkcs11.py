"""The PKCS#11 backend against a real SoftHSM2 token created by the fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.keys.conftest import Token
from triplock.keys.kms import create_kms, open_kms
from triplock.keys.kms.interface import (
    CreateOptions,
    KmsError,
    KmsSpec,
    generate_data_key,
    rewrap,
)


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
    kms = create_kms(spec(softhsm, "hsm-test"), CreateOptions())
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

    kms = create_kms(spec(softhsm, "extract-test"), CreateOptions())
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


def _token_objects(token: Token) -> list[str]:
    """Every object on the token, by label (read through PKCS#11 directly)."""
    import pkcs11

    tok = pkcs11.lib(token.module).get_token(token_label=token.label)
    try:
        session = tok.open(user_pin=token.pin_file.read_text())
    except pkcs11.UserAlreadyLoggedIn:
        session = tok.open()
    with session:
        return sorted(str(o[pkcs11.Attribute.LABEL]) for o in session.get_objects())


def test_a_mistyped_key_id_fails_and_leaves_the_token_unchanged(
    softhsm: Token, tmp_path: Path
) -> None:
    kms = [
        "--kms", f"pkcs11:{softhsm.label}", "--kms-secret-file", str(softhsm.pin_file),
        "--pkcs11-module", softhsm.module,
    ]  # fmt: skip
    assert run_cli("keys", "kms", "init", *kms, "--key-id", "typo-test").code == 0
    (tmp_path / "f").write_bytes(b"data")
    assert run_cli("encrypt", str(tmp_path / "f"), *kms, "--key-id", "typo-test").code == 0
    before = _token_objects(softhsm)
    for command in (
        ("decrypt", str(tmp_path / "f.tlk"), "-o", str(tmp_path / "g")),
        ("encrypt", str(tmp_path / "f"), "-o", str(tmp_path / "h.tlk")),
        ("keys", "kms", "rotate"),
    ):
        result = run_cli(*command, *kms, "--key-id", "typo-tesT")
        assert result.code == 2, command
        assert "holds no key 'typo-tesT'" in result.err and "kms init" in result.err
    assert _token_objects(softhsm) == before
    assert not (tmp_path / "g").exists() and not (tmp_path / "h.tlk").exists()
    again = run_cli("keys", "kms", "init", *kms, "--key-id", "typo-test")
    assert again.code == 2 and "already holds key 'typo-test'" in again.err
    assert _token_objects(softhsm) == before


def test_hsm_keys_encrypt_and_decrypt_only(softhsm: Token) -> None:
    import pkcs11

    kms = create_kms(spec(softhsm, "usage-test"), CreateOptions())
    kms.rotate()
    for version in kms.versions:
        obj = kms._keys[version]  # type: ignore[attr-defined]
        assert obj[pkcs11.Attribute.ENCRYPT] is True and obj[pkcs11.Attribute.DECRYPT] is True
        for attribute in ("WRAP", "UNWRAP", "SIGN", "VERIFY", "DERIVE"):
            assert obj[getattr(pkcs11.Attribute, attribute)] is False, attribute


def test_retire_destroys_an_old_version_on_the_token(softhsm: Token) -> None:
    kms = create_kms(spec(softhsm, "retire-test"), CreateOptions())
    _, wrapped = generate_data_key(kms, b"ctx")
    kms.rotate()
    with pytest.raises(KmsError, match="is the primary"):
        kms.retire(2)
    kms.retire(1)
    assert "retire-test.v1" not in _token_objects(softhsm)
    with pytest.raises(KmsError, match="no version 1"):
        open_kms(spec(softhsm, "retire-test")).unwrap(wrapped, b"ctx")
