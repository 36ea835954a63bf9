"""Atomic writes: a temporary file in the target directory, then a rename. Secret files are
created with mode 0600 before a single byte is written; nothing is overwritten unless asked,
and what --force overwrites is kept as NAME.bak."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644


class ExistsError(FileExistsError):
    """The target exists and `force` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists (use --force to overwrite)")
        self.path = path


@contextmanager
def atomic_writer(
    path: Path, *, mode: int = SECRET_MODE, force: bool = False, durable: bool = True
) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes `path` only if the block completes without error.

    `durable` syncs the data to disk before the rename (keys); bulk ciphertext skips it, since
    its plaintext still exists if a crash loses it. Without `force`, the final step is a hard
    link, which fails if `path` appeared meanwhile: an existing file is never replaced, even
    under a race."""
    path = Path(path)
    if path.exists() and not force:
        raise ExistsError(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if force:
            _keep_backup(path)
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise ExistsError(path) from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _keep_backup(path: Path) -> None:
    """Before --force replaces a file, its previous version stays as NAME.bak (a hard link:
    same inode, same mode), so a forced overwrite of a keyring or key loses nothing."""
    if not path.exists():
        return
    backup = backup_path(path)
    if backup.exists() or backup.is_symlink():
        backup.unlink()
    os.link(path, backup)


def write_secret(path: Path, data: bytes, *, force: bool = False) -> Path:
    """Write key material or a password: mode 0600, atomic."""
    with atomic_writer(path, mode=SECRET_MODE, force=force) as handle:
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
