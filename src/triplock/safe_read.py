"""Reading a file that an input or a setting names, without hanging or exhausting memory.

A reference (an `xi:include`, a keystore path, `waiver-file:`) is chosen by whoever wrote the
audited files, so it may name a FIFO (an open() that never returns), /dev/zero (a read that
never ends) or a file swapped for one of those after a check. `read_capped` opens without
blocking, checks what it opened (fstat on the descriptor, not the name), and never reads more
than its limit. Paths a user names on the command line may be streams on purpose
(`<(kubectl get ... -o yaml)`), so `streams=True` lets FIFOs and character devices through,
still capped.
"""

from __future__ import annotations

import os
import select
import stat
from dataclasses import dataclass
from typing import BinaryIO

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # --max-file-size
_CHUNK = 1 << 20


class ReadError(Exception):
    """A file that was not read; the message says why (without the path, the caller has it)."""


class TooLarge(ReadError):
    """A file over the limit."""


@dataclass(frozen=True, slots=True)
class FileBytes:
    data: bytes
    mode: int  # permission bits of the file read


def read_capped(path: str, limit: int, streams: bool = False) -> FileBytes:
    """The bytes of `path`, a regular file (or, with `streams`, a FIFO or character device)
    of at most `limit` bytes. Raises ReadError."""
    try:
        before = os.stat(path)  # devices and FIFOs are refused before they are even opened
        _check_kind(before.st_mode, streams)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        raise ReadError(os_reason(e)) from None
    except ValueError:  # a NUL byte in the name
        raise ReadError("not a valid file name") from None
    try:
        st = os.fstat(fd)
        _check_kind(st.st_mode, streams)
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise TooLarge(too_large(st.st_size, limit))
        if stat.S_ISFIFO(st.st_mode):
            _await_writer(fd)
        if not stat.S_ISREG(st.st_mode):
            os.set_blocking(fd, True)  # a stream the user named: read it to its end
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as handle:
            data = read_stream(handle, limit)
    except OSError as e:
        raise ReadError(os_reason(e)) from None
    finally:
        os.close(fd)
    return FileBytes(data, stat.S_IMODE(st.st_mode))


def _await_writer(fd: int) -> None:
    """Wait until a FIFO opened without blocking has data, or a writer came and went: with no
    writer yet, a read would end at once, empty (a `mkfifo` whose writer starts after the
    audit). Waits as `cat` would; Ctrl-C ends the wait."""
    waiting = select.poll()
    waiting.register(fd, select.POLLIN)
    waiting.poll()


def read_stream(handle: BinaryIO, limit: int) -> bytes:
    """At most `limit` bytes of a stream, read in chunks (never a buffer of `limit` bytes up
    front). Raises ReadError when there is more."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = handle.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise TooLarge(too_large(None, limit))


def too_large(size: int | None, limit: int) -> str:
    got = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return f"too large ({got}; limit {limit:,})"


def os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "no such file or directory"
    return error.strerror or str(error)


def _check_kind(mode: int, streams: bool) -> None:
    if stat.S_ISREG(mode):
        return
    if streams and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        return
    raise ReadError(f"{kind_of(mode)}, not a regular file; not read")


def kind_of(mode: int) -> str:
    """What a file of this mode is, in words ("a FIFO")."""
    kinds = {
        stat.S_ISREG: "a regular file",
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "a special file")
