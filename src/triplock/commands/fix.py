"""triplock fix PATH... : apply the fixes the audit asks for, in the deployment's own files."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from triplock.commands._args import comma_list


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "fix",
        help="apply the audit's fixes to the deployment's files (a diff unless --write)",
        description="Audit PATH..., then apply every failing finding's machine-applicable fix "
        "with minimal edits. Without --write, print the changes as a unified diff and exit 1 "
        "when there are any; with --write, write them atomically and audit again.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--write", action="store_true", help="apply the changes to the files")
    p.add_argument(
        "-f",
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a unified diff and a summary (default); json: changes and what is left",
    )
    for flag, what in (("--only", "fix only"), ("--exclude", "do not fix")):
        p.add_argument(
            flag,
            action="append",
            default=[],
            metavar="RULE|CONTROL|SEVERITY[+]",
            help=f"{what} these findings: rule ids, slugs, control ids, or a severity "
            "(`high+`: high or above), comma-separated (repeatable)",
        )
    p.add_argument("--config", metavar="FILE", help="defaults from FILE, as for audit")
    p.add_argument("--waivers", metavar="FILE", help="waived findings are not fixed")
    p.add_argument(
        "--no-inline-waivers",
        action="store_true",
        help="ignore `triplock: ignore` comments in the audited files",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from triplock.cli import UsageError
    from triplock.commands.audit import _check_paths, _config
    from triplock.fix import apply, planner
    from triplock.fix.select import Selection, UnknownSelector

    config = _config(args)
    _check_paths(args.paths)
    if "-" in args.paths:
        raise UsageError("fix edits files: stdin (-) cannot be fixed")
    try:
        selection = Selection(tuple(comma_list(args.only)), tuple(comma_list(args.exclude)))
    except UnknownSelector as e:
        raise UsageError(str(e)) from None
    options = _options(args, config)
    first = _audit(options)
    prepared = apply.prepare(planner.plan(first, selection), args.paths)
    errors = [*first.errors, *prepared.errors]
    left = prepared.left
    if args.write:
        errors.extend(apply.write(prepared))
        again = _audit(_options(args, config))
        left = _remaining(again.findings, selection, prepared.left)
    _report(args, prepared, left, errors)
    if args.write:
        return 1 if len(errors) > len(first.errors) else 0
    return 1 if prepared.files or prepared.chmods else 0


def _options(args: argparse.Namespace, config: Any) -> Any:
    from triplock.audit import AuditOptions
    from triplock.commands.audit import _waiver_step

    return AuditOptions(
        paths=args.paths,
        skip_paths=tuple(config.skip_path),
        disabled_rules=frozenset(config.disable),
        post_steps=[_waiver_step(args, config)],
    )


def _audit(options: Any) -> Any:
    from triplock.audit import audit

    return audit(options)


def _remaining(findings: list[Any], selection: Any, planned_left: list[Any]) -> list[Any]:
    """The failures the re-audit still shows, each with why it was not fixed."""
    from triplock.fix.planner import why_left
    from triplock.model import Status

    reasons = {_same(f): why for f, why in planned_left}
    return [
        (f, reasons.get(_same(f)) or why_left(f))
        for f in findings
        if f.status is Status.FAIL and not f.baselined and selection.wants(f)
    ]


def _same(finding: Any) -> tuple[str, str | None, str | None]:
    return (finding.rule.id, finding.location.path, finding.fix and finding.fix.target)


def _report(args: argparse.Namespace, prepared: Any, left: list[Any], errors: list[Any]) -> None:
    from triplock.fix.apply import diff

    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(_json(args, prepared, left, errors), indent=1) + "\n")
        return
    sys.stdout.write(diff(prepared))
    changes = sum(len(f.changes) for f in prepared.files) + len(prepared.chmods)
    files = len(prepared.files) + len(prepared.chmods)
    done = "applied" if args.write else "to apply (run with --write)"
    print(f"triplock fix: {changes} change(s) in {files} file(s) {done}", file=sys.stderr)
    for finding, why in left:
        print(f"  left: {finding.location.describe()} {finding.rule.id}: {why}", file=sys.stderr)
    for error in errors:
        print(f"  error: {error.path}: {error.reason}", file=sys.stderr)


def _json(
    args: argparse.Namespace, prepared: Any, left: list[Any], errors: list[Any]
) -> dict[str, Any]:
    from triplock import __version__
    from triplock.formats._common import SCHEMA_VERSION

    changes = [
        {
            "path": fix.path,
            "rule_id": change.edit.finding.rule.id,
            "action": change.edit.action.value,
            "key": change.edit.key,
            "before_line": change.before,
            "after_line": change.after,
        }
        for fix in prepared.files
        for change in fix.changes
    ]
    changes.extend(
        {
            "path": c.path,
            "rule_id": c.finding.rule.id,
            "action": "chmod",
            "key": None,
            "before_line": None,
            "after_line": None,
        }
        for c in prepared.chmods
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "triplock", "version": __version__},
        "written": bool(args.write),
        "changes": changes,
        "remaining": [
            {
                "rule_id": f.rule.id,
                "severity": f.severity.value,
                "location": f.location.to_dict(),
                "why": why,
            }
            for f, why in left
        ],
        "errors": [e.to_dict() for e in errors],
    }
