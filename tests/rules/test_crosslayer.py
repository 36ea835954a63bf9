"""Cross-layer rules: Spark and Hadoop settings judged together with pods, ConfigMaps and RBAC."""

from __future__ import annotations

from tests.helpers.kube_audit import findings, lines

HARDENED = "hardened"


def test_auth_secret_readable_by_pod_readers() -> None:
    (fail,) = findings("XLAYER-001", "fail", "sparkapp-operator.yaml")
    assert fail["location"]["line"] == 14
    assert "User bob" in fail["message"]
    assert "spark-jobs/spark" not in fail["message"]  # the driver itself is not a leak
    assert not findings("XLAYER-001", "fail", HARDENED)
    (ok,) = findings("XLAYER-001", "pass", "auth-env-driver-only.yaml")
    assert ok["location"]["line"] == 10


def test_key_files_must_come_from_secret_volumes() -> None:
    assert lines("XLAYER-002", "fail", "sparkapp-operator.yaml") == [16]
    assert lines("XLAYER-002", "pass", "driver-pod-template.yaml") == [16]
    assert findings("XLAYER-002", "pass", HARDENED)


def test_non_local_keytab_is_left_to_the_spark_rule() -> None:
    assert all(
        "keytab" not in f["message"]
        for f in findings("XLAYER-002", "fail", "sparkapp-operator.yaml")
    )


def test_configmap_spark_conf_with_secret() -> None:
    (fail,) = findings("XLAYER-004", "fail", "insecure-all.yaml")
    assert fail["location"]["line"] == 86
    assert fail["evidence"][0]["value"] == "****"
    assert not findings("K8S-003", "fail", "insecure-all.yaml")[0]["message"].startswith(
        "spark-defaults.conf"
    )
    assert findings("XLAYER-004", "pass", HARDENED)


def test_spark_runs_as_overprivileged_account() -> None:
    (fail,) = findings("XLAYER-005", "fail", "sparkapp-operator.yaml")
    assert fail["location"]["line"] == 25
    assert "edit" in fail["message"]
    assert findings("XLAYER-005", "pass", HARDENED)
    assert not findings("XLAYER-005", "fail", HARDENED)


def test_hadoop_key_files_next_to_pod_specs() -> None:
    (fail,) = findings("XLAYER-002", "fail", "hdfs")
    assert fail["location"]["path"].endswith("ssl-server.xml")
    assert fail["location"]["line"] == 5
    assert "not a Secret" in fail["message"]
    (ok,) = findings("XLAYER-002", "pass", "hdfs")
    assert ok["location"]["path"].endswith("hdfs-site.xml")
