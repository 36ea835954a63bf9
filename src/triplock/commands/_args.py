"""Command-line arguments several subcommands declare alike."""

from __future__ import annotations

import argparse

from triplock.model import SEVERITY_NAMES, Severity

NEVER = "never"


def add_fail_on(p: argparse.ArgumentParser, help: str, default: str | None = None) -> None:
    """--fail-on SEVERITY|never and --soft-fail: the exit status threshold for failing
    findings. `never` (or --soft-fail) reports and exits 0; usage and input errors still exit 2."""
    p.add_argument("--fail-on", choices=(*SEVERITY_NAMES, NEVER), default=default, help=help)
    p.add_argument(
        "--soft-fail",
        action="store_true",
        help="report findings but exit 0 whatever they are (same as --fail-on never); "
        "usage errors and unreadable input still exit 2",
    )


def fail_threshold(args: argparse.Namespace, fallback: str = "high") -> Severity | None:
    """The severity at which failing findings make the exit status 1; None: never."""
    name = NEVER if args.soft_fail else (args.fail_on or fallback)
    return None if name == NEVER else Severity(name)


def comma_list(values: list[str]) -> list[str]:
    """Repeatable list flags also take comma-separated values: `--only A,B --only C`."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]
