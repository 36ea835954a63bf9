"""triplock rules: every rule with its control, severity and remediation."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("rules", help="list every rule")
    p.add_argument(
        "-f",
        "--format",
        choices=("table", "json", "markdown"),
        default="table",
        help="output format (default: table)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from triplock.rules.catalog import rules_json, rules_markdown, rules_table

    if args.format == "json":
        sys.stdout.write(json.dumps(rules_json(), indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(rules_markdown())
    else:
        sys.stdout.write(rules_table())
    return 0
