"""S3A object storage rules, in core-site.xml and as spark.hadoop.* in Spark configuration."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write
from tests.helpers.hadoop import findings, fixture_pair_tests, only, statuses, xml
from triplock.model import Severity

S3_RULES = ["S3-001", "S3-002", "S3-003"]


test_rule_fails_on_insecure_fixture, test_rule_passes_on_secure_fixture = fixture_pair_tests(
    S3_RULES, S3_RULES
)


def test_spark_defaults_secret_key_and_http_endpoint(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.master                       k8s://https://kube:6443\n"
        "spark.hadoop.fs.s3a.endpoint       http://minio.storage:9000\n"
        "spark.hadoop.fs.s3a.secret.key     minio-secret-value-1234\n",
    )
    secret = only(tmp_path, "S3-002")
    assert secret.status.value == "fail"
    assert secret.location.path == str(tmp_path / "spark-defaults.conf")
    assert secret.location.line == 3
    assert "minio-secret-value-1234" not in repr(secret)
    endpoint = only(tmp_path, "S3-003")
    assert endpoint.status.value == "fail" and endpoint.location.line == 2


def test_per_bucket_settings_override_global(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        xml(
            ("fs.s3a.encryption.algorithm", "SSE-KMS"),
            ("fs.s3a.bucket.scratch.encryption.algorithm", "AES256"),
            ("fs.s3a.bucket.scratch.endpoint", "http://rgw:7480"),
        ),
    )
    enc = {f.message.split(" ")[0]: f for f in findings(tmp_path, "S3-001")}
    assert enc["S3A"].status.value == "pass"
    assert enc["bucket"].status.value == "fail" and enc["bucket"].severity is Severity.LOW
    http = [f for f in findings(tmp_path, "S3-003") if f.status.value == "fail"]
    assert len(http) == 1 and "scratch" in http[0].message


def test_old_encryption_key_name(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("fs.s3a.server-side-encryption-algorithm", "SSE-KMS")))
    assert statuses(tmp_path, "S3-001") == ["pass"]


def test_ssl_disabled(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("fs.s3a.connection.ssl.enabled", "false")))
    assert statuses(tmp_path, "S3-003") == ["fail"]


def test_templated_secret_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("fs.s3a.secret.key", "${env.S3_SECRET}")))
    assert statuses(tmp_path, "S3-002") == ["unknown"]


def test_no_s3a_no_outcome(tmp_path: Path) -> None:
    write(tmp_path, "core-site.xml", xml(("fs.defaultFS", "hdfs://nn:8020")))
    assert statuses(tmp_path, "S3-001") == []
