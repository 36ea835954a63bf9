"""Command-line arguments several subcommands declare alike."""

from __future__ import annotations

import argparse
import sys

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


def add_formats_and_outputs(p: argparse.ArgumentParser, formats_help: str) -> None:
    """-f/--format and -o/--output, repeatable and paired in order (see pair_outputs)."""
    p.add_argument(
        "-f", "--format", action="append", dest="formats", metavar="FORMAT", help=formats_help
    )
    p.add_argument(
        "-o",
        "--output",
        action="append",
        dest="outputs",
        metavar="FILE",
        help="write the output to FILE (repeatable, paired with --format in order)",
    )


def add_jobs(p: argparse.ArgumentParser) -> None:
    """--jobs N: worker processes that read and judge the inputs."""
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="read and judge the inputs on N worker processes (default: the usable cores; "
        "1: one process, no workers)",
    )


def jobs(args: argparse.Namespace) -> int:
    """--jobs as given, else JOBS_AUTO: decided from the inputs (workers.read_on_workers)."""
    from triplock.audit import JOBS_AUTO

    return JOBS_AUTO if args.jobs is None else int(args.jobs)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def fail_threshold(args: argparse.Namespace, fallback: str = "high") -> Severity | None:
    """The severity at which failing findings make the exit status 1; None: never."""
    name = NEVER if args.soft_fail else (args.fail_on or fallback)
    return None if name == NEVER else Severity(name)


def comma_list(values: list[str]) -> list[str]:
    """Repeatable list flags also take comma-separated values: `--only A,B --only C`."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def pair_outputs(
    formats: list[str] | None, outputs: list[str] | None
) -> tuple[list[str], list[str | None]]:
    """--format and --output pair in order; all formats but one need a file. Default: table on
    a terminal, JSON otherwise."""
    from triplock import formats as fmt
    from triplock.cli import UsageError

    formats = formats or ["table" if sys.stdout.isatty() and not outputs else "json"]
    for name in formats:
        if name not in fmt.names():
            raise UsageError(f"unknown format {name!r} (choose from {', '.join(fmt.names())})")
    outputs = outputs or []
    if len(outputs) > len(formats):
        raise UsageError("more --output files than --format options")
    paired: list[str | None] = [*outputs, *([None] * (len(formats) - len(outputs)))]
    if paired.count(None) > 1:
        raise UsageError("several formats need an --output file each (all but one)")
    return formats, paired
