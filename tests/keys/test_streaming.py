"""Tink's AES256_GCM_HKDF_1MB format: interop with the real `tink` package both ways, and every
kind of damage detected."""

from __future__ import annotations

import _thread
import base64
import io
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

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


# Workers: segments are encrypted on several threads that pass reading and writing on in
# stream order; the output keeps that order and every kind of damage still gives the StreamError
# of the first bad segment, without a hang. A BytesIO source is read without a copy, any other
# stream with a one-byte look-ahead.
SEG = 100
S_FIRST, S_OTHER = streaming.plaintext_segment_sizes(SEG)
# Empty, one segment, one past it, two segments and one past, many segments, a full last one.
SMALL_SIZES = [0, 1, S_FIRST, S_FIRST + 1, S_FIRST + S_OTHER, S_FIRST + S_OTHER + 1,
               S_FIRST + 20 * S_OTHER, S_FIRST + 20 * S_OTHER + 5]  # fmt: skip
SOURCES: dict[str, Callable[[bytes], BinaryIO]] = {
    "memory": io.BytesIO,
    "stream": lambda data: io.BufferedReader(io.BytesIO(data)),
}


def run(
    fn: Any, key: bytes, data: bytes, workers: int, source: str, seg: int = SEG
) -> tuple[int, bytes]:
    out = io.BytesIO()
    n = fn(key, SOURCES[source](data), out, b"aad", seg, workers=workers)
    return n, out.getvalue()


def crypto_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("triplock-")]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("size", SMALL_SIZES)
def test_workers_give_the_same_stream(size: int, workers: int, source: str) -> None:
    key, data = os.urandom(32), os.urandom(size)
    n, ct = run(streaming.encrypt_stream, key, data, workers, source)
    assert n == size and len(ct) == streaming.ciphertext_size(size, SEG)
    # Decrypted on one worker and on four, from either source: the format does not depend on them.
    for other, how in [(1, "stream"), (4, "memory")]:
        assert run(streaming.decrypt_stream, key, ct, other, how) == (size, data)
    assert crypto_threads() == []


@pytest.mark.parametrize("workers", [1, 4])
def test_workers_interoperate_with_tink(workers: int) -> None:
    key, data = os.urandom(32), os.urandom(3 * SEGMENT_BYTES + 1)
    _, ct = run(streaming.encrypt_stream, key, data, workers, "stream", SEGMENT_BYTES)
    with tink_primitive(key).new_decrypting_stream(io.BytesIO(ct), b"aad") as stream:
        assert stream.read() == data


def damaged(how: str) -> tuple[bytes, bytes, bytes, str, int]:
    """A key, a plaintext, its ciphertext of 22 segments damaged in one way, the error that
    must give and the index of the first bad segment."""
    key, data = os.urandom(32), os.urandom(S_FIRST + 21 * S_OTHER)
    _, ct = run(streaming.encrypt_stream, key, data, 1, "memory")
    seg = [ct[i : i + SEG] for i in range(0, len(ct), SEG)]  # the header is in the first one
    assert len(seg) == 22
    if how == "tampered":
        bad = bytearray(ct)
        bad[11 * SEG + 40] ^= 0x80
        bad[17 * SEG + 3] ^= 1  # a later bad segment does not hide the first one
        return key, data, bytes(bad), "segment 11 failed authentication", 11
    if how == "reordered":
        return key, data, b"".join([*seg[:9], seg[10], seg[9], *seg[11:]]), "segment 9 failed", 9
    if how == "truncated at a boundary":
        return key, data, b"".join(seg[:15]), "segment 14 is not the last segment", 14
    if how == "truncated inside a segment":
        return key, data, ct[: 15 * SEG + 7], r"segment 15 is truncated \(7 bytes\)", 15
    assert how == "wrong key"
    return os.urandom(32), data, ct, "the first segment failed authentication", 0


@pytest.mark.timeout(60)  # a worker's failure must never leave the caller waiting
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize(
    "how",
    ["tampered", "reordered", "truncated at a boundary", "truncated inside a segment", "wrong key"],
)
def test_workers_report_the_first_damage(how: str, workers: int, source: str) -> None:
    key, data, ct, message, bad = damaged(how)
    out = io.BytesIO()
    with pytest.raises(StreamError, match=message):
        streaming.decrypt_stream(key, SOURCES[source](ct), out, b"aad", SEG, workers=workers)
    # Nothing from the bad segment on reaches the output: at most the segments before it.
    before = 0 if bad == 0 else S_FIRST + (bad - 1) * S_OTHER
    assert len(out.getvalue()) <= before and data.startswith(out.getvalue())
    assert crypto_threads() == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("size", [10, 5000])
def test_write_errors_surface_with_workers(size: int, workers: int) -> None:
    sink = _Full()
    with pytest.raises(OSError, match="No space left"):
        streaming.encrypt_stream(bytes(32), io.BytesIO(bytes(size)), sink, b"", SEG, workers)  # type: ignore[arg-type]
    assert sink.calls == 2 and crypto_threads() == []


@pytest.mark.parametrize("workers", [0, streaming.MAX_WORKERS + 1])
def test_worker_count_is_bounded(workers: int) -> None:
    with pytest.raises(ValueError, match="workers"):
        streaming.encrypt_stream(bytes(32), io.BytesIO(), io.BytesIO(), workers=workers)


@pytest.mark.parametrize("source", SOURCES)
def test_the_source_is_read_to_its_end(source: str) -> None:
    src = SOURCES[source](bytes(1000))
    streaming.encrypt_stream(bytes(32), src, io.BytesIO(), b"", SEG, workers=4)
    assert src.read() == b""


class _Breaks(io.RawIOBase):
    """A source that fails after `limit` bytes, like a disk error."""

    def __init__(self, data: bytes, limit: int) -> None:
        self._data, self._limit = io.BytesIO(data), limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._data.tell() >= self._limit:
            raise OSError(5, "Input/output error")
        return self._data.readinto(memoryview(buffer)[: self._limit - self._data.tell()])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("workers", [1, 4])
def test_a_bad_segment_before_a_read_error_comes_first(workers: int) -> None:
    key, _, ct, message, _ = damaged("tampered")
    src = _Breaks(ct, 15 * SEG)  # the reader fails after segment 14, well after segment 11
    with pytest.raises(StreamError, match=message):
        streaming.decrypt_stream(key, src, io.BytesIO(), b"aad", SEG, workers=workers)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="Input/output"):
        streaming.decrypt_stream(key, _Breaks(ct, 5 * SEG), io.BytesIO(), b"aad", SEG, workers)  # type: ignore[arg-type]
    assert crypto_threads() == []


class _Slow(io.RawIOBase):
    """An endless source that takes its time, so that an interrupt arrives mid-stream."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        time.sleep(0.01)
        n = min(len(buffer), 7)
        memoryview(buffer)[:n] = bytes(n)
        return n


@pytest.mark.timeout(60)
@pytest.mark.parametrize("workers", [1, 4])
def test_an_interrupt_stops_every_worker(workers: int) -> None:
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            streaming.encrypt_stream(bytes(32), _Slow(), io.BytesIO(), b"", SEG, workers)  # type: ignore[arg-type]
    finally:
        timer.cancel()
    assert crypto_threads() == []
