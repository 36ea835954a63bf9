"""triplock scan TARGET... : observe live TLS endpoints and judge them like an audit."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from triplock.commands._args import (
    add_fail_on,
    add_formats_and_outputs,
    fail_threshold,
    pair_outputs,
)

if TYPE_CHECKING:
    from triplock.facts.tls import Endpoint
    from triplock.model import AuditResult
    from triplock.tlsscan.connector import Target

SCAN_SCHEMA_VERSION = "1.0"


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "scan",
        help="scan live TLS endpoints (protocols, suites, key exchange, chains, resumption)",
        description="Observe TLS endpoints with hello-only probes and judge them under the "
        "transit.tls controls. TARGET is host:port, [IPv6]:port or a host name (port 443).",
    )
    p.add_argument(
        "targets", nargs="*", metavar="TARGET", help="host:port, [IPv6]:port or https:// URL"
    )
    p.add_argument(
        "--targets",
        dest="targets_file",
        metavar="FILE",
        help="read more targets from FILE, one per line (# comments)",
    )
    p.add_argument("--sni", metavar="NAME", help="server name to send (default: the host name)")
    add_formats_and_outputs(
        p,
        "output format (repeatable, as for audit): table (default on a terminal), json "
        "(default otherwise; the scan contract with endpoint details), sarif, markdown, html, "
        "junit, summary",
    )
    add_fail_on(p, "exit 1 when a failing finding has this severity or higher", default="high")
    p.add_argument(
        "--timeout", type=float, default=5.0, metavar="SECONDS", help="per exchange (default 5)"
    )
    p.add_argument(
        "--per-host",
        type=int,
        default=5,
        metavar="N",
        help="connections at once to one host, all its ports together (default 5)",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=256,
        metavar="N",
        help="connections at once overall (default 256)",
    )
    p.set_defaults(run=run)


def read_targets(args: argparse.Namespace) -> list[Target]:
    from triplock.cli import UsageError
    from triplock.tlsscan.connector import TargetError, parse_target

    texts = list(args.targets)
    if args.targets_file:
        try:
            with open(args.targets_file, encoding="utf-8") as handle:
                lines = [line.split("#", 1)[0].strip() for line in handle]
        except OSError as e:
            raise UsageError(f"cannot read {args.targets_file}: {e.strerror}") from e
        texts += [line for line in lines if line]
    if not texts:
        raise UsageError("no target given (TARGET... or --targets FILE)")
    try:
        return list(dict.fromkeys(parse_target(t, args.sni) for t in texts))
    except TargetError as e:
        raise UsageError(str(e)) from e


def run(args: argparse.Namespace) -> int:
    from triplock.cli import UsageError
    from triplock.commands._output import write_text
    from triplock.tlsscan.connector import Limits
    from triplock.tlsscan.scanner import scan, stderr_progress

    if args.timeout <= 0 or args.per_host < 1 or args.max_connections < 1:
        raise UsageError("--timeout, --per-host and --max-connections must be positive")
    targets = read_targets(args)
    limits = Limits(args.timeout, args.per_host, args.max_connections)
    endpoints = scan(targets, limits, stderr_progress())
    formats, outputs = pair_outputs(args.formats, args.outputs)
    result = judge_endpoints(endpoints)
    for name, path in zip(formats, outputs, strict=True):
        write_text(_render(name, endpoints, result), path)
    return result.exit_code(fail_threshold(args))


def _render(name: str, endpoints: list[Endpoint], result: AuditResult) -> str:
    """JSON and the table carry the endpoints' details; the other formats render the findings
    as an audit's."""
    from triplock import formats

    if name == "json":
        return render_json(endpoints, result)
    if name == "table":
        return render_table(endpoints, result)
    return formats.renderer(name)(result)


# The rules that judge what a scan observes (Endpoint and CertChain facts); the others have
# nothing to judge in a scan and cost start-up (tests/commands/test_scan.py checks the set).
SCAN_RULE_MODULES = ("tls", "certs")


def judge_endpoints(endpoints: list[Endpoint]) -> AuditResult:
    from triplock.audit import AuditOptions, judge
    from triplock.inventory import Inventory
    from triplock.tlsscan.deployment import add_endpoints

    inventory = Inventory()
    add_endpoints(inventory, endpoints)
    return judge(inventory, AuditOptions(paths=[], rule_modules=SCAN_RULE_MODULES))


def endpoint_dict(ep: Endpoint) -> dict[str, Any]:
    from triplock.rules._tls_grade import cert_of, grade, mozilla_deviations

    chains: dict[str, list[dict[str, Any]]] = {}
    for protocol, ders in ep.certificate_chains.items():
        chains[protocol] = []
        for der in ders:
            try:
                c = cert_of(der)
            except ValueError:
                chains[protocol].append({"error": "unparsable certificate"})
                continue
            chains[protocol].append(
                {
                    "subject": c.subject,
                    "issuer": c.issuer,
                    "not_before": c.not_before.isoformat(),
                    "not_after": c.not_after.isoformat(),
                    "key_type": c.key_type,
                    "key_bits": c.key_bits,
                    "signature_hash": c.signature_hash,
                    "sans": list(c.sans),
                    "sha256": c.fingerprint_sha256,
                }
            )
    data = ep.to_dict()
    result = grade(ep)
    data["certificate_chains"] = chains
    data["grade"] = result.letter if result else None
    data["grade_reasons"] = result.reasons if result else []
    data["mozilla"] = {
        profile: (not mozilla_deviations(ep, profile)) if ep.observed else None
        for profile in ("intermediate", "modern")
    }
    return data


def render_json(endpoints: list[Endpoint], result: AuditResult) -> str:
    import orjson

    from triplock.formats._common import result_dict

    audit = result_dict(result)
    document = {
        "schema_version": SCAN_SCHEMA_VERSION,
        "tool": audit["tool"],
        "endpoints": [endpoint_dict(ep) for ep in endpoints],
        "findings": audit["findings"],
        "checklist": [c for c in audit["checklist"] if c["control"].startswith("transit.")],
        "errors": audit["errors"],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def render_table(endpoints: list[Endpoint], result: AuditResult) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    from triplock.formats.table import render

    table = Table(title="TLS endpoints", title_justify="left")
    for column in (
        "target",
        "grade",
        "protocols",
        "suites",
        "groups",
        "resumption",
        "conns",
        "seconds",
    ):
        table.add_column(column)
    for ep in endpoints:
        data = endpoint_dict(ep)
        protocols = " ".join(p.removeprefix("TLSv") for p, on in ep.protocols.items() if on)
        resumed = ",".join(k for k, v in ep.session_resumption.items() if v) or "-"
        table.add_row(
            ep.target,
            data["grade"] or ("error" if ep.error else "-"),
            protocols or (ep.error or "-"),
            str(len(ep.accepted())),
            " ".join(ep.groups[:4]),
            resumed,
            str(ep.connections),
            f"{ep.seconds:.2f}",
        )
    out = io.StringIO()
    Console(file=out, width=160, color_system=None, highlight=False, markup=False).print(table)
    return out.getvalue() + "\n" + render(result)
