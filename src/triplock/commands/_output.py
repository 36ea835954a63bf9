"""Writing rendered output: to stdout or to files (several formats in one run).

What the target already is decides how it is written:
- nothing, or a regular file: a temporary file in the same directory renamed over it (atomic:
  a reader never sees half a report);
- a symbolic link to a regular file: the same, on the file it points to; the link stays a link;
- a character device or a FIFO (`/dev/null`, `/dev/stderr` on a terminal, `>(gzip > r.gz)`):
  opened for writing and written through, never replaced;
- anything else (a directory, a socket, a block device, a link to nothing): refused.
Every refusal and every OSError is a UsageError (exit 2) naming the path.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable

from triplock.safe_read import kind_of


def write_text(text: str, path: str | None) -> None:
    write_chunks([text.encode()], path)


def write_chunks(chunks: Iterable[bytes], path: str | None) -> None:
    """Write the UTF-8 text `chunks` join to, piece by piece (a large report is never held
    whole). To stdout it goes as text, in the stream's own encoding and newlines."""
    if path is None or path == "-":
        for chunk in chunks:
            sys.stdout.write(chunk.decode())
        sys.stdout.flush()
        return
    from triplock.cli import UsageError

    try:
        _write(chunks, path)
    except _Refused as e:
        raise UsageError(f"cannot write {path}: {e}") from None
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


class _Refused(Exception):
    """A target that is not written to; the message says what it is."""


def _write(data: Iterable[bytes], path: str) -> None:
    try:
        st = os.stat(path)  # follows links: what a link points to decides
    except FileNotFoundError:
        if os.path.islink(path):
            raise _Refused("a symbolic link to a missing file") from None
        _replace(data, path)
        return
    if stat.S_ISREG(st.st_mode):
        _replace(data, os.path.realpath(path))
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        _write_through(data, path)
    else:
        raise _Refused(f"{kind_of(st.st_mode)}, not a file, FIFO or character device")


def _replace(data: Iterable[bytes], path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".triplock-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_through(data: Iterable[bytes], path: str) -> None:
    # No O_CREAT: if the device or FIFO went away since stat(), this fails instead of
    # creating a regular file in its place; fstat checks it is still what stat() saw.
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    with os.fdopen(fd, "wb") as handle:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise _Refused(f"{kind_of(mode)} appeared in place of a device or FIFO")
        handle.writelines(data)
