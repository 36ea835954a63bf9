"""triplock audit PATH... : read a deployment and judge it control by control."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from triplock.cli import leave
from triplock.commands._args import (
    add_fail_on,
    add_formats_and_outputs,
    add_jobs,
    comma_list,
    fail_threshold,
    jobs,
    pair_outputs,
)
from triplock.model import SEVERITY_NAMES


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "audit",
        help="audit a deployment's files (Spark, Hadoop, Kubernetes, keys, TEE manifests)",
        description="Audit deployment files against the Secure Your Services checklist. "
        "PATH may be a file, a directory (walked recursively) or - for stdin.",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or directories to audit; - reads stdin"
    )
    add_formats_and_outputs(
        p,
        "output format (repeatable): table (default on a terminal), json (default "
        f"otherwise); one of {', '.join(_format_names())}",
    )
    add_fail_on(p, "exit 1 when a failing finding has this severity or higher (default: high)")
    p.add_argument(
        "--min-severity",
        choices=SEVERITY_NAMES,
        metavar="SEVERITY",
        help="show only findings of this severity or higher (the exit status still follows "
        "--fail-on)",
    )
    p.add_argument(
        "--summary",
        action="store_true",
        help="print counts by control and by rule instead of every finding (files named "
        "with --output still get their formats in full)",
    )
    p.add_argument(
        "--spark-version", help="Spark version of the deployment, for version-aware advice"
    )
    p.add_argument(
        "--helm",
        action="store_true",
        help="render each Helm chart among the inputs with `helm template` (default values) "
        "and audit the result, mapped back to the templates; needs helm on PATH",
    )
    p.add_argument(
        "--max-file-size",
        type=_file_size,
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help=f"skip (and report) inputs larger than this (default: 10 MiB, at most "
        f"{_MAX_FILE_SIZE:,})",
    )
    p.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links that lead out of the directories given (default: report "
        "them and stay inside)",
    )
    p.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="RULE",
        help="do not run these rules: ids or slugs, comma-separated (repeatable)",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="RULE|CONTROL",
        help="run only these rules: rule ids, slugs or control ids such as spark.encryption, "
        "comma-separated (repeatable)",
    )
    p.add_argument(
        "--skip-path",
        action="append",
        default=[],
        metavar="GLOB",
        help="do not read files or directories matching GLOB (fnmatch, against the path "
        "relative to the audited directory and against the name; repeatable)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="defaults from FILE (default: ./.triplock.yaml or [tool.triplock] in "
        "./pyproject.toml); flags on the command line win",
    )
    p.add_argument(
        "--waivers", metavar="FILE", help="apply the waivers of FILE (YAML; see docs/reports.md)"
    )
    p.add_argument(
        "--baseline",
        metavar="FILE",
        help="failures recorded in FILE are reported as baselined and never fail the run; "
        "only new ones do (see --write-baseline)",
    )
    p.add_argument(
        "--changed-since",
        metavar="GIT_REF",
        help="read the whole tree (cross-file rules need it) but report only findings in files "
        "changed since GIT_REF (committed, staged, unstaged or untracked)",
    )
    p.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record today's failures (not waived) in FILE, by a fingerprint that survives "
        "line moves; no value or secret is stored",
    )
    p.add_argument(
        "--no-inline-waivers",
        action="store_true",
        help="ignore `triplock: ignore` comments in the audited files",
    )
    p.add_argument(
        "--keystore-password-file",
        action="append",
        default=[],
        metavar="FILE",
        help="passwords to try on JKS/JCEKS/PKCS#12 keystores, one a line (repeatable; also "
        "$TRIPLOCK_KEYSTORE_PASSWORD); never printed",
    )
    p.add_argument(
        "--scan-endpoints",
        action="store_true",
        help="also scan the TLS endpoints the deployment declares (Spark UI and history "
        "server SSL ports, Hadoop https addresses, KMS URL) with `triplock scan`",
    )
    p.add_argument(
        "--scan-host",
        default="127.0.0.1",
        metavar="HOST",
        help="host for declared endpoints that name only a port (default: 127.0.0.1)",
    )
    add_jobs(p)
    p.set_defaults(run=run)


# Every input is held in memory while it is parsed; a limit beyond this is a typo.
_MAX_FILE_SIZE = 1 << 30


def _file_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of bytes: {text!r}") from None
    if not 1 <= value <= _MAX_FILE_SIZE:
        raise argparse.ArgumentTypeError(f"must be between 1 and {_MAX_FILE_SIZE:,} bytes")
    return value


def _format_names() -> list[str]:
    from triplock import formats

    return formats.names()


def run(args: argparse.Namespace) -> int:
    from triplock.audit import AuditOptions, audit
    from triplock.model import Severity

    config = _config(args)
    _check_paths(args.paths)
    if args.summary:
        args.formats = ["summary", *(args.formats or [])]
    if args.formats:
        formats, outputs = pair_outputs(args.formats, args.outputs)
    else:
        formats, outputs = pair_outputs(
            list(config.formats) or None, args.outputs or list(config.outputs)
        )
    options = AuditOptions(
        paths=args.paths,
        spark_version=_spark_version(args.spark_version),
        max_bytes=args.max_file_size,
        follow_symlinks=args.follow_symlinks,
        disabled_rules=_disabled(args, config),
        only_rules=_rule_ids(comma_list(args.only), controls=True) if args.only else None,
        skip_paths=(*args.skip_path, *config.skip_path),
        post_steps=[_waiver_step(args, config), *_changed_step(args), *_baseline_step(args)],
        keystore_password_files=tuple(args.keystore_password_file),
        helm=_helm(args),
        jobs=jobs(args),
    )
    if args.scan_endpoints:
        options.inventory_steps.append(_scan_step(args.scan_host))
    progress = _Progress() if sys.stderr.isatty() else None
    options.progress = progress
    result = audit(options)
    if progress is not None:
        progress.done()
    code = result.exit_code(fail_threshold(args, config.fail_on or "high"))
    if args.write_baseline:
        from triplock import baseline
        from triplock.commands._output import write_text

        write_text(baseline.to_text(result), args.write_baseline)
    if args.min_severity:
        result.findings = [f for f in result.findings if f.severity >= Severity(args.min_severity)]
    emit(result, formats, outputs)
    leave(result)
    if not result.inputs and not result.errors:
        print("triplock: no deployment files found in the given paths", file=sys.stderr)
        return 2
    return code


def _changed_step(args: argparse.Namespace) -> list[Any]:
    """The work tree is the one holding the first audited path."""
    if not args.changed_since:
        return []
    import os

    from triplock.changed import ChangedStep, GitError, changed_files
    from triplock.cli import UsageError

    try:
        given = next((p for p in args.paths if p != "-"), ".")
        where = given if os.path.isdir(given) else os.path.dirname(given) or "."
        return [ChangedStep(changed_files(args.changed_since, where))]
    except GitError as e:
        raise UsageError(f"--changed-since: {e}") from None


def _baseline_step(args: argparse.Namespace) -> list[Any]:
    if not args.baseline:
        return []
    from triplock import baseline
    from triplock.cli import UsageError

    try:
        return [baseline.BaselineStep(baseline.load(args.baseline))]
    except baseline.BaselineError as e:
        raise UsageError(str(e)) from None


def _check_paths(paths: list[str]) -> None:
    """A path that does not exist is a usage error, not a report about nothing."""
    import os

    from triplock.cli import UsageError

    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")


def _rule_ids(names: list[str], controls: bool) -> frozenset[str]:
    """The rule ids that `names` (rule ids, slugs and, if `controls`, control ids) select; an
    unknown name is a usage error."""
    from triplock.cli import UsageError
    from triplock.controls import CONTROLS
    from triplock.rules.registry import all_rules

    rules = all_rules()
    by_name = {r.meta.id: r.meta.id for r in rules} | {r.meta.slug: r.meta.id for r in rules}
    selected: set[str] = set()
    unknown: list[str] = []
    for name in names:
        if name in by_name:
            selected.add(by_name[name])
        elif controls and name in CONTROLS:
            selected.update(r.meta.id for r in rules if r.meta.control == name)
        else:
            unknown.append(name)
    if unknown:
        what = "rule or control" if controls else "rule"
        raise UsageError(f"unknown {what}: {', '.join(unknown)} (see `triplock rules`)")
    return frozenset(selected)


def _disabled(args: argparse.Namespace, config: Any) -> frozenset[str]:
    """--disable and the configuration's `disable`; an unknown name in the file is a usage
    error that names the file and the field."""
    from triplock.cli import UsageError

    try:
        from_config = _rule_ids(list(config.disable), controls=False)
    except UsageError as e:
        raise UsageError(f"{config.path}: disable: {e}") from None
    return _rule_ids(comma_list(args.disable), controls=False) | from_config


def _spark_version(given: str | None) -> str | None:
    """--spark-version as given, or a usage error (exit 2) when it is not a version."""
    if given is None:
        return None
    from triplock.cli import UsageError
    from triplock.rules._spark_version import parse_version

    if parse_version(given) is None:
        raise UsageError(f"--spark-version {given!r} is not a Spark version (e.g. 3.5.1, 4.0)")
    return given


def _helm(args: argparse.Namespace) -> str | None:
    """The helm binary for --helm; a usage error (exit 2) when it is not on PATH."""
    if not args.helm:
        return None
    import shutil

    from triplock.cli import UsageError

    helm = shutil.which("helm")
    if helm is None:
        raise UsageError(
            "--helm needs the helm command on PATH (https://helm.sh/docs/intro/install/)"
        )
    return helm


def _scan_step(scan_host: str) -> Any:
    def step(inventory: Any, options: Any) -> None:
        from triplock.tlsscan.connector import Limits
        from triplock.tlsscan.deployment import scan_declared

        scan_declared(inventory, scan_host, Limits())

    return step


def _config(args: argparse.Namespace) -> Any:
    from triplock import config
    from triplock.cli import UsageError

    try:
        if args.config:
            return config.load(args.config)
        return config.load(config.find(), confined=True)
    except config.ConfigError as e:
        raise UsageError(str(e)) from None


def _waiver_step(args: argparse.Namespace, config: Any) -> Any:
    from triplock.cli import UsageError
    from triplock.config import ConfigError, load_waiver_file
    from triplock.waivers import WaiverStep

    entries = list(config.waivers)
    try:
        if config.waiver_file:
            entries.extend(load_waiver_file(config.waiver_file))
        if args.waivers:
            entries.extend(load_waiver_file(args.waivers, streams=True))
    except ConfigError as e:
        raise UsageError(str(e)) from None
    inline = config.inline_waivers and not args.no_inline_waivers
    return WaiverStep(entries, inline=inline)


class _Progress:
    """A one-line file counter on a terminal's stderr for long audits."""

    shown = False

    def __call__(self, files: int) -> None:
        print(f"\rtriplock: {files:,} files read", end="", file=sys.stderr, flush=True)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def emit(result: Any, formats: list[str], outputs: list[str | None]) -> None:
    from triplock import formats as fmt
    from triplock.commands._output import write_chunks

    for name, path in zip(formats, outputs, strict=True):
        if name == "table":
            from triplock.formats.table import render

            text = render(result, color=path is None and sys.stdout.isatty())
            write_chunks([text.encode()], path)
        else:
            write_chunks(fmt.chunker(name)(result), path)
