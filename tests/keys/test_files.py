from __future__ import annotations

import stat
from pathlib import Path

import pytest

from triplock.keys.files import (
    ExistsError,
    atomic_writer,
    backup_path,
    write_public,
    write_secret,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_files_are_0600_and_public_0644(tmp_path: Path) -> None:
    assert mode(write_secret(tmp_path / "k", b"x")) == 0o600
    assert mode(write_public(tmp_path / "c", b"x")) == 0o644


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    target = write_secret(tmp_path / "k", b"old")
    with pytest.raises(ExistsError, match="--force"):
        write_secret(target, b"new")
    assert target.read_bytes() == b"old"
    write_secret(target, b"new", force=True)
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "k"
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_file_appearing_during_write_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "k"
    with pytest.raises(ExistsError), atomic_writer(target) as handle:
        handle.write(b"mine")
        target.write_bytes(b"theirs")
    assert target.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["k"]


def test_force_keeps_the_previous_version_as_backup(tmp_path: Path) -> None:
    target = tmp_path / "keyring.json"
    write_secret(target, b"version one")
    write_secret(target, b"version two", force=True)
    backup = backup_path(target)
    assert target.read_bytes() == b"version two"
    assert backup.read_bytes() == b"version one"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    write_secret(target, b"version three", force=True)
    assert backup.read_bytes() == b"version two"
