"""Tink's AES256_GCM_HKDF_1MB format: interop with the real `tink` package both ways, and every
kind of damage detected."""

from __future__ import annotations

import base64
import io
import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import need_module
from triplock.keys import streaming, tink_keyset
from triplock.keys.streaming import HEADER_BYTES, SEGMENT_BYTES, StreamError

FIRST, OTHER = streaming.plaintext_segment_sizes()
# Segment boundaries are where formats go wrong: empty, exact first segment, one past, ...
SIZES = [0, 1, FIRST - 1, FIRST, FIRST + 1, FIRST + OTHER, FIRST + OTHER + 1, 3 * SEGMENT_BYTES]


def encrypt(key: bytes, data: bytes, aad: bytes = b"", seg: int = SEGMENT_BYTES) -> bytes:
    out = io.BytesIO()
    assert streaming.encrypt_stream(key, io.BytesIO(data), out, aad, seg) == len(data)
    return out.getvalue()


def decrypt(key: bytes, data: bytes, aad: bytes = b"", seg: int = SEGMENT_BYTES) -> bytes:
    out = io.BytesIO()
    streaming.decrypt_stream(key, io.BytesIO(data), out, aad, seg)
    return out.getvalue()


def tink_primitive(key: bytes) -> Any:
    tink = need_module("tink")
    from tink import cleartext_keyset_handle, streaming_aead

    streaming_aead.register()
    handle = cleartext_keyset_handle.read(tink.JsonKeysetReader(tink_keyset.to_json(key)))
    return handle.primitive(streaming_aead.StreamingAead)


class _KeepOpen(io.BytesIO):
    def close(self) -> None:  # tink closes its destination; keep the bytes readable
        pass


@pytest.mark.parametrize("size", SIZES)
def test_tink_decrypts_triplock(size: int) -> None:
    key, data, aad = os.urandom(32), os.urandom(size), b"associated"
    ciphertext = encrypt(key, data, aad)
    assert len(ciphertext) == streaming.ciphertext_size(size)
    with tink_primitive(key).new_decrypting_stream(io.BytesIO(ciphertext), aad) as stream:
        assert stream.read() == data


@pytest.mark.parametrize("size", SIZES)
def test_triplock_decrypts_tink(size: int) -> None:
    key, data, aad = os.urandom(32), os.urandom(size), b"associated"
    sink = _KeepOpen()
    with tink_primitive(key).new_encrypting_stream(sink, aad) as stream:
        stream.write(data)
    assert len(sink.getvalue()) == streaming.ciphertext_size(size)
    assert decrypt(key, sink.getvalue(), aad) == data


def test_keyset_matches_tinks_own_template() -> None:
    tink = need_module("tink")
    from tink import cleartext_keyset_handle, streaming_aead
    from tink.proto import aes_gcm_hkdf_streaming_pb2

    streaming_aead.register()
    handle = tink.new_keyset_handle(streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB)
    sink = io.StringIO()
    cleartext_keyset_handle.write(tink.JsonKeysetWriter(sink), handle)
    [key] = tink_keyset.from_json(sink.getvalue())
    # Our encoding of that key is byte-identical to the proto Tink serialized.
    serialized = json.loads(sink.getvalue())["key"][0]["keyData"]["value"]
    assert tink_keyset.key_data(key) == base64.b64decode(serialized)
    proto = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingKey.FromString(tink_keyset.key_data(key))
    assert proto.params.ciphertext_segment_size == SEGMENT_BYTES
    assert proto.params.derived_key_size == 32


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=700), st.sampled_from([64, 100, 257]), st.binary(max_size=20))
def test_round_trip_any_size_small_segments(data: bytes, seg: int, aad: bytes) -> None:
    key = bytes(range(32))
    assert decrypt(key, encrypt(key, data, aad, seg), aad, seg) == data


def small(data: bytes = bytes(300)) -> tuple[bytes, bytes]:
    key = os.urandom(32)
    return key, encrypt(key, data, b"", 100)  # 5 segments of 100 bytes max


def test_wrong_key_and_wrong_associated_data() -> None:
    key, ct = small()
    with pytest.raises(StreamError, match="first segment failed authentication"):
        decrypt(os.urandom(32), ct, b"", 100)
    with pytest.raises(StreamError, match="authentication"):
        decrypt(key, ct, b"other", 100)


def test_flipped_bit_detected() -> None:
    key, ct = small()
    damaged = bytearray(ct)
    damaged[HEADER_BYTES + 150] ^= 1
    with pytest.raises(StreamError, match="segment 1 failed authentication"):
        decrypt(key, bytes(damaged), b"", 100)


def test_truncation_at_a_segment_boundary_detected() -> None:
    key, ct = small()
    cut = 200  # header and first segment (100 bytes), then the second segment, exactly
    with pytest.raises(StreamError, match="truncated"):
        decrypt(key, ct[:cut], b"", 100)
    with pytest.raises(StreamError):
        decrypt(key, ct[:-1], b"", 100)
    with pytest.raises(StreamError, match="bad header"):
        decrypt(key, ct[:10], b"", 100)


def test_reordered_segments_detected() -> None:
    key, ct = small()
    seg1, seg2 = ct[100:200], ct[200:300]  # the header and segment 0 fill the first 100 bytes
    swapped = ct[:100] + seg2 + seg1 + ct[300:]
    with pytest.raises(StreamError, match="segment 1 failed"):
        decrypt(key, swapped, b"", 100)


def test_appended_data_detected() -> None:
    key, ct = small(bytes(250))
    with pytest.raises(StreamError):
        decrypt(key, ct + bytes(50), b"", 100)


def test_keyset_rejects_other_formats() -> None:
    with pytest.raises(tink_keyset.KeysetError):
        tink_keyset.from_json("{}")
    text = tink_keyset.to_json(bytes(32)).replace("AesGcmHkdfStreamingKey", "AesGcmKey")
    with pytest.raises(tink_keyset.KeysetError, match="no enabled"):
        tink_keyset.from_json(text)
    data = tink_keyset.key_data(bytes(32), segment_bytes=4096)
    assert tink_keyset.key_data(bytes(32)) != data


class _Trickle(io.RawIOBase):
    """A source that returns at most 7 bytes per read, like a slow pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(7, len(buffer), len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


def test_short_reads_give_the_same_ciphertext_layout() -> None:
    key, data = os.urandom(32), os.urandom(1000)
    out = io.BytesIO()
    streaming.encrypt_stream(key, _Trickle(data), out, b"", 100)  # type: ignore[arg-type]
    assert len(out.getvalue()) == streaming.ciphertext_size(1000, 100)
    back = io.BytesIO()
    streaming.decrypt_stream(key, _Trickle(out.getvalue()), back, b"", 100)  # type: ignore[arg-type]
    assert back.getvalue() == data


class _Full(io.RawIOBase):
    """Takes the header, then fails: the error comes from the writer thread."""

    def __init__(self) -> None:
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.calls += 1
        if self.calls > 1:
            raise OSError(28, "No space left on device")
        return len(data)


@pytest.mark.parametrize("size", [10, 5000])
def test_write_errors_surface(size: int) -> None:
    sink = _Full()
    with pytest.raises(OSError, match="No space left"):
        streaming.encrypt_stream(bytes(32), io.BytesIO(bytes(size)), sink, b"", 100)  # type: ignore[arg-type]
    assert sink.calls == 2  # nothing written after the first failure
