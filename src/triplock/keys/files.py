"""Atomic writes: an output is written in full where nobody sees it, then linked into place.

Secret files are created with mode 0600 before a single byte is written; nothing is overwritten
unless asked. Where the platform has it (Linux, O_TMPFILE), the temporary file has no name at
all: a kill at any moment (even SIGKILL) leaves nothing behind, and `linkat` gives it its name
only when it is complete. Elsewhere it is a named file, `.NAME.triplock-HOST-PID-RANDOM.tmp`,
removed on errors and signals, and swept by a later run once its writer is gone
(`sweep_stale`). Directories created on the way are 0700, whatever the umask."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
DIRECTORY_MODE = 0o700
# What --force does with the file it replaces: nothing (bulk data, still readable from its
# source), NAME.bak (keys), or NAME.TIMESTAMP.bak, never overwritten (keyrings).
Keep = Literal["none", "bak", "stamped"]
# A named temporary whose writer may still run on another host (a shared tree) is only swept
# when it has not changed for this long: a live writer keeps touching it.
STALE_SECONDS = 15 * 60
_AT_FDCWD = -100
_AT_EMPTY_PATH = 0x1000
_LIBC = ctypes.CDLL(None, use_errno=True)  # for linkat(AT_EMPTY_PATH), which os.link lacks
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16] or "host"
_TEMP = re.compile(r"^\..+\.triplock-(?P<host>[A-Za-z0-9]+)-(?P<pid>[0-9]+)-[A-Za-z0-9]+\.tmp$")


class ExistsError(FileExistsError):
    """The target exists and `force` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists (use --force to overwrite)")
        self.path = path


def make_private_dirs(directory: Path) -> Path:
    """Create `directory` and its missing parents with mode 0700 (chmod, so the umask has no
    say); existing directories are left as they are."""
    directory = Path(directory) if str(directory) else Path(".")
    missing: list[Path] = []
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIRECTORY_MODE)
    return directory


def temp_name(target: Path) -> Path:
    token = secrets.token_hex(4)
    return target.with_name(f".{target.name}.triplock-{_HOST}-{os.getpid()}-{token}.tmp")


class _Staged:
    """An output written in full before it gets its name (see the module docstring)."""

    def __init__(self, path: Path, mode: int) -> None:
        self.path = path
        directory = make_private_dirs(path.parent)
        self.tmp: Path | None = None
        fd = _open_unnamed(directory, mode)
        if fd is None:
            self.tmp = temp_name(path)
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        os.fchmod(fd, mode)  # open()'s mode passes through the umask
        self.handle: BinaryIO = os.fdopen(fd, "wb")

    def commit(self, force: bool, keep: Keep, durable: bool) -> None:
        self.handle.flush()
        if durable:
            os.fsync(self.handle.fileno())
        if force:
            _keep_previous(self.path, keep)
            if self.tmp is None:
                # Replacing needs a name to rename from: a complete file, so a kill in between
                # leaves a whole copy for sweep_stale, never a partial one.
                self.tmp = temp_name(self.path)
                _link_fd(self.handle.fileno(), self.tmp)
            os.replace(self.tmp, self.path)
        else:
            try:  # a hard link: fails if `path` appeared meanwhile
                if self.tmp is None:
                    _link_fd(self.handle.fileno(), self.path)
                else:
                    os.link(self.tmp, self.path)
            except FileExistsError:
                raise ExistsError(self.path) from None
            if self.tmp is not None:
                os.unlink(self.tmp)
        self.tmp = None
        self.handle.close()

    def discard(self) -> None:
        # Closing flushes what is buffered, which fails again on a full disk: the error that
        # got here is the one to report.
        with contextlib.suppress(OSError):
            self.handle.close()
        if self.tmp is not None and os.path.lexists(self.tmp):
            os.unlink(self.tmp)


def _open_unnamed(directory: Path, mode: int) -> int | None:
    """An O_TMPFILE in `directory`, or None where there is none or it cannot be linked."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        fd = os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, mode)
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None  # a file system without O_TMPFILE
        raise
    if not _linkable(directory, fd, flag):
        os.close(fd)
        return None
    return fd


_LINKABLE: dict[int, bool] = {}


def _linkable(directory: Path, fd: int, flag: int) -> bool:
    """Whether an unnamed file on this file system can be given a name (once per device: a
    sandbox may refuse both ways of linking it). The probe is an unnamed file of its own (one
    that was linked once cannot be linked again), its name a sweepable temporary's."""
    device = os.fstat(fd).st_dev
    if device not in _LINKABLE:
        probe_fd = os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, SECRET_MODE)
        probe = temp_name(Path(directory) / "probe")
        try:
            _link_fd(probe_fd, probe)
        except OSError:
            _LINKABLE[device] = False
        else:
            os.unlink(probe)
            _LINKABLE[device] = True
        finally:
            os.close(probe_fd)
    return _LINKABLE[device]


