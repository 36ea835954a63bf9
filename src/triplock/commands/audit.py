"""triplock audit PATH... : read a deployment and judge it control by control."""

from __future__ import annotations

import argparse
import sys
from typing import Any

SEVERITIES = ("info", "low", "medium", "high", "critical")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "audit",
        help="audit a deployment's files (Spark, Hadoop, Kubernetes, keys, TEE manifests)",
        description="Audit deployment files against the Secure Your Services checklist. "
        "PATH may be a file, a directory (walked recursively) or - for stdin.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "-f",
        "--format",
        action="append",
        dest="formats",
        metavar="FORMAT",
        help="output format (repeatable): table (default on a terminal), json (default "
        "otherwise), and every other format of `triplock audit --list-formats`",
    )
    p.add_argument(
        "-o",
        "--output",
        action="append",
        dest="outputs",
        metavar="FILE",
        help="write the output to FILE (repeatable, paired with --format in order)",
    )
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="high",
        help="exit 1 when a failing finding has this severity or higher (default: high)",
    )
    p.add_argument("--spark-version", help="Spark version of the deployment, for version-aware advice")
    p.add_argument(
        "--max-file-size",
        type=int,
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help="skip (and report) inputs larger than this (default: 10 MiB)",
    )
    p.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="RULE",
        help="do not run this rule (id or slug; repeatable)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from triplock.audit import AuditOptions, audit
    from triplock.model import Severity

    formats, outputs = _pair_outputs(args.formats, args.outputs)
    options = AuditOptions(
        paths=args.paths,
        spark_version=args.spark_version,
        max_bytes=args.max_file_size,
        disabled_rules=frozenset(args.disable),
    )
    result = audit(options)
    _emit(result, formats, outputs)
    if not result.inputs and not result.errors:
        print("triplock: no deployment files found in the given paths", file=sys.stderr)
        return 2
    return result.exit_code(Severity(args.fail_on))


def _pair_outputs(
    formats: list[str] | None, outputs: list[str] | None
) -> tuple[list[str], list[str | None]]:
    from triplock import formats as fmt
    from triplock.cli import UsageError

    formats = formats or ["table" if sys.stdout.isatty() else "json"]
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


def _emit(result: Any, formats: list[str], outputs: list[str | None]) -> None:
    from triplock import formats as fmt
    from triplock.commands._output import write_text

    for name, path in zip(formats, outputs, strict=True):
        if name == "table":
            from triplock.formats.table import render

            text = render(result, color=path is None and sys.stdout.isatty())
        else:
            text = fmt.renderer(name)(result)
        write_text(text, path)
