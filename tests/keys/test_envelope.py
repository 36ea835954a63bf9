from __future__ import annotations

import dataclasses
import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import need_module, run_cli
from tests.keys.conftest import PASSPHRASE
from triplock.keys import envelope
from triplock.keys.envelope import ENVELOPE_AAD, EnvelopeError
from triplock.keys.files import ExistsError
from triplock.keys.kms.file import FileKms


@pytest.fixture
def kms(tmp_path: Path) -> FileKms:
    return FileKms.create(tmp_path / "ring.json", PASSPHRASE.encode(), scrypt_n=2**14)


def test_file_round_trip_and_fresh_data_key_per_file(kms: FileKms, tmp_path: Path) -> None:
    data = os.urandom(2_500_000)
    (tmp_path / "a").write_bytes(data)
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "b.tlk")
    with open(tmp_path / "a.tlk", "rb") as f1, open(tmp_path / "b.tlk", "rb") as f2:
        h1, h2 = envelope.read_header(f1), envelope.read_header(f2)
    assert h1.wrapped.ciphertext != h2.wrapped.ciphertext
    assert data[:4096] not in (tmp_path / "a.tlk").read_bytes()
    envelope.decrypt_file(kms, tmp_path / "a.tlk", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o600


def test_tink_decrypts_an_envelope_with_the_exported_keyset(kms: FileKms, tmp_path: Path) -> None:
    tink = need_module("tink")
    from tink import cleartext_keyset_handle, streaming_aead

    streaming_aead.register()
    data = os.urandom(1_500_000)
    (tmp_path / "a").write_bytes(data)
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    keyset, header = envelope.export_tink_keyset(kms, tmp_path / "a.tlk")
    handle = cleartext_keyset_handle.read(tink.JsonKeysetReader(keyset))
    primitive: Any = handle.primitive(streaming_aead.StreamingAead)
    payload = (tmp_path / "a.tlk").read_bytes()[header.payload_offset :]
    with primitive.new_decrypting_stream(io.BytesIO(payload), ENVELOPE_AAD) as stream:
        assert stream.read() == data


@pytest.mark.parametrize("damage", ["flip", "truncate", "swap", "header"])
def test_damage_gives_an_error_and_no_output(kms: FileKms, tmp_path: Path, damage: str) -> None:
    (tmp_path / "a").write_bytes(os.urandom(3_000_000))
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    blob = bytearray((tmp_path / "a.tlk").read_bytes())
    with open(tmp_path / "a.tlk", "rb") as f:
        start = envelope.read_header(f).payload_offset
    seg = 1 << 20
    if damage == "flip":
        blob[-100] ^= 0x80
    elif damage == "truncate":
        blob = blob[: start + 2 * seg]
    elif damage == "swap":
        one, two = blob[start + seg : start + 2 * seg], blob[start + 2 * seg : start + 3 * seg]
        blob[start + seg : start + 3 * seg] = two + one
    else:
        blob[start - 10] ^= 1  # inside the wrapped key
    (tmp_path / "a.tlk").write_bytes(bytes(blob))
    with pytest.raises(EnvelopeError, match=r"a\.tlk"):
        envelope.decrypt_file(kms, tmp_path / "a.tlk", tmp_path / "plain")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "a.tlk", "ring.json"]