def _link_fd(fd: int, name: Path) -> None:
    """linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH), else through /proc/self/fd."""
    error = 0
    if hasattr(_LIBC, "linkat"):
        if _LIBC.linkat(fd, b"", _AT_FDCWD, os.fsencode(name), _AT_EMPTY_PATH) == 0:
            return
        error = ctypes.get_errno()
        if error == errno.EEXIST:
            raise FileExistsError(error, os.strerror(error), str(name))
    try:
        os.link(f"/proc/self/fd/{fd}", name)  # linkat(AT_SYMLINK_FOLLOW)
    except FileExistsError:
        raise
    except OSError as e:
        raise OSError(error or e.errno, os.strerror(error or e.errno or 0), str(name)) from e


@contextmanager
def atomic_writer(
    path: Path,
    *,
    mode: int = SECRET_MODE,
    force: bool = False,
    durable: bool = True,
    keep: Keep = "bak",
) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes `path` only if the block completes without error.

    `durable` syncs the data to disk before the link (keys); bulk ciphertext skips it, since
    its plaintext still exists if a crash loses it. Without `force`, the final step is a hard
    link, which fails if `path` appeared meanwhile: an existing file is never replaced, even
    under a race. Errors name `path`."""
    path = Path(path)
    if path.exists() and not force:
        raise ExistsError(path)
    with _naming(path):
        staged = _Staged(path, mode)
        try:
            yield staged.handle
            staged.commit(force, keep, durable)
        except BaseException:
            staged.discard()
            raise


@dataclass(frozen=True)
class Output:
    """One file of a set written all or nothing (write_all)."""

    path: Path
    data: bytes
    mode: int = SECRET_MODE


def write_all(outputs: list[Output], *, force: bool = False, keep: Keep = "bak") -> None:
    """Write every output or none: all are written in full (and synced) before the first gets
    its name, so a full disk or a kill while writing leaves no partial set. Without `force`, a
    failure while naming them removes those already named."""
    check_free([o.path for o in outputs], force)
    with ExitStack() as stack:
        staged: list[_Staged] = []
        for output in outputs:
            with _naming(output.path):
                one = _Staged(output.path, output.mode)
                stack.callback(one.discard)
                one.handle.write(output.data)
                one.handle.flush()
                os.fsync(one.handle.fileno())
            staged.append(one)
        named: list[Path] = []
        try:
            for one in staged:
                with _naming(one.path):
                    one.commit(force, keep, durable=False)
                named.append(one.path)
        except BaseException:
            if not force:
                for path in named:
                    path.unlink()
            raise


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """OS errors without a file name (ENOSPC from a write) get the output's."""
    try:
        yield
    except OSError as e:
        if e.filename is None and not isinstance(e, ExistsError):
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise


def os_error_text(error: OSError) -> str:
    """`PATH: reason` for a message: the path when the error has one, never `None`."""
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else reason


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def stamped_backup_path(path: Path, now: dt.datetime | None = None) -> Path:
    """NAME.YYYYMMDDTHHMMSSZ.bak, with -1, -2... when that exists: no backup is overwritten."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    n = 0
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    return candidate


def _keep_previous(path: Path, keep: Keep) -> None:
    """Before --force replaces a file, its previous version stays (a hard link: same inode,
    same mode), so a forced overwrite of a keyring or key loses nothing."""
    if keep == "none" or not path.exists():
        return
    if keep == "stamped":
        while True:
            try:
                os.link(path, stamped_backup_path(path))
                return
            except FileExistsError:  # another run took that name meanwhile
                continue
    backup = backup_path(path)
    if backup.exists() or backup.is_symlink():
        backup.unlink()
    os.link(path, backup)


def write_secret(path: Path, data: bytes, *, force: bool = False, keep: Keep = "bak") -> Path:
    """Write key material or a password: mode 0600, atomic."""
    with atomic_writer(path, mode=SECRET_MODE, force=force, keep=keep) as handle:
        handle.write(data)
    return Path(path)


def write_public(path: Path, data: bytes, *, force: bool = False) -> Path:
    """Write a certificate or other public file: mode 0644, atomic."""
    with atomic_writer(path, mode=PUBLIC_MODE, force=force) as handle:
        handle.write(data)
    return Path(path)


def check_free(paths: list[Path], force: bool) -> None:
    """Fail before generating anything when one of several outputs already exists."""
    if force:
        return
    for path in paths:
        if path.exists():
            raise ExistsError(path)


def sweep_stale(directory: Path, now: float | None = None) -> list[Path]:
    """Remove the named temporaries (see temp_name) in `directory` whose writer is gone: one
    of this host whose process has ended, or any untouched for STALE_SECONDS. Returns them."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            mine = match["host"] == _HOST
            if (mine and not _alive(int(match["pid"]))) or age > STALE_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # removed by someone else meanwhile
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
