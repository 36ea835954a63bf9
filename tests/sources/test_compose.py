"""Compose files and env files: services, their environment (list and map forms), env files,
ports, volumes, and the Hadoop/Spark configurations the common images build from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli, write
from triplock.facts.compose import ComposeService, EnvFile
from triplock.facts.hadoop import HadoopConf, Role
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover
from triplock.sources.image_env import hadoop_key

FIXTURES = ROOT / "tests" / "fixtures" / "compose"


def inventory_of(path: Path) -> Inventory:
    inv = Inventory()
    discover([str(path)], all_sources(), inv)
    return inv


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("CORE_CONF_fs_defaultFS", (Role.CORE, "fs.defaultFS")),
        ("HDFS_CONF_dfs_permissions_enabled", (Role.HDFS, "dfs.permissions.enabled")),
        (
            "HDFS_CONF_dfs_namenode_datanode_registration_ip___hostname___check",
            (Role.HDFS, "dfs.namenode.datanode.registration.ip-hostname-check"),
        ),
        (
            "YARN_CONF_yarn_resourcemanager_resource__tracker_address",
            (Role.OTHER, "yarn.resourcemanager.resource_tracker.address"),
        ),
        ("CORE_CONF_", None),
        ("CLUSTER_NAME", None),
    ],
)
def test_image_variable_names_become_hadoop_keys(
    variable: str, expected: tuple[Role, str] | None
) -> None:
    assert hadoop_key(variable) == expected


def test_services_share_one_hadoop_configuration_with_env_file_lines() -> None:
    inv = inventory_of(FIXTURES / "docker-hadoop")
    assert not inv.errors
    services = {s.name: s for s in inv.of(ComposeService)}
    assert set(services) == {"namenode", "datanode", "resourcemanager"}
    confs = {c.name: c for c in inv.of(HadoopConf)}
    # namenode and resourcemanager read the same settings; the datanode adds one of its own.
    assert len(confs) == 2
    shared = next(c for c in confs.values() if "namenode" in c.name)
    assert "resourcemanager" in shared.name
    perm = shared.get("dfs.permissions.enabled")
    assert perm is not None and perm.text == "false"
    assert perm.location.path is not None and perm.location.path.endswith("hadoop.env")
    assert perm.location.line == 7
    assert shared.get("hadoop.security.authentication") is not None  # defaults fill the gaps
    own = next(c for c in confs.values() if "datanode" in c.name)
    data_dir = own.get("dfs.datanode.data.dir")
    assert data_dir is not None and data_dir.location.line == 21


def test_env_file_no_service_loads_is_its_own_configuration(tmp_path: Path) -> None:
    write(tmp_path, "hadoop.env", "# c\nHDFS_CONF_dfs_permissions_enabled=false\n")
    inv = inventory_of(tmp_path)
    (env,) = inv.of(EnvFile)
    (conf,) = inv.of(HadoopConf)
    assert conf.get("dfs.permissions.enabled") is not None
    assert env.entries[0].location.line == 2


def test_ports_and_environment_forms() -> None:
    inv = inventory_of(FIXTURES / "bitnami-spark")
    services = {s.name: s for s in inv.of(ComposeService)}
    master = services["spark"]
    assert [(p.target, p.published, p.host_ip) for p in master.ports] == [(8080, "8080", None)]
    worker = services["spark-worker"]
    env = {e.name: e for e in worker.environment}
    assert env["SPARK_WORKER_MEMORY"].templated
    assert env["SPARK_MODE"].value == "worker" and env["SPARK_MODE"].location.line == 18
    assert worker.secrets == ("rpc_secret",)
    assert worker.volumes == (("/var/run/docker.sock:/var/run/docker.sock", 24),)


def test_bitnami_variables_become_spark_settings() -> None:
    inv = inventory_of(FIXTURES / "bitnami-spark")
    apps = {a.name: a for a in inv.of(SparkApp)}
    master = apps["service spark"]
    auth = master.get("spark.authenticate")
    assert auth is not None and auth.value == "false" and auth.location.line == 8
    worker = apps["service spark-worker"]
    assert worker.flag("spark.authenticate", False) is True


def test_published_port_forms(tmp_path: Path) -> None:
    write(
        tmp_path,
        "compose.yaml",
        "services:\n  a:\n    ports:\n      - '127.0.0.1:4040:4040'\n      - '8080'\n"
        "      - '18080-18081:18080-18081/tcp'\n      - target: 6066\n        published: '6066'\n",
    )
    inv = inventory_of(tmp_path)
    (svc,) = inv.of(ComposeService)
    assert [(p.target, p.published, p.host_ip) for p in svc.ports] == [
        (4040, "4040", "127.0.0.1"),
        (8080, None, None),
        (18080, "18080-18081", None),
        (18081, "18080-18081", None),
        (6066, "6066", None),
    ]


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("compose.yaml", "services: [a, b]\n", "no `services:` mapping"),
        ("docker-compose.yml", "services:\n  a: {\n", "malformed YAML"),
        ("app.env", "GOOD=1\nthis line is no assignment SECRETCANARY\n", "line 2: not KEY=VALUE"),
    ],
)
def test_bad_input_is_an_error_without_its_text(
    tmp_path: Path, name: str, text: str, reason: str
) -> None:
    write(tmp_path, name, text)
    write(tmp_path, "ok.env", "A=1\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (error,) = result.json()["errors"]
    assert reason in error["reason"]
    assert "CANARY" not in result.out
    assert any(i["path"].endswith("ok.env") for i in result.json()["inputs"])


def test_hadoop_image_variables_in_a_pod_are_hadoop_settings(tmp_path: Path) -> None:
    """The bde2020 images run on Kubernetes with their variables in the pod env."""
    write(
        tmp_path,
        "namenode.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: namenode}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: namenode\n"
        "          image: bde2020/hadoop-namenode:2.0.0-hadoop3.2.1-java8\n          env:\n"
        '            - name: HDFS_CONF_dfs_permissions_enabled\n              value: "false"\n',
    )
    inv = inventory_of(tmp_path)
    (conf,) = inv.of(HadoopConf)
    perm = conf.get("dfs.permissions.enabled")
    assert perm is not None and perm.text == "false" and perm.location.line == 12
