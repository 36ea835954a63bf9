"""S3A (Spark hadoopConf, core-site.xml) against the Ceph object gateway it names."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write
from tests.helpers.ceph_audit import HARDENED, INSECURE, lines, where


def test_s3a_over_http_and_to_a_store_without_tls() -> None:
    # line 117: http:// to my-store; 119: https to half-store, which has no certificate
    assert lines("CEPH-030", "fail", INSECURE / "rook.yaml") == [117, 119]
    assert lines("CEPH-030", "pass", HARDENED / "rook.yaml") == [100]


def test_sse_kms_against_a_store_without_kms() -> None:
    # SSE-KMS (line 118) applies to both endpoints; neither store has security.kms
    assert lines("CEPH-031", "fail", INSECURE / "rook.yaml") == [118, 118]
    assert lines("CEPH-031", "pass", HARDENED / "rook.yaml") == [101]


def test_core_site_against_rgw_dns_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ceph.conf",
        (INSECURE / "ceph.conf").read_text(encoding="utf-8"),
    )
    write(
        tmp_path,
        "core-site.xml",
        "<configuration>\n"
        "<property><name>fs.s3a.endpoint</name><value>s3.insecure.example</value></property>\n"
        "<property><name>fs.s3a.encryption.algorithm</name><value>SSE-KMS</value></property>\n"
        "</configuration>\n",
    )
    # no scheme: S3A uses TLS, but the RGW serves beast port=80 only; its KMS is `testing`
    assert where("CEPH-030", "fail", tmp_path) == [("core-site.xml", 2)]
    assert where("CEPH-031", "fail", tmp_path) == [("core-site.xml", 3)]


def test_endpoint_to_another_host_is_not_judged(tmp_path: Path) -> None:
    write(
        tmp_path,
        "core-site.xml",
        "<configuration>\n"
        "<property><name>fs.s3a.endpoint</name><value>http://minio:9000</value></property>\n"
        "</configuration>\n",
    )
    assert lines("CEPH-030", "fail", tmp_path) == []


def test_spark_defaults_against_a_rook_store(tmp_path: Path) -> None:
    write(tmp_path, "rook.yaml", (INSECURE / "rook.yaml").read_text(encoding="utf-8"))
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.master k8s://https://kube:6443\n"
        "spark.hadoop.fs.s3a.endpoint rook-ceph-rgw-both-store.rook-ceph.svc.cluster.local:80\n",
    )
    # TLS by S3A's default, but on the store's plain port 80
    assert ("spark-defaults.conf", 2) in where("CEPH-030", "fail", tmp_path)
