"""One verify run: every target observed in turn, each failure an `errors` entry naming the
target, so that one dead or strange endpoint never stops the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from triplock.facts.live import ServiceKind
from triplock.inventory import Inventory
from triplock.live.http import Client, HttpError
from triplock.model import AuditResult, Finding


@dataclass
class Plan:
    """What to observe: Spark REST APIs (`live`), Hadoop daemons (`hadoop`), endpoints to
    probe (`probes`) and an etcd (`etcd`, with its client TLS files)."""

    live: list[str] = field(default_factory=list)
    hadoop: list[str] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)
    passive: bool = False
    etcd: str | None = None
    etcd_tls: tuple[str | None, str | None, str | None] = (None, None, None)  # cert, key, ca


def observe(plan: Plan, client: Client, inventory: Inventory) -> None:
    from triplock.live.hadoop_conf import hadoop_conf
    from triplock.live.spark_env import LiveError, spark_apps
    from triplock.live.spark_probe import probe
    from triplock.sources.hadoop_xml import spark_hadoop_conf

    for url in plan.live:
        try:
            apps = spark_apps(url, client)
        except LiveError as e:
            inventory.record_error(url, str(e))
            continue
        inventory.record_input(url, "live-spark")
        for app in apps:
            inventory.add(app)
            conf = spark_hadoop_conf(app)
            if conf is not None:
                inventory.add(conf)
    for url in plan.hadoop:
        try:
            inventory.add(hadoop_conf(url, client, inventory))
            inventory.record_input(url, "live-hadoop-conf")
        except LiveError as e:
            inventory.record_error(url, str(e))
    for target in plan.probes:
        try:
            service = probe(target, client, plan.passive)
        except (HttpError, ValueError) as e:
            inventory.record_error(target, str(e))
            continue
        if service.error is not None:
            inventory.record_error(target, service.error)
            continue
        if service.kind is ServiceKind.OTHER:
            inventory.record_error(target, f"{service.location.url} is not a Spark service")
            continue
        inventory.record_input(target, f"live-probe ({service.kind.value})")
        inventory.add(service)
    if plan.etcd:
        _observe_etcd(plan, client, inventory)


def url_locations(result: AuditResult, options: object) -> None:
    """A post step: a location whose path is a URL (rules that build a location from a
    configuration's path) is reported as location.url, the contract for live observations."""
    result.findings = [_at_url(finding) for finding in result.findings]


def _at_url(finding: Finding) -> Finding:
    path = finding.location.path
    if path is None or not path.startswith(("http://", "https://")):
        return finding
    return finding.replace(location=finding.location._replace(path=None, url=path))


def _observe_etcd(plan: Plan, client: Client, inventory: Inventory) -> None:
    from triplock.live.etcd import EtcdError, etcd_secrets

    assert plan.etcd is not None
    try:
        inventory.add(etcd_secrets(plan.etcd, *plan.etcd_tls, timeout=client.timeout))
        inventory.record_input(plan.etcd, "live-etcd")
    except EtcdError as e:
        inventory.record_error(plan.etcd, str(e))
