"""Tink's streaming AEAD AES256_GCM_HKDF_1MB, byte for byte, on cryptography's AES-GCM.

Ciphertext = header || segment_0 || ... || segment_n, where
  header     = 0x28 (its own length, 40) || salt (32 bytes) || nonce prefix (7 bytes)
  segment key = HKDF-SHA256(ikm = the 32-byte key, salt, info = associated data, 32 bytes)
  segment_i  = AES-256-GCM(segment key, nonce = prefix || i (uint32 BE) || last (1 byte),
               no associated data), ciphertext and 16-byte tag
The first segment holds 1 MiB - 40 - 16 plaintext bytes, the others 1 MiB - 16; the last one
(possibly empty, possibly full) has last = 1, so truncation at a segment boundary, reordering and
a wrong key all fail authentication. Buffers are reused (readinto, encrypt_into) so that each
segment is read, encrypted and written without a copy in Python, and segments are encrypted on a
few worker threads (AES-GCM releases the GIL) while the output keeps their order."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from typing import BinaryIO, Protocol

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
MAX_WORKERS = 8


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
    workers: int | None = None,
) -> int:
    """Encrypt all of `src` into `dst` on `workers` threads (default: one per CPU, at most
    MAX_WORKERS; 1 encrypts in the calling thread); return the number of plaintext bytes."""
    workers = _worker_count(workers)
    salt, prefix = os.urandom(KEY_BYTES), os.urandom(PREFIX_BYTES)
    cipher = _segment_cipher(key, salt, associated_data)
    dst.write(bytes([HEADER_BYTES]) + salt + prefix)
    first, other = plaintext_segment_sizes(segment_bytes)

    def segment(index: int, data: memoryview, last: bool, out: memoryview) -> int:
        n = len(data) + TAG_BYTES
        cipher.encrypt_into(_nonce(prefix, index, last), data, None, out[:n])
        return n

    read, _ = _pump(src, dst, workers, (first, other), segment_bytes, segment)
    return read


def decrypt_stream(
    key: bytes,
    src: BinaryIO,
    dst: BinaryIO,
    associated_data: bytes = b"",
    segment_bytes: int = SEGMENT_BYTES,
    workers: int | None = None,
) -> int:
    """Decrypt all of `src` into `dst` (`workers` as for encrypt_stream); return the number of
    plaintext bytes.

    On StreamError `dst` may hold the plaintext of the segments before the bad one: callers
    write to a temporary file and discard it (see envelope.py)."""
    header = bytearray(HEADER_BYTES)
    if _read_full(src, memoryview(header)) < HEADER_BYTES or header[0] != HEADER_BYTES:
        raise StreamError("not an AES256_GCM_HKDF streaming ciphertext (bad header)")
    salt, prefix = bytes(header[1 : 1 + KEY_BYTES]), bytes(header[1 + KEY_BYTES :])
    workers = _worker_count(workers)
    cipher = _segment_cipher(key, salt, associated_data)

    def segment(index: int, data: memoryview, last: bool, out: memoryview) -> int:
        if len(data) < TAG_BYTES:
            raise StreamError(f"segment {index} is truncated ({len(data)} bytes)")
        plain = len(data) - TAG_BYTES
        try:
            cipher.decrypt_into(_nonce(prefix, index, last), data, None, out[:plain])
        except InvalidTag:
            raise StreamError(_diagnose(cipher, prefix, index, last, data)) from None
        return plain

    sizes = segment_bytes - HEADER_BYTES, segment_bytes
    _, written = _pump(src, dst, workers, sizes, segment_bytes - TAG_BYTES, segment)
    return written


def _worker_count(workers: int | None) -> int:
    if workers is None:
        return min(os.cpu_count() or 1, MAX_WORKERS)
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be 1 to {MAX_WORKERS}")
    return workers


# (index, plaintext or ciphertext, last, output buffer) -> bytes written into the output buffer
_Segment = Callable[[int, memoryview, bool, memoryview], int]


def _pump(
    src: BinaryIO,
    dst: BinaryIO,
    workers: int,
    sizes: tuple[int, int],
    out_bytes: int,
    segment: _Segment,
) -> tuple[int, int]:
    """Run `segment` on every segment of `src` (sizes: of the first segment, of the others;
    out_bytes: the most one segment writes) and write the results to `dst` in order; return
    the bytes read and written. The first error in stream order is raised, as without workers."""
    source: _Source = (
        _MemorySource(src, *sizes) if isinstance(src, io.BytesIO) else _StreamSource(src, *sizes)
    )
    return _Relay(workers, source, dst, segment, out_bytes).run()


class _Relay:
    """Segment i goes to worker i % workers, which reads it, encrypts or decrypts it and writes
    the result. Reading and writing pass from worker to worker in stream order, like relay
    batons; the crypto in between runs in parallel (AES-GCM releases the GIL, and so do file
    reads and writes, so I/O overlaps too). Each worker keeps its own two buffers, which stay in
    its core's cache, and a segment costs two lock hand-overs (benchmarks/crypto.py measures
    it against bare threads that only encrypt). Worker 0 is the calling thread."""

    def __init__(
        self, workers: int, source: _Source, dst: BinaryIO, segment: _Segment, out_bytes: int
    ) -> None:
        self._workers, self._source, self._dst = workers, source, dst
        self._segment, self._out_bytes = segment, out_bytes
        # A baton is a lock, held while it is not its worker's turn; the worker before passes
        # it by releasing it (a threading.Lock may be released by any thread, and is in C).
        self._read_turn = [threading.Lock() for _ in range(workers)]
        self._write_turn = [threading.Lock() for _ in range(workers)]
        for turn in (*self._read_turn[1:], *self._write_turn[1:]):
            turn.acquire()
        self._last_read = self._stopped = False
        self._error: BaseException | None = None
        self._read = self._written = 0

    def run(self) -> tuple[int, int]:
        threads = [
            threading.Thread(target=self._work, args=(k,), name="triplock-crypto", daemon=True)
            for k in range(1, self._workers)
        ]
        for thread in threads:
            thread.start()
        try:
            self._work(0)
        except BaseException as e:  # an interrupt in the calling thread
            self._stop(e)
            raise
        finally:
            for thread in threads:
                thread.join()
        if self._error is not None:
            raise self._error
        return self._read, self._written

    def _stop(self, error: BaseException) -> None:
        """Keep the first error in stream order and wake every worker, which then returns."""
        if self._error is None:
            self._error = error
        self._stopped = True
        for turn in (*self._read_turn, *self._write_turn):
            _pass(turn)

    def _work(self, k: int) -> None:
        nxt = (k + 1) % self._workers
        inbuf = memoryview(bytearray(self._source.largest))
        out = memoryview(bytearray(self._out_bytes))
        index = k
        while True:
            self._read_turn[k].acquire()
            if self._stopped:
                _pass(self._read_turn[k])  # stopped: every baton stays free
                return
            if self._last_read:
                _pass(self._read_turn[nxt])
                return
            failure: BaseException | None = None
            try:
                data, last = self._source.read(index, inbuf)
            except BaseException as e:  # raised in its turn, after the segments before it
                failure, data, last = e, inbuf[:0], True
            self._read += len(data)
            self._last_read = last
            _pass(self._read_turn[nxt])
            n = 0
            if failure is None:
                try:
                    n = self._segment(index, data, last, out)
                except BaseException as e:
                    failure = e
            self._write_turn[k].acquire()
            if self._stopped:
                _pass(self._write_turn[k])
                return
            if failure is None:
                try:
                    self._dst.write(out[:n])
                    self._written += n
                except BaseException as e:
                    failure = e
            if failure is not None:
                self._stop(failure)
                return
            _pass(self._write_turn[nxt])
            if last:
                return
            index += self._workers


def _pass(turn: threading.Lock) -> None:
    """Release a baton; after a stop it may already be free."""
    try:  # noqa: SIM105 (contextlib.suppress costs a context manager per segment)
        turn.release()
    except RuntimeError:
        pass


class _Source(Protocol):
    largest: int  # the most bytes one segment holds

    def read(self, index: int, buf: memoryview) -> tuple[memoryview, bool]:
        """Segment `index` (the segments are read in order), in `buf` or elsewhere, and
        whether it is the last one."""
        ...


class _StreamSource:
    """A segment is the last one when nothing follows it, so each read looks one byte ahead."""

    def __init__(self, src: BinaryIO, first: int, other: int) -> None:
        self._src, self._first, self.largest = src, first, max(first, other)
        self._ahead = b""

    def read(self, index: int, buf: memoryview) -> tuple[memoryview, bool]:
        view = buf[: self._first if index == 0 else self.largest]
        carried = len(self._ahead)
        view[:carried] = self._ahead
        n = carried + _read_full(self._src, view[carried:])
        if n < len(view):
            return view[:n], True
        self._ahead = self._src.read(1)
        return view, not self._ahead


class _MemorySource:
    """An in-memory source (io.BytesIO) is read without a copy: its segments are views of the
    bytes object getvalue() shares with it (getbuffer() would copy a BytesIO made from bytes;
    later writes to the BytesIO copy instead, so the views stay valid)."""

    def __init__(self, src: io.BytesIO, first: int, other: int) -> None:
        self._src, self._first, self.largest = src, first, max(first, other)
        self._view, self._start = memoryview(src.getvalue()), src.tell()

    def read(self, index: int, buf: memoryview) -> tuple[memoryview, bool]:
        size = self._first if index == 0 else self.largest
        piece = self._view[self._start : self._start + size]
        self._start += len(piece)
        self._src.seek(self._start)  # as far as a reader would have read
        return piece, self._start >= len(self._view)


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
