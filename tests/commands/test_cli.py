"""The console entry point as a user runs it: a separate process, real pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, ROOT
from triplock import cli
from triplock.model import AuditResult

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


def test_an_audit_leaves_its_result_to_the_hard_exit_and_main_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The console script's audit exits without freeing its result (cli.leave); main(), as a
    test or a caller in the same process runs it, keeps nothing once it returns."""
    report = tmp_path / "report.json"
    assert cli.main(["audit", INSECURE, "-f", "json", "-o", str(report)]) == 1
    assert cli._left is None
    exits: list[int] = []

    def exit_here(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(os, "_exit", exit_here)
    monkeypatch.setattr(
        sys, "argv", ["triplock", "audit", INSECURE, "-f", "json", "-o", str(report)]
    )
    monkeypatch.setattr(cli, "_left", None)
    with pytest.raises(SystemExit):
        cli.run()
    assert exits == [1]
    (left,) = cli._left or []
    assert isinstance(left, AuditResult) and left.findings
    assert json.loads(report.read_text())["findings"]
