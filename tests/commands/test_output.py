"""`-o FILE` writes through to devices and FIFOs, keeps links links, and never tracebacks."""

from __future__ import annotations

import json
import os
import socket
import stat
import termios
import threading
import tty
from pathlib import Path

import pytest

from tests.helpers import run_cli, write
from tests.unprivileged import run_unprivileged

CONF = "spark.authenticate false\n"


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    return write(tmp_path, "in/spark-defaults.conf", CONF)


def _audit_to(conf: Path, target: str | Path) -> tuple[int, str]:
    result = run_cli("audit", str(conf), "--format", "json", "-o", str(target))
    return result.code, result.err


def _reader(fd: int, into: list[bytes], eof_errors: tuple[int, ...] = ()) -> threading.Thread:
    def read() -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError as e:
                if e.errno in eof_errors:
                    return
                raise
            if not chunk:
                return
            into.append(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_fifo_is_written_through_and_stays_a_fifo(conf: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    # Held open for reading and writing, the FIFO never blocks an open(); closing it after the
    # audit lets the reader see end-of-file even if nothing was written to the FIFO itself.
    keeper = os.open(fifo, os.O_RDWR)
    reader_fd = os.open(fifo, os.O_RDONLY)
    received: list[bytes] = []
    thread = _reader(reader_fd, received)
    try:
        code, err = _audit_to(conf, fifo)
    finally:
        os.close(keeper)
        thread.join()
        os.close(reader_fd)
    assert code == 1, err
    assert json.loads(b"".join(received))["findings"], "the report went through the FIFO"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_character_device_is_written_through(conf: Path) -> None:
    # A pty's follower end is a character device that is safe to write to as root; the old
    # code tried to create a temporary file in /dev/pts and rename it over the device.
    leader, follower = os.openpty()
    tty.setraw(follower, termios.TCSANOW)  # no newline translation
    device = os.ttyname(follower)
    received: list[bytes] = []
    thread = _reader(leader, received, eof_errors=(5,))  # EIO: every follower fd closed
    try:
        code, err = _audit_to(conf, device)
        still_a_device = stat.S_ISCHR(os.stat(device).st_mode)  # it goes with the last fd
    finally:
        os.close(follower)
        thread.join()
        os.close(leader)
    assert code == 1, err
    assert json.loads(b"".join(received))["findings"]
    assert still_a_device


def test_a_symlink_stays_a_symlink_and_its_file_gets_the_report(conf: Path, tmp_path: Path) -> None:
    real = write(tmp_path, "reports/real.json", "old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    code, err = _audit_to(conf, link)
    assert code == 1, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["findings"]


def test_a_link_to_nothing_is_refused_and_nothing_is_created(conf: Path, tmp_path: Path) -> None:
    link = tmp_path / "dangling.json"
    link.symlink_to(tmp_path / "elsewhere" / "target.json")
    code, err = _audit_to(conf, link)
    assert code == 2
    assert f"cannot write {link}: a symbolic link to a missing file" in err
    assert link.is_symlink() and not (tmp_path / "elsewhere").exists()


def _refused(conf: Path, target: Path, why: str) -> None:
    code, err = _audit_to(conf, target)
    assert code == 2
    assert err.startswith(f"triplock: error: cannot write {target}: ") and why in err
    assert "Traceback" not in err


def test_a_directory_target_is_a_usage_error(conf: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    _refused(conf, tmp_path / "out", "a directory, not a file")


def test_a_missing_directory_is_a_usage_error(conf: Path, tmp_path: Path) -> None:
    _refused(conf, tmp_path / "missing" / "out.json", "No such file or directory")


def test_a_socket_is_refused(conf: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        _refused(conf, path, "a socket, not a file")
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_permission_denied_is_a_usage_error(conf: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    proc = run_unprivileged("audit", str(conf), "--format", "json", "-o", str(locked / "r.json"))
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write {locked / 'r.json'}: Permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(locked.iterdir()) == []
