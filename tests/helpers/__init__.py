"""Shared test helpers.

`need()` is how a test states a real dependency (a JDK, nginx, SoftHSM2, Chromium...): missing
on a developer's machine it skips; under CI=true it fails, so CI never passes by skipping.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
UNDER_CI = os.environ.get("CI", "").lower() == "true"


def need(available: bool, what: str) -> None:
    if available:
        return
    if UNDER_CI:
        pytest.fail(f"{what} is required under CI=true but is missing")
    pytest.skip(f"{what} is not available here")


def need_command(name: str) -> str:
    sbin = f"/usr/sbin/{name}"
    path = shutil.which(name) or (sbin if os.path.exists(sbin) else None)
    need(path is not None, f"the command {name!r}")
    assert path is not None
    return path


def need_module(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        need(False, f"the Python package {name!r}")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, stdin: str | None = None) -> CliResult:
    """Run triplock's main() in-process, capturing stdout and stderr."""
    from triplock.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:
                code = int(e.code or 0)
    finally:
        sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


def findings_of(result: CliResult, rule_id: str, status: str | None = None) -> list[dict[str, Any]]:
    return [
        f
        for f in result.json()["findings"]
        if f["rule_id"] == rule_id and (status is None or f["status"] == status)
    ]


def write(tmp: Path, name: str, text: str, mode: int | None = None) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mode is not None:
        path.chmod(mode)
    return path
