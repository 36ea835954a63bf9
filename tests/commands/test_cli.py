"""The console entry point as a user runs it: a separate process, real pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import EXAMPLES, ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
INSECURE = str(EXAMPLES / "spark-on-k8s" / "insecure")


def test_full_output_and_exit_code_survive_the_fast_exit() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "triplock", "audit", INSECURE, "--format", "json"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["findings"]


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "triplock", "audit", INSECURE, "--format", "table"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**ENV, "COLUMNS": "120"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 1)
    assert "Traceback" not in err


def test_no_command_prints_usage_and_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "triplock"], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert proc.returncode == 2
    assert "usage: triplock" in proc.stderr