def test_wrong_kms_gives_an_error(kms: FileKms, tmp_path: Path) -> None:
    other = FileKms.create(tmp_path / "other.json", PASSPHRASE.encode(), scrypt_n=2**14)
    (tmp_path / "a").write_bytes(b"secret data")
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    with pytest.raises(EnvelopeError, match=f"wrong keyring.*{kms.keyring_id}"):
        envelope.decrypt_file(other, tmp_path / "a.tlk", tmp_path / "plain")
    assert not (tmp_path / "plain").exists()
    # A header without the keyring id (as before it was recorded): the wrap fails instead.
    with open(tmp_path / "a.tlk", "rb") as f:
        header = envelope.read_header(f)
    legacy = dataclasses.replace(header.wrapped, keyring=None)
    data = (tmp_path / "a.tlk").read_bytes()[header.payload_offset :]
    (tmp_path / "old.tlk").write_bytes(envelope.header_bytes(legacy, 0) + data)
    with pytest.raises(EnvelopeError, match="failed authentication"):
        envelope.decrypt_file(other, tmp_path / "old.tlk", tmp_path / "plain")
    envelope.decrypt_file(kms, tmp_path / "old.tlk", tmp_path / "plain")
    assert (tmp_path / "plain").read_bytes() == b"secret data"


def test_not_an_envelope(kms: FileKms, tmp_path: Path) -> None:
    (tmp_path / "x").write_bytes(b"hello")
    with pytest.raises(EnvelopeError, match="not a triplock encrypted file"):
        envelope.decrypt_file(kms, tmp_path / "x", tmp_path / "y")


