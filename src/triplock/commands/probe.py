"""triplock probe: TEE facts of this host, of every Spark executor's host, or a DaemonSet that
reports them from every Kubernetes node."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

DEFAULT_IMAGE = "ghcr.io/triplock/triplock:0.1.0"
_SECRET_ENV = "TRIPLOCK_SPARK_SECRET"
_AUTH_HINT = (
    "\n(if the cluster requires authentication, spark.authenticate=true, give its secret with "
    f"--auth-secret-file FILE or ${_SECRET_ENV})"
)
_PYTHON_ERROR = re.compile(r"[A-Z]\w*(?:Error|Exception): \S")
_LOCAL_MASTER = re.compile(r"local(\[[^\]]*\])?$")  # not local-cluster: that has executors


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "probe",
        help="report the TEEs (SGX, TDX, SEV-SNP) of this host, of a Spark cluster's hosts, "
        "or print a DaemonSet that probes every node",
        description="Observe the TEE capabilities of hosts. The JSON report is an input of "
        "`triplock audit`, which judges it (use.tee).",
    )
    p.add_argument(
        "--root",
        default="/",
        metavar="DIR",
        help="read the host's files below DIR (default /; /host in the DaemonSet)",
    )
    p.add_argument(
        "--hostname",
        default=os.environ.get("TRIPLOCK_NODE_NAME"),
        help="name to report the host by (default: $TRIPLOCK_NODE_NAME or hostname)",
    )
    p.add_argument(
        "--spark-master",
        metavar="URL",
        help="run the probe inside every executor of a Spark application on URL "
        "(local-cluster[N,C,M], spark://, k8s://, yarn) and aggregate by host",
    )
    p.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Spark configuration for --spark-master (repeatable)",
    )
    p.add_argument(
        "--auth-secret-file",
        metavar="FILE",
        help="the cluster's spark.authenticate secret, read from FILE (or $TRIPLOCK_SPARK_SECRET)"
        " so that it never shows in ps, unlike --conf spark.authenticate.secret=...",
    )
    p.add_argument(
        "--k8s-manifest",
        action="store_true",
        help="print a least-privilege DaemonSet whose pods print the probe JSON",
    )
    p.add_argument("--image", default=DEFAULT_IMAGE, help="image for --k8s-manifest")
    p.add_argument("--namespace", default="triplock-probe", help="namespace for --k8s-manifest")
    p.add_argument(
        "-f",
        "--format",
        choices=("table", "json", "jsonl"),
        help="table (default on a terminal), json (default otherwise), or jsonl "
        "(one line, as the DaemonSet prints it)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from triplock.cli import UsageError
    from triplock.commands._output import write_text

    if args.k8s_manifest:
        from triplock.probe.daemonset import render

        write_text(render(args.image, args.namespace), args.output)
        return 0
    settings = _settings(args.conf) | _auth_secret(args.auth_secret_file)
    if args.spark_master and not _LOCAL_MASTER.match(args.spark_master):
        hosts, missing = _spark(args.spark_master, settings)
    else:
        if args.spark_master:  # local[N] runs its executors in this host's driver JVM
            print(f"triplock: {args.spark_master} is this host: probed directly", file=sys.stderr)
        from triplock.probe.host import probe_host

        if not os.path.isdir(args.root):
            raise UsageError(f"--root {args.root}: not a directory")
        hosts, missing = [probe_host(args.root, args.hostname)], ()
    write_text(_render(hosts, missing, args.format), args.output)
    return 1 if missing else 0


def _settings(conf: list[str]) -> dict[str, str]:
    from triplock.cli import UsageError

    settings: dict[str, str] = {}
    for item in conf:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--conf {item!r}: expected KEY=VALUE")
        if key == "spark.authenticate.secret":
            print(
                "triplock: warning: a secret in --conf shows in ps; use --auth-secret-file FILE "
                f"or ${_SECRET_ENV}",
                file=sys.stderr,
            )
        settings[key] = value
    return settings


def _auth_secret(path: str | None) -> dict[str, str]:
    """spark.authenticate settings from a file or the environment, never from the command line."""
    from triplock.cli import UsageError

    secret = os.environ.get(_SECRET_ENV)
    if path is not None:
        try:
            with open(path, encoding="utf-8") as handle:
                secret = handle.read().strip()
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"--auth-secret-file {path}: {e}") from None
        if not secret:
            raise UsageError(f"--auth-secret-file {path}: the file is empty")
    if not secret:
        return {}
    return {"spark.authenticate": "true", "spark.authenticate.secret": secret}


def _spark(master: str, settings: dict[str, str]) -> tuple[list[Any], tuple[str, ...]]:
    from triplock.cli import UsageError

    try:
        from triplock.probe.spark import probe_cluster
    except ImportError as e:
        raise UsageError(f"--spark-master needs pyspark: {e}") from e
    try:
        result = probe_cluster(master, settings)
    except Exception as e:  # Py4J and Spark job failures: one line, not a JVM stack trace
        hint = "" if "spark.authenticate.secret" in settings else _AUTH_HINT
        raise UsageError(f"the Spark probe on {master} failed: {_cause(e)}{hint}") from e
    return result.hosts, result.missing_executors


def _cause(error: Exception) -> str:
    """The line that says what went wrong: an executor's Python exception (Spark wraps it in
    "An exception was thrown from the Python worker:"), else the first line."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if _PYTHON_ERROR.match(line):
            return line
    return lines[0] if lines else repr(error)


def _render(hosts: list[Any], missing: tuple[str, ...], fmt: str | None) -> str:
    from triplock.probe import report

    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    if fmt == "table":
        return report.render_table(hosts, missing)
    if fmt == "jsonl":
        return report.render_json_line(hosts)
    return report.render_json(hosts, missing)
