"""Tink's streaming AEAD AES256_GCM_HKDF_1MB, byte for byte, on cryptography's AES-GCM.

Ciphertext = header || segment_0 || ... || segment_n, where
  header     = 0x28 (its own length, 40) || salt (32 bytes) || nonce prefix (7 bytes)
  segment key = HKDF-SHA256(ikm = the 32-byte key, salt, info = associated data, 32 bytes)
  segment_i  = AES-256-GCM(segment key, nonce = prefix || i (uint32 BE) || last (1 byte),
               no associated data), ciphertext and 16-byte tag
The first segment holds 1 MiB - 40 - 16 plaintext bytes, the others 1 MiB - 16; the last one
(possibly empty, possibly full) has last = 1, so truncation at a segment boundary, reordering and
a wrong key all fail authentication. Buffers are reused (readinto, encrypt_into) so that each
segment is read, encrypted and written without a copy in Python."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
SEGMENT_BYTES = 1 << 20
TAG_BYTES = 16
PREFIX_BYTES = 7
HEADER_BYTES = 1 + KEY_BYTES + PREFIX_BYTES
_MAX_SEGMENTS = 1 << 32


class StreamError(Exception):
    """Ciphertext that is not this format, was altered, truncated or reordered, or a wrong key."""


def _segment_cipher(key: bytes, salt: bytes, associated_data: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError("the streaming key must be 32 bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=associated_data)
    return AESGCM(hkdf.derive(key))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= _MAX_SEGMENTS:
        raise StreamError("too many segments for this format (more than 2^32)")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _read_full(src: BinaryIO, view: memoryview) -> int:
    """Fill `view` unless the stream ends first; return how many bytes were read."""
    total = 0
    while total < len(view):
        n = src.readinto(view[total:])  # type: ignore[attr-defined]
        if not n:
            break
        total += n
    return total


def plaintext_segment_sizes(segment_bytes: int = SEGMENT_BYTES) -> tuple[int, int]:
    """Plaintext bytes of the first segment and of every other one."""
    return segment_bytes - HEADER_BYTES - TAG_BYTES, segment_bytes - TAG_BYTES


def ciphertext_size(plaintext: int, segment_bytes: int = SEGMENT_BYTES) -> int:
    first, other = plaintext_segment_sizes(segment_bytes)
    segments = 1 if plaintext <= first else 1 + -(-(plaintext - first) // other)
    return HEADER_BYTES + plaintext + segments * TAG_BYTES


def plaintext_size(ciphertext: int, segment_bytes: int = SEGMENT_BYTES) -> int:
    """The plaintext length a well-formed ciphertext of this length holds (0 if too short)."""
    body = ciphertext - HEADER_BYTES
    segments = max(1, 1 + -(-(body - (segment_bytes - HEADER_BYTES)) // segment_bytes))
    return max(0, body - segments * TAG_BYTES)


def encrypt_stream(
    key: bytes,
    src: BinaryIO,
    dst: BinaryIO,
    associated_data: bytes = b"",
    segment_bytes: int = SEGMENT_BYTES,
) -> int:
    """Encrypt all of `src` into `dst`; return the number of plaintext bytes."""
    salt, prefix = os.urandom(KEY_BYTES), os.urandom(PREFIX_BYTES)
    cipher = _segment_cipher(key, salt, associated_data)
    dst.write(bytes([HEADER_BYTES]) + salt + prefix)
    first, other = plaintext_segment_sizes(segment_bytes)
    total = 0
    with _Reader(src, first, other) as reader, _Writer(dst, segment_bytes) as writer:
        for index, data, last in reader.segments():
            out = writer.buffer()
            n = len(data)
            cipher.encrypt_into(_nonce(prefix, index, last), data, None, out[: n + TAG_BYTES])
            writer.write(out, n + TAG_BYTES)
            total += n
    return total


def decrypt_stream(
    key: bytes,
    src: BinaryIO,
    dst: BinaryIO,
    associated_data: bytes = b"",
    segment_bytes: int = SEGMENT_BYTES,
) -> int:
    """Decrypt all of `src` into `dst`; return the number of plaintext bytes.

    On StreamError `dst` may hold the plaintext of the segments before the bad one: callers
    write to a temporary file and discard it (see envelope.py)."""
    header = bytearray(HEADER_BYTES)
    if _read_full(src, memoryview(header)) < HEADER_BYTES or header[0] != HEADER_BYTES:
        raise StreamError("not an AES256_GCM_HKDF streaming ciphertext (bad header)")
    salt, prefix = bytes(header[1 : 1 + KEY_BYTES]), bytes(header[1 + KEY_BYTES :])
    cipher = _segment_cipher(key, salt, associated_data)
    total = 0
    with (
        _Reader(src, segment_bytes - HEADER_BYTES, segment_bytes) as reader,
        _Writer(dst, segment_bytes - TAG_BYTES) as writer,
    ):
        for index, data, last in reader.segments():
            if len(data) < TAG_BYTES:
                raise StreamError(f"segment {index} is truncated ({len(data)} bytes)")
            plain = len(data) - TAG_BYTES
            out = writer.buffer()
            try:
                cipher.decrypt_into(_nonce(prefix, index, last), data, None, out[:plain])
            except InvalidTag:
                raise StreamError(_diagnose(cipher, prefix, index, last, data)) from None
            writer.write(out, plain)
            total += plain
    return total


# Reading, encryption and writing overlap: file reads and writes release the GIL, so a reader
# and a writer thread keep the disk (or page cache) busy while the main thread encrypts.
# Buffers circulate between the threads, so each segment is copied only by the kernel.
_DEPTH = 3


class _Reader:
    """Reads segments ahead in a thread; yields (index, data, last) in order."""

    def __init__(self, src: BinaryIO, first: int, other: int) -> None:
        self._src, self._first, self._other = src, first, other
        self._free: queue.Queue[bytearray | None] = queue.Queue()
        self._full: queue.Queue[tuple[bytearray, int] | BaseException] = queue.Queue()
        for _ in range(_DEPTH + 1):
            self._free.put(bytearray(other))
        self._thread = threading.Thread(target=self._run, name="triplock-reader", daemon=True)

    def __enter__(self) -> _Reader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._free.put(None)  # wakes the thread if it waits for a buffer
        self._thread.join()

    def _run(self) -> None:
        size = self._first
        try:
            while True:
                buf = self._free.get()
                if buf is None:
                    return
                n = _read_full(self._src, memoryview(buf)[:size])
                self._full.put((buf, n))
                if n < size:
                    return
                size = self._other
        except BaseException as e:  # handed to the main thread, which raises it
            self._full.put(e)

    def _get(self) -> tuple[bytearray, int]:
        item = self._full.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def segments(self) -> Iterator[tuple[int, memoryview, bool]]:
        buf, n = self._get()
        index, size = 0, self._first
        while True:
            # A segment is the last one only when nothing follows it.
            ahead = self._get() if n == size else None
            last = ahead is None or ahead[1] == 0
            yield index, memoryview(buf)[:n], last
            self._free.put(buf)
            if last:
                return
            assert ahead is not None
            buf, n = ahead
            index, size = index + 1, self._other


class _Writer:
    """Writes filled buffers in a thread, in order; hands emptied buffers back."""

    def __init__(self, dst: BinaryIO, capacity: int) -> None:
        self._dst = dst
        self._free: queue.Queue[bytearray] = queue.Queue()
        self._todo: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self._error: BaseException | None = None
        for _ in range(_DEPTH):
            self._free.put(bytearray(capacity))
        self._thread = threading.Thread(target=self._run, name="triplock-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._todo.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error

    def _run(self) -> None:
        while (item := self._todo.get()) is not None:
            buf, n = item
            if self._error is None:
                try:
                    self._dst.write(memoryview(buf)[:n])
                except BaseException as e:  # raised in the main thread
                    self._error = e
            self._free.put(buf)

    def buffer(self) -> memoryview:
        if self._error is not None:
            raise self._error
        return memoryview(self._free.get())

    def write(self, out: memoryview, n: int) -> None:
        self._todo.put((out.obj, n))  # type: ignore[arg-type]


def _diagnose(cipher: AESGCM, prefix: bytes, index: int, last: bool, data: memoryview) -> str:
    """Why a segment failed: only computed on the error path."""
    if last:
        try:
            cipher.decrypt(_nonce(prefix, index, False), bytes(data), None)
        except InvalidTag:
            pass
        else:
            return f"the ciphertext is truncated: segment {index} is not the last segment"
    where = "the first segment" if index == 0 else f"segment {index}"
    return (
        f"{where} failed authentication: wrong key, or the ciphertext was altered or its "
        "segments reordered"
    )
