"""Writing an edited file safely: a temporary file in the same directory, fsync, rename over
the original with its mode and owner; refused when the file changed since it was read; the
temporary file removed on any error, SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile

from triplock.interrupt import terminate_like_interrupt


class WriteRefused(Exception):
    """The file was not written; the message says why. Nothing was left behind."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_writable(path: str, read_digest: str) -> os.stat_result:
    """Refuse (WriteRefused) unless the file at `path` (already resolved) still holds what was
    read and both it and its directory may be written. Read-only is judged by the mode bits
    too, so that root, whom the kernel lets write anything, also keeps a read-only file."""
    try:
        info = os.stat(path)
        with open(path, "rb") as handle:
            current = handle.read()
    except OSError as e:
        raise WriteRefused(f"cannot read it again: {e.strerror}") from None
    if digest(current) != read_digest:
        raise WriteRefused("it changed since it was read; run fix again")
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise WriteRefused(f"the file is read-only (mode {stat.S_IMODE(info.st_mode):04o})")
    directory = os.path.dirname(path) or "."
    mode = os.stat(directory).st_mode
    if not mode & 0o222 or not os.access(directory, os.W_OK | os.X_OK):
        raise WriteRefused(
            f"its directory {directory} is read-only (mode {stat.S_IMODE(mode):04o})"
        )
    return info


def write_atomic(path: str, data: bytes, read_digest: str) -> None:
    """Replace the file at `path` (already resolved) by `data`, if it still holds what was
    read (`read_digest`)."""
    info = check_writable(path, read_digest)
    directory = os.path.dirname(path) or "."
    with terminate_like_interrupt():
        try:
            fd, tmp = tempfile.mkstemp(prefix=".triplock-fix-", dir=directory)
        except OSError as e:
            raise WriteRefused(f"cannot write in {directory}: {e.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
                _keep_owner(handle.fileno(), info)
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _sync_directory(directory)


def chmod(path: str, mode: int) -> bool:
    """Set the mode of the file at `path` (not following a symlink); False if it had it."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise WriteRefused("it is a symbolic link")
    if stat.S_IMODE(info.st_mode) == mode:
        return False
    os.chmod(path, mode)
    return True


def _keep_owner(fd: int, info: os.stat_result) -> None:
    if (info.st_uid, info.st_gid) == (os.getuid(), os.getgid()):
        return
    try:
        os.fchown(fd, info.st_uid, info.st_gid)
    except PermissionError:
        raise WriteRefused("cannot keep its owner (not permitted)") from None


def _sync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
