"""Command-line arguments several subcommands declare alike."""

from __future__ import annotations

import argparse

from triplock.model import SEVERITY_NAMES


def add_fail_on(p: argparse.ArgumentParser, help: str, default: str | None = None) -> None:
    """--fail-on SEVERITY: the exit status threshold for failing findings."""
    p.add_argument("--fail-on", choices=SEVERITY_NAMES, default=default, help=help)
