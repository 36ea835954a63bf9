"""The Spark auth secret provider: where the secret goes depends on where Spark runs (its own
per-application secret on YARN and local, a mounted Secret on Kubernetes, a --properties-file
for standalone), never into the edited file; without --secrets-dir nothing half-done."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import run_cli, write


def _fix(conf: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli(
        "fix", "--write", "-f", "json", "--only", "SPARK-001,SPARK-003", *extra, str(conf)
    )
    return result.code, json.loads(result.out), result.out + result.err


def test_standalone_gets_a_properties_file_with_the_secret_and_only_the_switch(
    tmp_path: Path,
) -> None:
    conf = write(tmp_path / "d", "spark-defaults.conf", "spark.master spark://m:7077\n")
    secrets = tmp_path / "secrets"
    code, report, shown = _fix(conf, "--secrets-dir", str(secrets))
    assert code == 0, shown
    secret = (secrets / "spark-auth" / "secret").read_text()
    properties = secrets / "spark-auth" / "spark-auth.properties"
    assert properties.read_text() == f"spark.authenticate.secret {secret}\n"
    assert properties.stat().st_mode & 0o777 == 0o600
    assert conf.read_text() == "spark.master spark://m:7077\nspark.authenticate true\n"
    assert secret not in shown
    assert {g["path"] for g in report["generated"]} == {
        str(secrets / "spark-auth" / "secret"),
        str(properties),
    }
    assert all(r["rule_id"] != "SPARK-001" for r in report["remaining"])


def test_kubernetes_gets_a_secret_manifest_mounted_and_the_file_settings(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "d",
        "spark-defaults.conf",
        "spark.master k8s://https://api:6443\nspark.kubernetes.namespace spark-jobs\n"
        "spark.authenticate false\n",
    )
    secrets = tmp_path / "secrets"
    code, report, shown = _fix(conf, "--secrets-dir", str(secrets))
    assert code == 0, shown
    text = conf.read_text()
    for line in (
        "spark.authenticate true\n",
        "spark.authenticate.secret.driver.file /mnt/secrets/spark-auth/secret\n",
        "spark.authenticate.secret.executor.file /mnt/secrets/spark-auth/secret\n",
        "spark.kubernetes.driver.secrets.spark-auth /mnt/secrets/spark-auth\n",
        "spark.kubernetes.executor.secrets.spark-auth /mnt/secrets/spark-auth\n",
    ):
        assert line in text
    secret = (secrets / "spark-auth" / "secret").read_bytes()
    manifest_file = secrets / "spark-auth" / "spark-auth-secret.yaml"
    manifest = yaml.safe_load(manifest_file.read_text())
    assert (manifest["kind"], manifest["metadata"]["name"]) == ("Secret", "spark-auth")
    assert manifest["metadata"]["namespace"] == "spark-jobs"
    assert base64.b64decode(manifest["data"]["secret"]) == secret
    assert manifest_file.stat().st_mode & 0o777 == 0o600
    assert secret.decode() not in text + shown
    remaining = {r["rule_id"] for r in report["remaining"]}
    assert not remaining & {"SPARK-001", "SPARK-003"}


def test_yarn_makes_its_own_secret_so_nothing_is_generated(tmp_path: Path) -> None:
    conf = write(tmp_path / "d", "spark-defaults.conf", "spark.master yarn\n")
    code, report, shown = _fix(conf)
    assert code == 0, shown
    assert conf.read_text() == "spark.master yarn\nspark.authenticate true\n"
    assert report["generated"] == []


def test_without_secrets_dir_standalone_auth_is_left_untouched(tmp_path: Path) -> None:
    conf = write(tmp_path / "d", "spark-defaults.conf", "spark.master spark://m:7077\n")
    _, report, _ = _fix(conf)
    assert conf.read_text() == "spark.master spark://m:7077\n"  # Spark would refuse to start
    whys = {r["rule_id"]: r["why"] for r in report["remaining"]}
    assert whys["SPARK-001"].startswith("needs --secrets-dir")


def test_a_spark_application_gets_the_settings_and_a_secret_in_its_namespace(
    tmp_path: Path,
) -> None:
    app = write(
        tmp_path / "d",
        "app.yaml",
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\n"
        "metadata:\n  name: etl\n  namespace: spark-jobs\nspec:\n  type: Python\n"
        '  mode: cluster\n  sparkConf:\n    spark.authenticate: "true"  # keep me\n',
    )
    secrets = tmp_path / "secrets"
    code, _, shown = _fix(app, "--secrets-dir", str(secrets))
    assert code == 0, shown
    conf = yaml.safe_load(app.read_text())["spec"]["sparkConf"]
    assert conf["spark.authenticate.secret.executor.file"] == "/mnt/secrets/spark-auth/secret"
    assert conf["spark.kubernetes.driver.secrets.spark-auth"] == "/mnt/secrets/spark-auth"
    assert "# keep me" in app.read_text()
    manifest = yaml.safe_load((secrets / "spark-auth" / "spark-auth-secret.yaml").read_text())
    assert manifest["metadata"]["namespace"] == "spark-jobs"
