"""`triplock encrypt` / `decrypt`: files, trees, Tink keysets, clean failures."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import need_module, run_cli
from tests.helpers.keys import FAST_SCRYPT, PASSPHRASE


@pytest.fixture
def kms(tmp_path: Path) -> list[str]:
    (tmp_path / "pass").write_text(PASSPHRASE)
    args = ["--kms", f"file:{tmp_path / 'ring.json'}", "--kms-secret-file", str(tmp_path / "pass")]
    assert run_cli("keys", "kms", "init", *args, "--scrypt-n", FAST_SCRYPT).code == 0
    return args


def test_file_round_trip(tmp_path: Path, kms: list[str]) -> None:
    data = os.urandom(1_200_000)
    (tmp_path / "f.bin").write_bytes(data)
    enc = run_cli("encrypt", str(tmp_path / "f.bin"), *kms)
    assert enc.code == 0, enc.err
    assert (tmp_path / "f.bin.tlk").exists()
    dec = run_cli("decrypt", str(tmp_path / "f.bin.tlk"), "-o", str(tmp_path / "g.bin"), *kms)
    assert dec.code == 0, dec.err
    assert (tmp_path / "g.bin").read_bytes() == data
    again = run_cli("encrypt", str(tmp_path / "f.bin"), *kms)
    assert again.code == 1 and "--force" in again.err


def test_tree_round_trip(tmp_path: Path, kms: list[str]) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a").write_bytes(b"alpha")
    (tmp_path / "in" / "sub" / "b").write_bytes(b"beta" * 1000)
    result = run_cli("encrypt", str(tmp_path / "in"), "-o", str(tmp_path / "enc"), *kms)
    assert result.code == 0 and "encrypted 2 of 2 files" in result.out
    result = run_cli("decrypt", str(tmp_path / "enc"), "-o", str(tmp_path / "dec"), *kms)
    assert result.code == 0, result.err
    assert (tmp_path / "dec" / "sub" / "b").read_bytes() == b"beta" * 1000


def test_tampered_file_fails_cleanly_without_output(tmp_path: Path, kms: list[str]) -> None:
    (tmp_path / "f").write_bytes(os.urandom(5000))
    assert run_cli("encrypt", str(tmp_path / "f"), *kms).code == 0
    blob = bytearray((tmp_path / "f.tlk").read_bytes())
    blob[-3] ^= 1
    (tmp_path / "f.tlk").write_bytes(bytes(blob))
    result = run_cli("decrypt", str(tmp_path / "f.tlk"), "-o", str(tmp_path / "plain"), *kms)
    assert result.code == 1
    assert "failed authentication" in result.err and "Traceback" not in result.err
    assert not (tmp_path / "plain").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plain")]


def test_wrong_passphrase(tmp_path: Path, kms: list[str]) -> None:
    (tmp_path / "f").write_bytes(b"x")
    (tmp_path / "bad").write_text("not the right passphrase")
    args = [kms[0], kms[1], "--kms-secret-file", str(tmp_path / "bad")]
    result = run_cli("encrypt", str(tmp_path / "f"), *args)
    assert result.code == 1 and "wrong passphrase" in result.err
    assert not (tmp_path / "f.tlk").exists()


def tink_streaming(keyset: str) -> Any:
    tink = need_module("tink")
    from tink import cleartext_keyset_handle, streaming_aead

    streaming_aead.register()
    handle = cleartext_keyset_handle.read(tink.JsonKeysetReader(keyset))
    return handle.primitive(streaming_aead.StreamingAead)


def test_exported_keyset_lets_tink_decrypt(tmp_path: Path, kms: list[str]) -> None:
    data = os.urandom(2_100_000)
    (tmp_path / "f").write_bytes(data)
    assert run_cli("encrypt", str(tmp_path / "f"), *kms).code == 0
    out = run_cli(
        "decrypt", str(tmp_path / "f.tlk"), "--export-tink-keyset", str(tmp_path / "ks.json"), *kms
    )
    assert out.code == 0, out.err
    keyset = (tmp_path / "ks.json").read_text()
    assert (tmp_path / "ks.json").stat().st_mode & 0o077 == 0
    offset = int(out.out.split("starts at byte ")[1].split()[0])
    payload = (tmp_path / "f.tlk").read_bytes()[offset:]
    with tink_streaming(keyset).new_decrypting_stream(
        io.BytesIO(payload), b"triplock-envelope/1"
    ) as stream:
        assert stream.read() == data


def test_tink_keyset_mode_both_ways(tmp_path: Path) -> None:
    tink = need_module("tink")
    from tink import cleartext_keyset_handle, streaming_aead

    streaming_aead.register()
    handle = tink.new_keyset_handle(streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB)
    sink = io.StringIO()
    cleartext_keyset_handle.write(tink.JsonKeysetWriter(sink), handle)
    (tmp_path / "ks.json").write_text(sink.getvalue())
    primitive = handle.primitive(streaming_aead.StreamingAead)
    data = os.urandom(1_100_000)

    class Keep(io.BytesIO):
        def close(self) -> None:
            pass

    blob = Keep()
    with primitive.new_encrypting_stream(blob, b"ad") as stream:
        stream.write(data)
    (tmp_path / "from-tink").write_bytes(blob.getvalue())
    ks = ["--tink-keyset", str(tmp_path / "ks.json"), "--associated-data", "ad"]
    result = run_cli("decrypt", str(tmp_path / "from-tink"), "-o", str(tmp_path / "p"), *ks)
    assert result.code == 0, result.err
    assert (tmp_path / "p").read_bytes() == data
    result = run_cli("encrypt", str(tmp_path / "p"), "-o", str(tmp_path / "to-tink"), *ks)
    assert result.code == 0, result.err
    with primitive.new_decrypting_stream(
        io.BytesIO((tmp_path / "to-tink").read_bytes()), b"ad"
    ) as stream:
        assert stream.read() == data


def test_workers_option_round_trips_and_is_bounded(tmp_path: Path, kms: list[str]) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    enc, dec = tmp_path / "data.bin.tlk", tmp_path / "plain.bin"
    assert run_cli("encrypt", str(data), "-o", str(enc), *kms, "--workers", "1").code == 0
    assert run_cli("decrypt", str(enc), "-o", str(dec), *kms, "--workers", "4").code == 0
    assert dec.read_bytes() == data.read_bytes()
    refused = run_cli("encrypt", str(data), "-o", str(tmp_path / "x.tlk"), *kms, "--workers", "0")
    assert refused.code == 2 and "--workers" in refused.err
