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
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

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


class _Pool:
    """Runs `segment` on `workers` threads: job i goes to worker i % workers, which works through
    its own queue in order, so results are collected round-robin in stream order (cheaper than
    futures: two C queue operations per job). Worker 0 is the calling thread, which runs its
    jobs as they are submitted: one thread fewer to share the cores with."""

    def __init__(self, workers: int, segment: _Segment) -> None:
        self._segment = segment
        self._jobs = [
            queue.SimpleQueue[tuple[int, memoryview, bool, memoryview] | None]()
            for _ in range(workers)
        ]
        self._done = [queue.SimpleQueue[int | BaseException]() for _ in range(workers)]
        self._threads = [
            threading.Thread(target=self._run, args=(i,), name="triplock-crypto", daemon=True)
            for i in range(1, workers)
        ]
        self._submitted = self._collected = 0

    def __enter__(self) -> _Pool:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Workers finish what they were given (their buffers stay untouched until then).
        for jobs in self._jobs[1:]:
            jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _call(self, job: tuple[int, memoryview, bool, memoryview]) -> int | BaseException:
        try:
            return self._segment(*job)
        except BaseException as e:  # raised in stream order, by result()
            return e

    def _run(self, i: int) -> None:
        jobs, done = self._jobs[i], self._done[i]
        while (job := jobs.get()) is not None:
            done.put(self._call(job))

    def submit(self, index: int, data: memoryview, last: bool, out: memoryview) -> None:
        i = self._submitted % len(self._jobs)
        self._submitted += 1
        if i:
            self._jobs[i].put((index, data, last, out))
        else:
            self._done[i].put(self._call((index, data, last, out)))

    def result(self) -> int:
        """The result of the oldest segment not yet collected; its error if it failed."""
        result = self._done[self._collected % len(self._done)].get()
        self._collected += 1
        if isinstance(result, BaseException):
            raise result
        return result


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
    first, other = sizes
    # Segments handed to the workers and not yet written: two per worker keeps each one busy
    # while the oldest result waits for its turn to be written.
    inflight = 1 if workers == 1 else 2 * workers
    # A segment's input buffer goes back to the reader, and its output buffer to the writer,
    # only after its worker is done with them.
    pending: deque[tuple[Any, memoryview]] = deque()  # (a reader's buffer, a writer's)
    read = written = 0

    def retire() -> None:
        nonlocal written
        buf, out = pending.popleft()
        try:
            n = pool.result()
        except BaseException:
            pending.clear()  # this is the first error; later segments do not matter
            raise
        reader.release(buf)
        writer.write(out, n)
        written += n

    reader = (
        _MemoryReader(src, first, other)
        if isinstance(src, io.BytesIO)
        else _Reader(src, first, other, inflight)
    )
    with (
        reader,
        _Writer(dst, out_bytes, inflight) as writer,
        _Pool(workers, segment) as pool,
    ):
        try:
            for index, buf, n, last in reader.segments():
                out = writer.buffer()
                pool.submit(index, memoryview(buf)[:n], last, out)
                pending.append((buf, out))
                read += n
                if len(pending) >= inflight:
                    retire()
            while pending:
                retire()
        except BaseException:
            # The reader or the writer failed: an earlier segment's error comes first, as it
            # would without workers.
            for _ in range(len(pending)):
                pool.result()
            raise
    return read, written


# Reading, encryption and writing overlap: file reads and writes release the GIL, so a reader
# and a writer thread keep the disk (or page cache) busy while the workers encrypt.
# Buffers circulate between the threads, so each segment is copied only by the kernel. The queues
# are SimpleQueue (in C): queue.Queue's locking in Python cost about 10% of the speed (measured).
_DEPTH = 3


class _Reader:
    """Reads segments ahead in a thread, in order."""

    def __init__(self, src: BinaryIO, first: int, other: int, inflight: int) -> None:
        self._src, self._first, self._other = src, first, other
        self._free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[bytearray, int] | BaseException] = queue.SimpleQueue()
        # The consumer holds up to `inflight` buffers, segments() one more to look ahead.
        for _ in range(inflight + _DEPTH + 1):
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

    def release(self, buf: bytearray) -> None:
        """Hand back a buffer from segments() once nothing reads it any more."""
        self._free.put(buf)

    def segments(self) -> Iterator[tuple[int, bytearray, int, bool]]:
        """(index, buffer, length, last); each buffer must be given back with release()."""
        buf, n = self._get()
        index, size = 0, self._first
        while True:
            # A segment is the last one only when nothing follows it.
            ahead = self._get() if n == size else None
            last = ahead is None or ahead[1] == 0
            yield index, buf, n, last
            if last:
                return
            assert ahead is not None
            buf, n = ahead
            index, size = index + 1, self._other


class _MemoryReader:
    """An in-memory source (io.BytesIO) needs no reader thread and no copy: its segments are views
    of the bytes object getvalue() shares with it (getbuffer() would copy a BytesIO made from
    bytes; later writes to the BytesIO copy instead, so the views stay valid)."""

    def __init__(self, src: io.BytesIO, first: int, other: int) -> None:
        self._src, self._first, self._other = src, first, other

    def __enter__(self) -> _MemoryReader:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def release(self, buf: memoryview) -> None:
        pass

    def segments(self) -> Iterator[tuple[int, memoryview, int, bool]]:
        view, start = memoryview(self._src.getvalue()), self._src.tell()
        index, size = 0, self._first
        while True:
            piece = view[start : start + size]
            start += len(piece)
            self._src.seek(start)  # as far as a reader would have read
            last = start >= len(view)
            yield index, piece, len(piece), last
            if last:
                return
            index, size = index + 1, self._other


class _Writer:
    """Writes filled buffers in a thread, in order; hands emptied buffers back."""

    def __init__(self, dst: BinaryIO, capacity: int, inflight: int) -> None:
        self._dst = dst
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._todo: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        # More than the consumer holds in flight, so buffer() always gets one back eventually.
        for _ in range(inflight + _DEPTH):
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
