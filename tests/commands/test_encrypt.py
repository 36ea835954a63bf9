"""`triplock encrypt` / `decrypt`: files, trees, Tink keysets, clean failures."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import need_module, run_cli
from tests.keys.conftest import FAST_SCRYPT, PASSPHRASE


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
    assert again.code == 2 and "--force" in again.err  # an existing output: a usage error


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
    assert result.code == 2 and "wrong passphrase" in result.err  # the KMS cannot be opened
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


def test_exit_code_2_for_an_existing_output_and_a_missing_passphrase(
    tmp_path: Path, kms: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "f").write_bytes(b"data")
    (tmp_path / "f.tlk").write_bytes(b"already there")
    exists = run_cli("encrypt", str(tmp_path / "f"), *kms)
    assert exists.code == 2 and "exists" in exists.err
    monkeypatch.delenv("TRIPLOCK_KMS_SECRET", raising=False)
    no_secret = run_cli("encrypt", str(tmp_path / "f"), "-o", str(tmp_path / "g"), "--kms", kms[1])
    assert no_secret.code == 2 and "no KMS passphrase" in no_secret.err
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a").write_bytes(b"a")
    (tmp_path / "enc").mkdir()
    (tmp_path / "enc" / "a.tlk").write_bytes(b"x")
    tree = run_cli("encrypt", str(tmp_path / "tree"), "-o", str(tmp_path / "enc"), *kms)
    assert tree.code == 2 and "exists" in tree.err


def test_tink_keyset_outputs_are_0600(tmp_path: Path) -> None:
    from triplock.keys.tink_keyset import to_json

    (tmp_path / "ks.json").write_text(to_json(os.urandom(32)))
    (tmp_path / "f").write_bytes(b"secret")
    (tmp_path / "f").chmod(0o644)
    for verb, src, dst in (("encrypt", "f", "f.tink"), ("decrypt", "f.tink", "g")):
        result = run_cli(
            verb, str(tmp_path / src), "-o", str(tmp_path / dst),
            "--tink-keyset", str(tmp_path / "ks.json"),
        )  # fmt: skip
        assert result.code == 0, result.err
        assert stat.S_IMODE((tmp_path / dst).stat().st_mode) == 0o600, dst
    assert (tmp_path / "g").read_bytes() == b"secret"


def test_the_same_file_in_and_out_is_refused(tmp_path: Path, kms: list[str]) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"plaintext")
    (tmp_path / "sym").symlink_to(f)
    os.link(f, tmp_path / "hard")
    for out in (f, tmp_path / "sym", tmp_path / "hard", tmp_path / "." / "f"):
        result = run_cli("encrypt", str(f), "-o", str(out), "--force", *kms)
        assert result.code == 2 and "is the input" in result.err, out
    assert f.read_bytes() == b"plaintext"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "hard", "pass", "ring.json", "sym"]