def test_rewrap_after_rotation_keeps_data(kms: FileKms, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 5000)
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    kms.rotate()
    assert envelope.rewrap_file(kms, tmp_path / "a.tlk") is True
    assert envelope.rewrap_file(kms, tmp_path / "a.tlk") is False
    with open(tmp_path / "a.tlk", "rb") as f:
        assert envelope.read_header(f).wrapped.version == 2
    envelope.decrypt_file(kms, tmp_path / "a.tlk", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"x" * 5000


def test_tree_round_trip_and_no_overwrite(kms: FileKms, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "d" / "e").mkdir(parents=True)
    files = {"top": b"1", "d/mid": b"2" * 70_000, "d/e/deep": b""}
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    jobs = envelope.plan_tree(src, tmp_path / "enc", True, False)
    assert sorted(j.relative for j in jobs) == ["d/e/deep", "d/mid", "top"]
    assert all(
        r.error is None for r in envelope.run_jobs(kms, src, tmp_path / "enc", jobs, True, False)
    )
    with pytest.raises(ExistsError, match="exists"):
        envelope.plan_tree(src, tmp_path / "enc", True, False)
    jobs = envelope.plan_tree(tmp_path / "enc", tmp_path / "dec", False, False)
    list(envelope.run_jobs(kms, tmp_path / "enc", tmp_path / "dec", jobs, False, False))
    for rel, data in files.items():
        assert (tmp_path / "dec" / rel).read_bytes() == data
    with pytest.raises(EnvelopeError, match="inside"):
        envelope.plan_tree(src, src / "out", True, False)


def test_existing_output_refused(kms: FileKms, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"1")
    (tmp_path / "a.tlk").write_bytes(b"keep")
    with pytest.raises(ExistsError):
        envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    assert (tmp_path / "a.tlk").read_bytes() == b"keep"


def test_preallocated_output_fits_an_input_that_shrank(kms: FileKms, tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"z" * 10)
    with open(tmp_path / "a", "rb") as fin, open(tmp_path / "a.tlk", "wb") as fout:
        envelope.encrypt_fileobj(kms, fin, fout, size=5_000_000)  # a stale, larger size
    envelope.decrypt_file(kms, tmp_path / "a.tlk", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"z" * 10


def test_rewrap_rewrites_the_header_in_place(kms: FileKms, tmp_path: Path) -> None:
    data = os.urandom(3_000_000)
    (tmp_path / "a").write_bytes(data)
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    before = (tmp_path / "a.tlk").read_bytes()
    inode = (tmp_path / "a.tlk").stat().st_ino
    with open(tmp_path / "a.tlk", "rb") as f:
        offset = envelope.read_header(f).payload_offset
    assert offset == len(envelope.MAGIC) + 4 + envelope.HEADER_BODY_BYTES <= 512
    for _ in range(11):  # to version 12: the version number gets longer, the header does not
        kms.rotate()
    assert envelope.rewrap_file(kms, tmp_path / "a.tlk") is True
    after = (tmp_path / "a.tlk").read_bytes()
    assert (tmp_path / "a.tlk").stat().st_ino == inode  # the same file, not a copy renamed
    assert len(after) == len(before) and after[offset:] == before[offset:]
    assert after[:offset] != before[:offset]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "a.tlk", "ring.json"] + [
        p.name for p in sorted(tmp_path.glob("ring.json.*.bak"))
    ]
    with open(tmp_path / "a.tlk", "rb") as f:
        assert envelope.read_header(f).wrapped.version == 12
    envelope.decrypt_file(kms, tmp_path / "a.tlk", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == data


def test_rewrap_of_an_unpadded_header_copies_once_without_backup(
    kms: FileKms, tmp_path: Path
) -> None:
    """Files of an older triplock have a header just as long as its JSON: the rewrapped one is
    longer, so the file is rewritten through a temporary file (no NAME.bak)."""
    (tmp_path / "a").write_bytes(b"y" * 5000)
    envelope.encrypt_file(kms, tmp_path / "a", tmp_path / "a.tlk")
    with open(tmp_path / "a.tlk", "rb") as f:
        header = envelope.read_header(f)
    legacy = dataclasses.replace(header.wrapped, keyring=None)
    payload = (tmp_path / "a.tlk").read_bytes()[header.payload_offset :]
    (tmp_path / "old.tlk").write_bytes(envelope.header_bytes(legacy, 0) + payload)
    kms.rotate()
    assert envelope.rewrap_file(kms, tmp_path / "old.tlk") is True
    assert not list(tmp_path.glob("*.tlk.bak")) and not list(tmp_path.glob(".*"))
    with open(tmp_path / "old.tlk", "rb") as f:
        fresh = envelope.read_header(f)
    assert fresh.payload_offset == len(envelope.MAGIC) + 4 + envelope.HEADER_BODY_BYTES
    assert (tmp_path / "old.tlk").read_bytes()[fresh.payload_offset :] == payload
    envelope.decrypt_file(kms, tmp_path / "old.tlk", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"y" * 5000


def test_retire_only_a_version_no_file_uses(tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE)
    secret.chmod(0o600)
    kms = ["--kms", f"file:{tmp_path / 'ring.json'}", "--kms-secret-file", str(secret)]
    assert run_cli("keys", "kms", "init", *kms, "--scrypt-n", str(2**14)).code == 0
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    for name in ("a", "sub/b"):
        (data / name).write_bytes(name.encode() * 100)
        assert run_cli("encrypt", str(data / name), *kms).code == 0
    assert run_cli("keys", "kms", "rotate", *kms).code == 0
    primary = run_cli("keys", "kms", "retire", "2", *kms, str(data))
    assert primary.code == 2 and "is the primary" in primary.err
    used = run_cli("keys", "kms", "retire", "1", *kms, str(data))
    assert used.code == 2 and "2 of 2 files still use version 1" in used.err
    assert run_cli("keys", "kms", "rewrap", *kms, str(data / "a.tlk")).code == 0
    still = run_cli("keys", "kms", "retire", "1", *kms, str(data))
    assert still.code == 2 and "1 of 2 files still use version 1" in still.err
    assert str(data / "sub" / "b.tlk") in still.err
    assert run_cli("keys", "kms", "rewrap", *kms, str(data)).code == 0
    retired = run_cli("keys", "kms", "retire", "1", *kms, str(data))
    assert retired.code == 0, retired.err
    assert "version 1 retired; none of 2 files used it" in retired.out
    assert FileKms.open(tmp_path / "ring.json", PASSPHRASE.encode()).versions == [2]
    for name in ("a", "sub/b"):
        out = tmp_path / "out" / name
        assert run_cli("decrypt", str(data / f"{name}.tlk"), "-o", str(out), *kms).code == 0
        assert out.read_bytes() == name.encode() * 100
