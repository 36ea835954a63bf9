"""A Hadoop daemon's effective configuration from its `/conf` servlet (NameNode, DataNode,
KMS, ResourceManager all serve it), as a HadoopConf judged by the Hadoop rules."""

from __future__ import annotations

from triplock.facts.hadoop import HadoopConf
from triplock.inventory import Inventory
from triplock.live.http import Client, HttpError
from triplock.live.spark_env import LiveError
from triplock.sources.hadoop_xml import served_conf_at
from triplock.sources.interface import SourceError


def hadoop_conf(url: str, client: Client, inventory: Inventory) -> HadoopConf:
    """`url` is the daemon's web address or its /conf URL."""
    conf_url = url if url.rstrip("/").endswith("/conf") else url.rstrip("/") + "/conf"
    try:
        reply = client.get(conf_url, {"Accept": "application/xml"})
    except HttpError as e:
        raise LiveError(f"{conf_url}: {e}") from None
    if reply.status != 200:
        raise LiveError(f"{conf_url}: HTTP {reply.status}")
    try:
        return served_conf_at(conf_url, reply.body, inventory)
    except SourceError as e:
        raise LiveError(f"{conf_url}: {e}") from None
