"""The TLS endpoints a deployment declares, and scan results back into its Inventory.

`triplock audit --scan-endpoints` reads the Spark UI and history server SSL ports, Hadoop's
*https address settings and the KMS URL from the audited files, scans them, and adds what it
saw (Endpoint facts and, for each chain, a CertChain of origin "endpoint") before the rules run.
"""

from __future__ import annotations

import re
from typing import Any

from triplock.facts.spark import SparkApp
from triplock.facts.tls import Endpoint
from triplock.inventory import Inventory
from triplock.tlsscan.connector import Limits, Target, TargetError, parse_target

# Spark binds an SSL service to its plain port + 400 unless spark.ssl.NS.port says otherwise.
_SPARK_SERVICES = (("ui", "spark.ui.port", 4040), ("historyServer", "spark.history.ui.port", 18080))
_HTTPS_ADDRESS = re.compile(r"https[.-]address$")
_KMS_KEYS = ("hadoop.security.key.provider.path", "dfs.encryption.key.provider.uri")
_KMS_URL = re.compile(r"kms://https@(?P<hosts>[^:/]+):(?P<port>\d+)")
_ANY_ADDRESS = ("0.0.0.0", "::", "[::]", "")


def _spark_flag(app: SparkApp, ns: str) -> bool:
    for key in (f"spark.ssl.{ns}.enabled", "spark.ssl.enabled"):
        value = app.flag(key, default=False)
        if app.get(key) is not None:
            return bool(value)
    return False


def _spark_targets(app: SparkApp, scan_host: str) -> list[str]:
    out = []
    host = app.value("spark.driver.host") or scan_host
    for ns, plain_key, plain_default in _SPARK_SERVICES:
        if not _spark_flag(app, ns):
            continue
        if ns == "historyServer" and not app.matching("spark.history."):
            continue
        # Spark reads no fallback for a namespace's port: spark.ssl.port is not the UI's.
        port_setting = app.get(f"spark.ssl.{ns}.port")
        plain = app.get(plain_key)
        if port_setting is not None and not port_setting.templated:
            port = port_setting.value.strip()
        elif plain is None or not plain.templated:
            base = plain.value.strip() if plain is not None else str(plain_default)
            port = str(int(base) + 400) if base.isdigit() else ""
        else:
            continue
        if port.isdigit() and int(port) > 0:
            out.append(f"{scan_host if ns == 'historyServer' else host}:{port}")
    return out


def _hadoop_targets(conf: Any, scan_host: str) -> list[str]:
    out = []
    for key in conf.names():
        if _HTTPS_ADDRESS.search(key):
            address = conf.text(key)
            if address and ":" in address:
                host, _, port = address.rpartition(":")
                out.append(f"{scan_host if host in _ANY_ADDRESS else host}:{port}")
    for key in _KMS_KEYS:
        url = conf.text(key)
        match = _KMS_URL.match(url or "")
        if match:
            out += [f"{host}:{match['port']}" for host in match["hosts"].split(";")]
    return out


def declared_targets(inventory: Inventory, scan_host: str = "127.0.0.1") -> list[Target]:
    """Targets the audited deployment declares with TLS on; `scan_host` stands in where a
    setting names only a port (or the wildcard address)."""
    from triplock.facts.hadoop import HadoopConf

    texts: list[str] = []
    for app in inventory.of(SparkApp):
        texts += _spark_targets(app, scan_host)
    for conf in inventory.of(HadoopConf):
        texts += _hadoop_targets(conf, scan_host)
    targets: dict[Target, None] = {}
    for text in texts:
        try:
            targets[parse_target(text)] = None
        except TargetError:
            inventory.record_error(text, "declared endpoint is not host:port")
    return list(targets)


def add_endpoints(inventory: Inventory, endpoints: list[Endpoint]) -> None:
    """Endpoint facts, and each chain seen on the wire as a CertChain (origin "endpoint")."""
    from triplock.facts.certs import chain_from_der

    for ep in endpoints:
        inventory.add(ep)
        if ep.error is not None:
            inventory.record_error(ep.target, ep.error)
            continue
        inventory.record_input(ep.location.url or ep.target, "tls-endpoint")
        seen: set[bytes] = set()
        for protocol, ders in ep.certificate_chains.items():
            if not ders or ders[0] in seen:
                continue
            seen.add(ders[0])
            where = ep.where(f"{protocol} certificate chain")
            try:
                chain = chain_from_der(
                    ders, f"{ep.target} ({protocol})", where, "endpoint", role="server"
                )
            except ValueError as e:
                ep.notes.append(f"{protocol}: unparsable certificate: {e}")
                continue
            inventory.add(chain)


def scan_declared(inventory: Inventory, scan_host: str, limits: Limits) -> list[Endpoint]:
    """Scan what the inventory declares and add the observations to it."""
    from triplock.tlsscan.scanner import scan

    targets = declared_targets(inventory, scan_host)
    endpoints = scan(targets, limits) if targets else []
    add_endpoints(inventory, endpoints)
    return endpoints
