"""triplock explain RULE: what a rule checks, why, how to fix it, with an example."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "explain",
        help="explain a rule: its control, the guide's words, why, how to fix, an example",
        description="Explain a rule (by id or slug, e.g. SPARK-001): the control it serves and "
        "the guide's words for it, rationale, remediation, references, and an example of a "
        "failing and a fixed input.",
    )
    p.add_argument("rule", metavar="RULE", help="a rule id or slug (see `triplock rules`)")
    p.add_argument("-f", "--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from triplock.cli import UsageError
    from triplock.explain import explanation, render_text
    from triplock.rules.registry import all_rules

    wanted = args.rule.strip()
    match = next(
        (r for r in all_rules() if wanted.upper() == r.meta.id or wanted == r.meta.slug), None
    )
    if match is None:
        raise UsageError(f"unknown rule {wanted!r} (see `triplock rules`)")
    data = explanation(match)
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(data))
    return 0
