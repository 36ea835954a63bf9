"""Command line: thin glue. Each subcommand lives in triplock.commands and imports its heavy
dependencies only when it runs, so that `triplock --version` stays fast."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from triplock import __version__


class UsageError(Exception):
    """Bad arguments or unusable input: exit code 2 with a one-line message."""


def build_parser() -> argparse.ArgumentParser:
    import triplock.commands as commands

    parser = argparse.ArgumentParser(
        prog="triplock",
        description="Audit, verify and enable the security of Spark, HDFS and Kubernetes "
        "deployments: in transit, at rest and in use.",
    )
    parser.add_argument("--version", action="version", version=f"triplock {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"triplock.commands.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list in (["--version"], ["-V"]):
        print(f"triplock {__version__}")
        return 0
    parser = build_parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.run(args)
    except UsageError as e:
        print(f"triplock: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("triplock: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
