from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

from triplock.safe_read import FileBytes, read_capped


def _write(path: Path, data: bytes) -> None:
    """Write to the FIFO if a reader holds it open (else the reader gave up: nothing to wait
    for, and a blocking open would wait forever)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        assert e.errno == errno.ENXIO
        return
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _read_in_thread(path: Path) -> tuple[threading.Thread, list[FileBytes]]:
    got: list[FileBytes] = []
    reader = threading.Thread(target=lambda: got.append(read_capped(str(path), 1024, True)))
    reader.start()
    return reader, got


def test_a_fifo_whose_writer_comes_later_is_read_whole(tmp_path: Path) -> None:
    """The reader opens first (as `triplock audit FIFO` started before the command that
    writes it): it waits for the writer instead of reading nothing."""
    fifo = tmp_path / "spark-defaults.conf"
    os.mkfifo(fifo)
    reader, got = _read_in_thread(fifo)
    time.sleep(0.3)  # the reader has opened the FIFO and finds no writer
    _write(fifo, b"spark.authenticate true\n")
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert [g.data for g in got] == [b"spark.authenticate true\n"]


def test_a_fifo_whose_writer_writes_nothing_is_read_empty(tmp_path: Path) -> None:
    fifo = tmp_path / "empty.conf"
    os.mkfifo(fifo)
    reader, got = _read_in_thread(fifo)
    time.sleep(0.3)
    _write(fifo, b"")  # a writer that came and went
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert [g.data for g in got] == [b""]
