"""Command-line arguments several subcommands declare alike."""

from __future__ import annotations

import argparse

SEVERITIES = ("info", "low", "medium", "high", "critical")


def add_fail_on(p: argparse.ArgumentParser, help: str, default: str | None = None) -> None:
    """--fail-on SEVERITY: the exit status threshold for failing findings."""
    p.add_argument("--fail-on", choices=SEVERITIES, default=default, help=help)
