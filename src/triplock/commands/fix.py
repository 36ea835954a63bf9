"""triplock fix PATH... : apply the fixes the audit asks for, in the deployment's own files."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from triplock.commands._args import add_jobs, comma_list, jobs


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "fix",
        help="apply the audit's fixes to the deployment's files (a diff unless --write)",
        description="Audit PATH..., then apply every failing finding's machine-applicable fix "
        "with minimal edits. Without --write, print the changes as a unified diff and exit 1 "
        "when there are any; with --write, write them atomically and audit again.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to audit and fix")
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
    p.add_argument(
        "--secrets-dir",
        metavar="DIR",
        help="where generated secrets go (created 0700, files 0600, existing ones reused); "
        "without it, fixes that need a secret are left",
    )
    p.add_argument(
        "--ca",
        metavar="CERT,KEY",
        help="the CA (PEM certificate and key) that signs generated certificates; "
        "default: a new CA under --secrets-dir",
    )
    p.add_argument(
        "--kms-plugin",
        metavar="ENDPOINT",
        help="a KMS v2 plugin endpoint (unix:///path.sock) for the API server's "
        "EncryptionConfiguration; default: a generated secretbox key",
    )
    add_jobs(p)
    p.set_defaults(run=run)


def _material(args: argparse.Namespace) -> Any:
    from triplock.cli import UsageError
    from triplock.fix.material.interface import MaterialOptions

    ca_cert = ca_key = None
    if args.ca is not None:
        parts = args.ca.split(",")
        if len(parts) != 2 or not all(os.path.isfile(p) for p in parts):
            raise UsageError(f"--ca wants CERT,KEY: two PEM files ({args.ca!r})")
        ca_cert, ca_key = (os.path.abspath(p) for p in parts)
    if args.kms_plugin is not None and not args.kms_plugin.startswith("unix:///"):
        raise UsageError("--kms-plugin wants a unix socket endpoint: unix:///path.sock")
    secrets_dir = os.path.abspath(args.secrets_dir) if args.secrets_dir else None
    if secrets_dir is not None and os.path.exists(secrets_dir) and not os.path.isdir(secrets_dir):
        raise UsageError(f"--secrets-dir {args.secrets_dir}: not a directory")
    return MaterialOptions(secrets_dir, ca_cert, ca_key, args.kms_plugin)


def run(args: argparse.Namespace) -> int:
    from triplock.cli import UsageError
    from triplock.commands.audit import _check_paths, _config
    from triplock.fix import session
    from triplock.fix.select import Selection, UnknownSelector

    config = _config(args)
    _check_paths(args.paths)
    if "-" in args.paths:
        raise UsageError("fix edits files: stdin (-) cannot be fixed")
    try:
        selection = Selection(tuple(comma_list(args.only)), tuple(comma_list(args.exclude)))
    except UnknownSelector as e:
        raise UsageError(str(e)) from None

    workers = jobs(args)

    def audit(paths: list[str]) -> Any:
        from triplock.audit import AuditOptions, audit
        from triplock.commands.audit import _waiver_step

        return audit(
            AuditOptions(
                paths=paths,
                skip_paths=tuple(config.skip_path),
                disabled_rules=frozenset(config.disable),
                post_steps=[_waiver_step(args, config)],
                jobs=workers,
            )
        )

    outcome = session.run(args.paths, audit, selection, args.write, _material(args))
    if args.format == "json":
        _print_json(args, outcome)
    else:
        _print_text(args, outcome)
    if args.write:
        return 1 if outcome.errors else 0
    return 1 if outcome.changes or outcome.chmods or outcome.generated else 0


def _print_text(args: argparse.Namespace, outcome: Any) -> None:
    from triplock.fix.apply import diff

    sys.stdout.write(diff(outcome.files, outcome.chmods))
    files = len(outcome.files) + len({c.path for c in outcome.chmods})
    done = "applied" if args.write else "to apply (run with --write)"
    count = len(outcome.changes) + len(outcome.chmods)
    print(f"triplock fix: {count} change(s) in {files} file(s) {done}", file=sys.stderr)
    made = "generated" if args.write else "would generate"
    for generated in outcome.generated:
        print(f"  {made}: {generated.path}: {generated.what}", file=sys.stderr)
    for finding, why in outcome.left:
        print(f"  left: {finding.location.describe()} {finding.rule.id}: {why}", file=sys.stderr)
    for error in outcome.errors:
        print(f"  error: {error.path}: {error.reason}", file=sys.stderr)


def _print_json(args: argparse.Namespace, outcome: Any) -> None:
    import json

    from triplock import __version__
    from triplock.formats._common import SCHEMA_VERSION

    changes = [
        {
            "path": path,
            "rule_id": change.edit.finding.rule.id,
            "action": change.edit.action.value,
            "key": change.edit.key,
            "before_line": change.before,
            "after_line": change.after,
        }
        for path, change in outcome.changes
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
        for c in outcome.chmods
    )
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "triplock", "version": __version__},
        "written": bool(args.write),
        "changes": changes,
        "generated": [{"path": g.path, "what": g.what} for g in outcome.generated],
        "remaining": [
            {
                "rule_id": f.rule.id,
                "severity": f.severity.value,
                "location": f.location.to_dict(),
                "why": why,
            }
            for f, why in outcome.left
        ],
        "errors": [e.to_dict() for e in outcome.errors],
    }
    sys.stdout.write(json.dumps(report, indent=1) + "\n")
