"""The benchmarks that reach into triplock's internals still run against the code as it is.
Nothing is timed here: speed is measured by running the benchmarks themselves."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_the_hand_off_benchmark_reads_chunks_as_the_workers_do() -> None:
    out = _run("benchmarks/jobs_handoff.py", "--files", "40")
    assert "40 files in chunks of 100" in out
    assert "| unpickle (main) |" in out


def test_the_timeline_benchmark_times_a_run_on_workers() -> None:
    out = _run("benchmarks/timeline.py", "--files", "250", "--jobs", "2", "--runs", "1")
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == [
        "start",
        "read",
        "judge",
        "report",
        "whole command",
    ]
    workers_cpu = float(rows[2].split("|")[4])  # the read phase: 250 files are a pool's work
    assert workers_cpu > 0
