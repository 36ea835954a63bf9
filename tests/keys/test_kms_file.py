from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from tests.helpers.keys import PASSPHRASE
from triplock.keys.kms.file import FileKms
from triplock.keys.kms.interface import KmsError, KmsSpec, generate_data_key, open_kms, rewrap

FAST = 2**14


def make(tmp_path: Path) -> FileKms:
    return FileKms.create(tmp_path / "ring.json", PASSPHRASE.encode(), scrypt_n=FAST)


def test_wrap_unwrap_and_binding_to_context(tmp_path: Path) -> None:
    kms = make(tmp_path)
    key, wrapped = generate_data_key(kms, b"file-a")
    assert len(key) == 32 and key not in wrapped.ciphertext
    assert kms.unwrap(wrapped, b"file-a") == key
    with pytest.raises(KmsError, match="failed authentication"):
        kms.unwrap(wrapped, b"file-b")


def test_fresh_nonce_every_wrap(tmp_path: Path) -> None:
    kms = make(tmp_path)
    key = bytes(32)
    first, second = kms.wrap(key), kms.wrap(key)
    assert first.ciphertext[:12] != second.ciphertext[:12]
    assert first.ciphertext != second.ciphertext


def test_rotation_keeps_old_versions_and_rewrap_moves_keys(tmp_path: Path) -> None:
    kms = make(tmp_path)
    key, old = generate_data_key(kms)
    assert kms.rotate() == 2
    reopened = FileKms.open(tmp_path / "ring.json", PASSPHRASE.encode())
    assert reopened.primary_version == 2
    assert reopened.unwrap(old) == key
    moved = rewrap(reopened, old)
    assert moved.version == 2 and reopened.unwrap(moved) == key
    assert rewrap(reopened, moved) is moved


def test_version_binding(tmp_path: Path) -> None:
    kms = make(tmp_path)
    kms.rotate()
    _, wrapped = generate_data_key(kms)
    forged = type(wrapped)(wrapped.kms, wrapped.key_id, 1, wrapped.ciphertext)
    with pytest.raises(KmsError):
        kms.unwrap(forged)


def test_wrong_passphrase_and_tampered_keyring(tmp_path: Path) -> None:
    make(tmp_path)
    ring = tmp_path / "ring.json"
    with pytest.raises(KmsError, match="wrong passphrase"):
        FileKms.open(ring, b"not the passphrase at all")
    doc = json.loads(ring.read_text())
    doc["versions"][0]["version"] = 7
    doc["primary"] = 7
    ring.write_text(json.dumps(doc))
    with pytest.raises(KmsError):
        FileKms.open(ring, PASSPHRASE.encode())


def test_keyring_file_is_0600_and_holds_no_plain_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[bytes] = []
    real_urandom = os.urandom

    def recording_urandom(n: int) -> bytes:
        drawn.append(real_urandom(n))
        return drawn[-1]

    monkeypatch.setattr("triplock.keys.kms.file.os.urandom", recording_urandom)
    make(tmp_path)
    ring = (tmp_path / "ring.json").read_bytes()
    assert stat.S_IMODE((tmp_path / "ring.json").stat().st_mode) == 0o600
    assert PASSPHRASE.encode() not in ring
    version_key = next(b for b in drawn if len(b) == 32)
    assert version_key not in ring and base64.b64encode(version_key) not in ring


def test_short_passphrase_and_weak_kdf_refused(tmp_path: Path) -> None:
    with pytest.raises(KmsError, match="at least"):
        FileKms.create(tmp_path / "r.json", b"short")
    with pytest.raises(KmsError, match="too low"):
        FileKms.create(tmp_path / "r.json", PASSPHRASE.encode(), scrypt_n=2**10)


def test_open_by_spec_reads_secret_from_file_or_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path)
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    spec = KmsSpec("file", str(tmp_path / "ring.json"), secret_file=str(secret))
    assert open_kms(spec).primary_version == 1
    monkeypatch.setenv("KMS_PW", PASSPHRASE)
    assert open_kms(KmsSpec("file", str(tmp_path / "ring.json"), secret_env="KMS_PW"))
    with pytest.raises(KmsError, match="no KMS passphrase"):
        open_kms(KmsSpec("file", str(tmp_path / "ring.json"), secret_env="UNSET_VAR_X"))
