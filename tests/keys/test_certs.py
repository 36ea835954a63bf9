from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.helpers import need_command
from tests.helpers.keys import Pki
from triplock.keys import ca, certs
from triplock.keys.files import ExistsError


def load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_root_and_intermediate_constraints(pki: Pki) -> None:
    root = load(pki.ca / "root.pem")[0]
    inter = load(pki.ca / "intermediate.pem")[0]
    for cert, path_len in ((root, 1), (inter, 0)):
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == path_len
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.key_cert_sign and ku.crl_sign
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
        assert cert.signature_hash_algorithm is not None
        assert cert.signature_hash_algorithm.name == "sha256"
    assert inter.issuer == root.subject
    inter.verify_directly_issued_by(root)


def test_server_leaf_profile(pki: Pki) -> None:
    leaf = load(pki.certs / "server.pem")[0]
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and not ku.key_cert_sign and not ku.key_encipherment
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    life = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert dt.timedelta(days=90) <= life <= dt.timedelta(days=90, minutes=10)


def test_chain_bundle_is_leaf_then_intermediate(pki: Pki) -> None:
    chain = load(pki.certs / "server.pem")
    assert len(chain) == 2
    chain[0].verify_directly_issued_by(chain[1])
    assert chain[1] == load(pki.ca / "intermediate.pem")[0]
    assert not list(pki.certs.glob("*chain*"))  # no leaf-only file to misconfigure
    assert (pki.certs / "ca.pem").read_bytes() == (pki.ca / "root.pem").read_bytes()


def test_openssl_verifies_the_chain(pki: Pki) -> None:
    openssl = need_command("openssl")
    result = subprocess.run(
        [openssl, "verify", "-x509_strict", "-purpose", "sslserver",
         "-CAfile", str(pki.certs / "ca.pem"), "-untrusted", str(pki.ca / "intermediate.pem"),
         str(pki.certs / "server.pem")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_rsa_client_certificate(tmp_path: Path) -> None:
    authority = ca.create(tmp_path / "ca", key_type="rsa")
    paths = ca.issue(authority, tmp_path / "out", "alice", "alice", [], "client", "rsa")
    leaf = load(paths.chain)[0]
    key = leaf.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 3072
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_encipherment
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_issue_refuses_to_overwrite(tmp_path: Path) -> None:
    authority = ca.create(tmp_path / "ca")
    ca.issue(authority, tmp_path / "out", "s", "s.example", ["s.example"])
    before = (tmp_path / "out" / "s.key").read_bytes()
    with pytest.raises(ExistsError):
        ca.issue(authority, tmp_path / "out", "s", "s.example", ["s.example"])
    assert (tmp_path / "out" / "s.key").read_bytes() == before
    with pytest.raises(ExistsError):
        ca.create(tmp_path / "ca")


def test_loading_a_mismatched_ca_fails(tmp_path: Path) -> None:
    ca.create(tmp_path / "a")
    ca.create(tmp_path / "b")
    (tmp_path / "a" / "root.pem").write_bytes((tmp_path / "b" / "root.pem").read_bytes())
    with pytest.raises(ca.CaError, match="not issued"):
        ca.load(tmp_path / "a")


def test_san_parsing_distinguishes_ips() -> None:
    names = certs.parse_san(["spark.local", "::1", "10.0.0.1"])
    assert [type(n).__name__ for n in names] == ["DNSName", "IPAddress", "IPAddress"]
