"""Fix texts are valid in the file's own syntax: pasting TEE-003's fix into a TOML manifest
keeps it parseable, and a Hadoop fix is a <property>."""

from __future__ import annotations

import html
import tomllib

import pytest

from tests.helpers import ROOT, findings_of, run_cli
from triplock.fix_syntax import setting_text
from triplock.model import Fix, FixAction


@pytest.mark.parametrize(
    ("path", "value", "text"),
    [
        ("app.manifest.template", "strict", 'sgx.file_check_policy = "strict"'),
        ("app.manifest", "false", "sgx.file_check_policy = false"),
        ("gramine.toml", "1024", "sgx.file_check_policy = 1024"),
        ("spark-defaults.conf", "strict", "sgx.file_check_policy=strict"),
        (None, "x", "sgx.file_check_policy=x"),
    ],
)
def test_setting_text_per_syntax(path: str | None, value: str, text: str) -> None:
    assert setting_text("sgx.file_check_policy", value, path) == text


def test_hadoop_fix_is_a_property() -> None:
    fix = Fix(FixAction.SET, "dfs.permissions.enabled", "true", "conf/hdfs-site.xml")
    assert fix.describe() == (
        "set <property><name>dfs.permissions.enabled</name><value>true</value></property>"
    )


def test_tee003_fix_pasted_into_the_manifest_parses() -> None:
    manifest = (
        ROOT / "tests" / "fixtures" / "tee" / "manifests" / "spark-insecure.manifest.template"
    )
    result = run_cli("audit", str(manifest), "--format", "junit")
    json_result = run_cli("audit", str(manifest), "--format", "json")
    (fail,) = findings_of(json_result, "TEE-003", "fail")
    fix = Fix(FixAction(fail["fix"]["action"]), fail["fix"]["target"], fail["fix"]["value"],
              fail["fix"]["path"])  # fmt: skip
    line = fix.describe().removeprefix("set ")
    assert line == 'sgx.file_check_policy = "strict"'
    assert f"fix: set {line}" in html.unescape(result.out)
    tomllib.loads(line)  # today's `sgx.file_check_policy=strict` does not parse


@pytest.mark.parametrize(
    ("key", "path", "text"),
    [
        ("dfs.permissions.enabled", "hadoop.env", "HDFS_CONF_dfs_permissions_enabled=true"),
        ("hadoop.security.authorization", "x/.env", "CORE_CONF_hadoop_security_authorization=true"),
        (
            "dfs.namenode.datanode.registration.ip-hostname-check",
            "docker-compose.yml",
            "HDFS_CONF_dfs_namenode_datanode_registration_ip___hostname___check=true",
        ),
        (
            "yarn.resourcemanager.resource_tracker.x",
            "a.env",
            "YARN_CONF_yarn_resourcemanager_resource__tracker_x=true",
        ),
    ],
)
def test_hadoop_fix_in_an_env_file_is_the_images_variable(key: str, path: str, text: str) -> None:
    from triplock.sources.image_env import hadoop_key

    assert setting_text(key, "true", path) == text
    name = text.split("=", 1)[0]
    found = hadoop_key(name)
    assert found is not None and found[1] == key  # the image reads it back as the same key
