"""RADOS Gateway rules: SSE over TLS, a KMS, its TLS, literal keys, frontends on TLS."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write
from tests.helpers.ceph_audit import HARDENED, INSECURE, lines

INSECURE_CONF = INSECURE / "ceph.conf"
HARDENED_CONF = HARDENED / "ceph.conf"


@pytest.mark.parametrize(
    ("rule_id", "failing", "passing"),
    [
        ("CEPH-020", [26], [24]),
        ("CEPH-021", [27], [25]),
        ("CEPH-022", [30, 31], [28]),
        ("CEPH-023", [28, 29], [None]),
        ("CEPH-024", [25], [23]),
    ],
)
def test_rule_fails_and_passes_at_its_lines(
    rule_id: str, failing: list[int], passing: list[int | None]
) -> None:
    assert lines(rule_id, "fail", INSECURE_CONF) == failing
    assert lines(rule_id, "pass", HARDENED_CONF) == passing
    assert lines(rule_id, "fail", HARDENED_CONF) == []


def _rgw(tmp: Path, *options: str) -> Path:
    write(tmp, "ceph.conf", "[global]\nfsid = x\n[client.rgw.a]\n" + "\n".join(options) + "\n")
    return tmp


def test_no_rgw_no_rgw_findings(tmp_path: Path) -> None:
    write(tmp_path, "ceph.conf", "[global]\nfsid = x\nauth cluster required = cephx\n")
    assert lines("CEPH-024", "fail", tmp_path) == lines("CEPH-024", "pass", tmp_path) == []


def test_default_frontend_is_plain_http(tmp_path: Path) -> None:
    _rgw(tmp_path, "rgw_dns_name = s3")
    assert lines("CEPH-024", "fail", tmp_path) == [3]  # at [client.rgw.a]: beast port=7480


@pytest.mark.parametrize(
    ("frontends", "status"),
    [
        ("beast ssl_port=443", "fail"),  # no certificate
        ("beast port=80 ssl_port=443 ssl_certificate=/c.pem", "fail"),  # plain port beside
        ("beast ssl_endpoint=0.0.0.0:443 ssl_certificate=/c.pem", "pass"),
        ("civetweb port=443s ssl_certificate=/c.pem", "pass"),
        ("civetweb port=80+443s ssl_certificate=/c.pem", "fail"),
    ],
)
def test_frontend_forms(tmp_path: Path, frontends: str, status: str) -> None:
    _rgw(tmp_path, f"rgw_frontends = {frontends}")
    assert lines("CEPH-024", status, tmp_path) == [4]


def test_default_barbican_without_url_has_no_kms(tmp_path: Path) -> None:
    unset = _rgw(tmp_path / "unset", "rgw_frontends = beast port=80")
    assert lines("CEPH-021", "fail", unset) == [3]
    barbican = _rgw(tmp_path / "barbican", "rgw_barbican_url = https://barbican:9311")
    assert lines("CEPH-021", "pass", barbican) == [3]


def test_kmip_backend_with_address(tmp_path: Path) -> None:
    _rgw(tmp_path, "rgw_crypt_s3_kms_backend = kmip", "rgw_crypt_kmip_addr = kmip.example:5696")
    assert lines("CEPH-021", "pass", tmp_path) == [4]


def test_rgw_options_in_client_section_apply(tmp_path: Path) -> None:
    write(tmp_path, "ceph.conf", "[global]\nfsid = x\n[client]\nrgw crypt require ssl = false\n")
    assert lines("CEPH-020", "fail", tmp_path) == [4]
