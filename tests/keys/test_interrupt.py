"""A real `python -m triplock decrypt` killed mid-stream leaves no plaintext, and a later run
sweeps what an earlier one could not remove.

The ciphertext reaches the process through a FIFO: the test writes the first megabytes, waits
until the process has written plaintext to its (unnamed or named) temporary output, and signals
it while it waits for the rest. No timing is involved: the kill lands mid-stream every time."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from tests.keys.conftest import PASSPHRASE
from triplock.keys import envelope
from triplock.keys.files import STALE_SECONDS, temp_name
from triplock.keys.kms.file import FileKms

PLAIN_MIB = 8
SENT_MIB = 4  # written to the FIFO before the signal: the rest never comes
# A platform without O_TMPFILE: the output is a named temporary file.
NO_TMPFILE = "import os, runpy; del os.O_TMPFILE; runpy.run_module('triplock', run_name='__main__')"


def _ciphertext(keyring: tuple[Path, Path], tmp_path: Path) -> bytes:
    ring, _ = keyring
    plain = tmp_path / "plain.src"
    plain.write_bytes(os.urandom(PLAIN_MIB << 20))
    kms = FileKms.open(ring, PASSPHRASE.encode())
    envelope.encrypt_file(kms, plain, tmp_path / "big.tlk")
    return (tmp_path / "big.tlk").read_bytes()


def _output_fds(pid: int, directory: Path) -> list[Path]:
    """The process's open files in `directory` (an O_TMPFILE shows as 'DIR/#N (deleted)')."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(f"{directory}/"):
            found.append(Path(f"/proc/{pid}/fd/{fd}"))
    return found


@contextmanager
def _decrypting(
    prefix: list[str], keyring: tuple[Path, Path], fifo: Path, out: Path
) -> Iterator[subprocess.Popen[bytes]]:
    ring, secret = keyring
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [*prefix, "decrypt", str(fifo), "-o", str(out / "plain"), "--workers", "1",
         "--kms", f"file:{ring}", "--kms-secret-file", str(secret)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _feed_until_plaintext_is_written(
    proc: subprocess.Popen[bytes], fifo: Path, data: bytes, out: Path
) -> int:
    """Open the FIFO once the process reads it, send SENT_MIB, and wait until the process's
    output in `out` holds plaintext. Returns the FIFO's write end (kept open: the process then
    waits for more instead of seeing the end of its input)."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:
            assert e.errno == errno.ENXIO  # no reader yet
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.01)
    os.set_blocking(fd, True)
    os.write(fd, data[: SENT_MIB << 20])
    while True:
        assert proc.poll() is None, proc.communicate()
        outputs = _output_fds(proc.pid, out)
        if outputs and os.stat(outputs[0]).st_size >= (SENT_MIB - 2) << 20:
            return fd
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("platform", ["O_TMPFILE", "named temporary"])
def test_a_kill_mid_stream_leaves_no_plaintext(
    keyring: tuple[Path, Path], tmp_path: Path, signum: int, platform: str
) -> None:
    data = _ciphertext(keyring, tmp_path)
    fifo, out = tmp_path / "in.tlk", tmp_path / "out"
    os.mkfifo(fifo)
    out.mkdir()
    prefix = [sys.executable, "-m", "triplock"]
    if platform != "O_TMPFILE":
        prefix = [sys.executable, "-c", NO_TMPFILE]
    with _decrypting(prefix, keyring, fifo, out) as proc:
        fd = _feed_until_plaintext_is_written(proc, fifo, data, out)
        visible = list(out.iterdir())
        if platform == "O_TMPFILE":
            assert visible == []  # the plaintext being written has no name
        else:
            assert [p.name.startswith(".plain.triplock-") for p in visible] == [True]
        proc.send_signal(signum)
        _, err = proc.communicate()
        os.close(fd)
    assert proc.returncode == 128 + signum
    assert f"terminated by {signal.Signals(signum).name}" in err.decode()
    assert list(out.iterdir()) == []


def test_the_next_run_sweeps_stale_temporaries(keyring: tuple[Path, Path], tmp_path: Path) -> None:
    ring, secret = keyring
    (tmp_path / "f").write_bytes(b"data")
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = temp_name(out / "f.tlk").name.replace(f"-{os.getpid()}-", f"-{gone.stdout.strip()}-")
    (out / dead).write_bytes(b"plaintext left by a killed run")
    old = temp_name(out / "g")  # this (live) process's name, but untouched for long
    old.write_bytes(b"older")
    os.utime(old, (time.time() - STALE_SECONDS - 60,) * 2)
    live = temp_name(out / "h")  # a writer still at work: kept
    live.write_bytes(b"in progress")
    other = out / ".notes.tmp"  # not a name triplock gives: kept
    other.write_bytes(b"someone else's")
    result = run_cli(
        "encrypt", str(tmp_path / "f"), "-o", str(out / "f.tlk"),
        "--kms", f"file:{ring}", "--kms-secret-file", str(secret),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == sorted(["f.tlk", live.name, other.name])
    assert f"removed {out / dead}" in result.err and f"removed {old}" in result.err
