from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from triplock.keys.files import (
    STALE_SECONDS,
    ExistsError,
    Output,
    atomic_writer,
    backup_path,
    sweep_stale,
    temp_name,
    write_all,
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


def test_an_output_has_no_name_until_it_is_complete(tmp_path: Path) -> None:
    """On Linux (O_TMPFILE) nothing is visible while writing, not even a temporary name."""
    target = tmp_path / "k"
    with atomic_writer(target) as handle:
        handle.write(b"secret")
        handle.flush()
        if hasattr(os, "O_TMPFILE"):
            assert list(tmp_path.iterdir()) == []
    assert target.read_bytes() == b"secret" and mode(target) == 0o600


def test_a_set_is_written_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_bytes(b"a file where a directory is needed")
    outputs = [
        Output(tmp_path / "a.key", b"key"),
        Output(tmp_path / "a.pem", b"cert", 0o644),
        Output(tmp_path / "blocker" / "c", b"cannot be written"),
    ]
    with pytest.raises(OSError):
        write_all(outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]
    write_all(outputs[:2])
    assert mode(tmp_path / "a.key") == 0o600 and mode(tmp_path / "a.pem") == 0o644
    with pytest.raises(ExistsError):
        write_all([Output(tmp_path / "b", b"x"), Output(tmp_path / "a.pem", b"y")])
    assert not (tmp_path / "b").exists()


def test_stamped_backups_are_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "ring.json"
    for n in range(4):
        write_secret(target, f"version {n}".encode(), force=True, keep="stamped")
    backups = sorted(tmp_path.glob("ring.json.*.bak"))
    assert sorted(b.read_bytes() for b in backups) == [b"version 0", b"version 1", b"version 2"]
    assert all(mode(b) == 0o600 for b in backups)


def test_private_directories_ignore_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_public(tmp_path / "a" / "b" / "c.pem", b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700
    assert mode(tmp_path / "a" / "b" / "c.pem") == 0o644


def test_sweep_removes_only_temporaries_whose_writer_is_gone(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    mine = temp_name(tmp_path / "live")
    dead_name = temp_name(tmp_path / "dead").name
    dead = tmp_path / dead_name.replace(f"-{os.getpid()}-", f"-{done.stdout.strip()}-")
    for path in (mine, dead, tmp_path / ".x.tmp", tmp_path / "plain"):
        path.write_bytes(b"x")
    assert sweep_stale(tmp_path) == [dead]
    assert sweep_stale(tmp_path, now=time.time() + STALE_SECONDS + 1) == [mine]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".x.tmp", "plain"]
