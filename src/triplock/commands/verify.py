"""triplock verify: observe running services (Spark UIs and REST APIs, Spark RPC, Hadoop
/conf, etcd) and judge what they show with the audit's rules and checklist."""

from __future__ import annotations

import argparse
from typing import Any

from triplock.commands._args import add_fail_on, fail_threshold, pair_outputs


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "verify",
        help="observe running Spark/Hadoop/etcd services and judge what they expose",
        description="Probe running services read-only and judge what they show with the "
        "audit's rules. Every request sent is listed in docs/verify.md; none changes anything.",
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="Spark endpoints to probe: host:port or http(s)://host:port (UI, history server, "
        "master, REST submission server, RPC port)",
    )
    p.add_argument(
        "--live",
        action="append",
        default=[],
        metavar="URL",
        help="read the Spark properties of the applications a driver UI or history server "
        "serves (its /api/v1) and audit them (repeatable)",
    )
    p.add_argument(
        "--hadoop-conf",
        action="append",
        default=[],
        metavar="URL",
        help="read a Hadoop daemon's /conf (NameNode, DataNode, KMS, ResourceManager) and audit "
        "it (repeatable)",
    )
    p.add_argument("--etcd", metavar="URL", help="check Kubernetes Secret encryption in etcd")
    p.add_argument("--etcd-cert", metavar="FILE", help="client certificate for etcd")
    p.add_argument("--etcd-key", metavar="FILE", help="client key for etcd")
    p.add_argument("--etcd-ca", metavar="FILE", help="CA that signed etcd's certificate")
    p.add_argument(
        "--passive",
        action="store_true",
        help="only GET public pages: no REST status request, no RPC message",
    )
    p.add_argument(
        "--cacert",
        metavar="FILE",
        help="check HTTPS certificates against FILE (default: observe without checking; "
        "`triplock scan` judges certificates)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="the most one exchange with one target may take (default: 5)",
    )
    p.add_argument(
        "-f", "--format", action="append", dest="formats", metavar="FORMAT", help="as for audit"
    )
    p.add_argument(
        "-o", "--output", action="append", dest="outputs", metavar="FILE", help="as for audit"
    )
    add_fail_on(p, "exit 1 when a failing finding has this severity or higher (default: high)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from triplock.audit import AuditOptions, audit
    from triplock.cli import UsageError
    from triplock.commands.audit import emit
    from triplock.live.observe import Plan, url_locations

    if not (args.targets or args.live or args.hadoop_conf or args.etcd):
        raise UsageError("nothing to verify: give a TARGET, --live, --hadoop-conf or --etcd")
    plan = Plan(
        live=args.live,
        hadoop=args.hadoop_conf,
        probes=args.targets,
        passive=args.passive,
        etcd=args.etcd,
        etcd_tls=(args.etcd_cert, args.etcd_key, args.etcd_ca),
    )
    formats, outputs = pair_outputs(args.formats, args.outputs)
    options = AuditOptions(paths=[], post_steps=[url_locations])
    options.inventory_steps.append(_observe_step(plan, _client(args)))
    result = audit(options)
    emit(result, formats, outputs)
    if not result.inputs:
        reasons = "; ".join(f"{e.path}: {e.reason}" for e in result.errors)
        print(f"triplock: no target could be observed ({reasons})", file=sys.stderr)
        return 2
    return result.exit_code(fail_threshold(args, "high"))


def _client(args: argparse.Namespace) -> Any:
    import ssl

    from triplock.cli import UsageError
    from triplock.live.http import Client, insecure_context

    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.cacert is None:
        return Client(args.timeout, insecure_context())
    try:
        return Client(args.timeout, ssl.create_default_context(cafile=args.cacert))
    except (OSError, ssl.SSLError) as e:
        raise UsageError(f"--cacert {args.cacert}: {e}") from None


def _observe_step(plan: Any, client: Any) -> Any:
    def step(inventory: Any, options: Any) -> None:
        from triplock.live.observe import observe

        observe(plan, client, inventory)

    return step
