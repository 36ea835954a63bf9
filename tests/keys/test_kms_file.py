from __future__ import annotations

import base64
import json
import os
import stat
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tests.keys.conftest import PASSPHRASE
from triplock.keys.kms import open_kms
from triplock.keys.kms.file import FileKms
from triplock.keys.kms.interface import KmsError, KmsSpec, generate_data_key, rewrap

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


def test_init_force_replaces_a_keyring_only_with_its_id_typed_back(tmp_path: Path) -> None:
    ring = tmp_path / "ring.json"
    first = make(tmp_path)
    key, wrapped = generate_data_key(first, b"ctx")
    before = ring.read_bytes()
    for destroy in (None, "wrong-id", first.key_id):
        with pytest.raises(KmsError, match="refusing to replace"):
            FileKms.create(ring, PASSPHRASE.encode(), force=True, scrypt_n=FAST, destroy=destroy)
    assert ring.read_bytes() == before and list(tmp_path.glob("ring.json.*")) == []
    assert first.keyring_id is not None
    second = FileKms.create(
        ring, PASSPHRASE.encode(), force=True, scrypt_n=FAST, destroy=first.keyring_id
    )
    third = FileKms.create(
        ring, PASSPHRASE.encode(), force=True, scrypt_n=FAST, destroy=second.keyring_id
    )
    backups = sorted(tmp_path.glob("ring.json.*.bak"))
    assert len(backups) == 2  # one per replaced keyring: the first backup is not overwritten
    assert {b.read_bytes() for b in backups} == {before, _keyring_bytes(second)}
    with pytest.raises(KmsError, match=f"wrong keyring.*{first.keyring_id}"):
        third.unwrap(wrapped, b"ctx")
    kept = next(b for b in backups if b.read_bytes() == before)
    assert FileKms.open(kept, PASSPHRASE.encode()).unwrap(wrapped, b"ctx") == key


def _keyring_bytes(kms: FileKms) -> bytes:
    """The bytes a keyring had when it was replaced (its backup is a hard link to them)."""
    for path in kms.path.parent.glob("ring.json*"):
        doc = json.loads(path.read_text())
        if doc.get("keyring_id") == kms.keyring_id:
            return path.read_bytes()
    raise AssertionError(f"no keyring {kms.keyring_id}")


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(primary=1),
        lambda d: d["versions"][0].update(created="2020-01-01T00:00:00+00:00"),
        lambda d: d.update(key_id="other"),
        lambda d: d.pop("mac"),
        # a downgrade to the format without a MAC: the seals name the format, so it fails too
        lambda d: (d.update(format="triplock-keyring/1"), d.pop("mac"), d.pop("keyring_id")),
    ],
    ids=["primary", "created", "key_id", "no-mac", "downgrade"],
)
def test_every_edit_of_the_keyring_is_detected(tmp_path: Path, edit: Any) -> None:
    kms = make(tmp_path)
    kms.rotate()
    ring = tmp_path / "ring.json"
    doc = json.loads(ring.read_text())
    edit(doc)
    ring.write_text(json.dumps(doc))
    with pytest.raises(KmsError, match="altered"):
        FileKms.open(ring, PASSPHRASE.encode())


def _legacy_keyring(path: Path, key: bytes) -> None:
    """A keyring as triplock wrote it before the keyring id and the MAC (format /1)."""
    salt = os.urandom(16)
    kek = Scrypt(salt=salt, length=32, n=FAST, r=8, p=1).derive(PASSPHRASE.encode())
    nonce = os.urandom(12)
    aad = b"triplock-keyring/1\0triplock\0" + struct.pack(">I", 1)
    sealed = nonce + AESGCM(kek).encrypt(nonce, key, aad)
    doc = {
        "format": "triplock-keyring/1",
        "key_id": "triplock",
        "kdf": {
            "name": "scrypt",
            "n": FAST,
            "r": 8,
            "p": 1,
            "salt": base64.b64encode(salt).decode(),
        },
        "primary": 1,
        "versions": [
            {
                "version": 1,
                "created": "2026-01-01T00:00:00+00:00",
                "sealed": base64.b64encode(sealed).decode(),
            }
        ],
    }
    path.write_text(json.dumps(doc))


def test_a_keyring_of_the_old_format_is_read_and_upgraded_when_saved(tmp_path: Path) -> None:
    ring = tmp_path / "ring.json"
    _legacy_keyring(ring, bytes(range(32)))
    old = FileKms.open(ring, PASSPHRASE.encode())
    assert old.keyring_id is None
    key, wrapped = generate_data_key(old)
    assert wrapped.keyring is None and "keyring" not in wrapped.to_dict()
    old.rotate()
    doc = json.loads(ring.read_text())
    assert doc["format"] == "triplock-keyring/2" and doc["keyring_id"] and doc["mac"]
    upgraded = FileKms.open(ring, PASSPHRASE.encode())
    assert upgraded.unwrap(wrapped) == key  # a key wrapped before the upgrade
    assert upgraded.versions == [1, 2] and upgraded.keyring_id == doc["keyring_id"]
