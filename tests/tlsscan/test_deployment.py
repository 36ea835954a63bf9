"""`triplock audit --scan-endpoints`: the endpoints a deployment declares are scanned and
judged with its files (real servers of the farm stand in for the declared services)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, write
from tests.tlsscan.farm import Server
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover
from triplock.tlsscan.deployment import declared_targets

HDFS_SITE = """<?xml version="1.0"?>
<configuration>
  <property><name>dfs.http.policy</name><value>HTTPS_ONLY</value></property>
  <property><name>dfs.namenode.https-address</name><value>0.0.0.0:{nn}</value></property>
</configuration>
"""
CORE_SITE = """<?xml version="1.0"?>
<configuration>
  <property><name>hadoop.security.key.provider.path</name>
    <value>kms://https@kms1.example;kms2.example:9600/kms</value></property>
</configuration>
"""


def _inventory(root: Path) -> Inventory:
    inventory = Inventory()
    discover([str(root)], all_sources(), inventory, 10 * 1024 * 1024)
    return inventory


def test_declared_targets(tmp_path: Path) -> None:
    write(
        tmp_path,
        "conf/spark-defaults.conf",
        "spark.ssl.enabled true\nspark.ui.port 4050\nspark.driver.host driver.example\n",
    )
    write(tmp_path, "hadoop/hdfs-site.xml", HDFS_SITE.format(nn=9871))
    write(tmp_path, "hadoop/core-site.xml", CORE_SITE)
    labels = {t.label for t in declared_targets(_inventory(tmp_path), "node.example")}
    assert labels == {
        "driver.example:4450",
        "node.example:9871",
        "kms1.example:9600",
        "kms2.example:9600",
    }


def test_the_generic_port_is_not_the_ui_port(tmp_path: Path) -> None:
    """Spark serves the UI's HTTPS on spark.ssl.ui.port, else the UI port + 400; it never
    reads spark.ssl.port for it (tests/rules/test_spark_tls_on_spark.py shows it on Spark)."""
    write(
        tmp_path,
        "conf/spark-defaults.conf",
        "spark.ssl.enabled true\nspark.ssl.port 9443\nspark.ui.port 4050\n",
    )
    assert [t.label for t in declared_targets(_inventory(tmp_path), "node")] == ["node:4450"]
    write(tmp_path, "conf/spark-defaults.conf", "spark.ssl.enabled true\nspark.ssl.ui.port 9444\n")
    assert [t.label for t in declared_targets(_inventory(tmp_path), "node")] == ["node:9444"]


def test_no_tls_declared_means_nothing_to_scan(tmp_path: Path) -> None:
    write(tmp_path, "conf/spark-defaults.conf", "spark.ui.port 4050\n")
    assert declared_targets(_inventory(tmp_path)) == []


def test_audit_scans_declared_endpoints(farm_servers: dict[str, Server], tmp_path: Path) -> None:
    ui, namenode = farm_servers["nginx-intermediate"], farm_servers["leaf-only"]
    write(
        tmp_path,
        "conf/spark-defaults.conf",
        f"spark.ssl.ui.enabled true\nspark.ssl.ui.port {ui.port}\n",
    )
    write(tmp_path, "hadoop/hdfs-site.xml", HDFS_SITE.format(nn=namenode.port))
    result = run_cli(
        "audit", str(tmp_path), "--scan-endpoints", "--format", "json", "--fail-on", "critical"
    )
    assert result.code in (0, 1), result.err
    doc = result.json()
    urls = {f["location"]["url"] for f in doc["findings"] if f["rule_id"].startswith("TLS-")}
    assert {f"tls://127.0.0.1:{ui.port}", f"tls://127.0.0.1:{namenode.port}"} <= urls
    grades = {
        f["location"]["url"]: f["status"] for f in doc["findings"] if f["rule_id"] == "TLS-060"
    }
    assert grades[f"tls://127.0.0.1:{ui.port}"] == "pass"
    assert grades[f"tls://127.0.0.1:{namenode.port}"] == "fail"
    assert {"path": f"tls://127.0.0.1:{ui.port}", "kind": "tls-endpoint"} in doc["inputs"]


def test_audit_without_the_flag_stays_offline(
    farm_servers: dict[str, Server], tmp_path: Path
) -> None:
    ui = farm_servers["nginx-intermediate"]
    write(
        tmp_path,
        "conf/spark-defaults.conf",
        f"spark.ssl.ui.enabled true\nspark.ssl.ui.port {ui.port}\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json", "--fail-on", "critical")
    assert not [f for f in result.json()["findings"] if f["rule_id"].startswith("TLS-")]


CANARY_TLS = Path(__file__).resolve().parent.parent / "fixtures" / "canary" / "tls"


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_no_canary_when_scanning_declared_endpoints(fmt: str) -> None:
    result = run_cli(
        "audit", str(CANARY_TLS), "--scan-endpoints", "--format", fmt, "--fail-on", "critical"
    )
    assert result.code in (0, 1, 2), result.err
    assert "CANARY" not in result.out + result.err
    assert "127.0.0.1:1" in result.out


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_no_canary_when_scanning_a_targets_file(fmt: str) -> None:
    result = run_cli(
        "scan", "--targets", str(CANARY_TLS / "targets.txt"), "--format", fmt, "--timeout", "1"
    )
    assert result.code == 2
    assert "CANARY" not in result.out + result.err
