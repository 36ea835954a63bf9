"""CERT-001: a leaf issued directly by a root CA that is among the inputs has a complete
chain; a leaf whose issuer is not among them still misses its intermediates."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tests.fixtures.certs.pki import issue, rsa_key
from tests.helpers import findings_of, run_cli


def _pem(path: Path, *certs: object) -> None:
    path.write_bytes(b"".join(c.cert.public_bytes(serialization.Encoding.PEM) for c in certs))  # type: ignore[attr-defined]


def test_leaf_of_a_root_in_the_inputs_is_complete(tmp_path: Path) -> None:
    root = issue("Deployment Root CA", rsa_key(2048, "root"), ca=True, days=3650, eku=None)
    leaf = issue("spark.example", rsa_key(2048, "leaf"), issuer=root, sans=("spark.example",))
    _pem(tmp_path / "server.crt", leaf)
    alone = run_cli("audit", str(tmp_path / "server.crt"), "--format", "json")
    assert findings_of(alone, "CERT-001", "fail")
    _pem(tmp_path / "ca.crt", root)
    both = run_cli("audit", str(tmp_path), "--format", "json")
    assert not findings_of(both, "CERT-001", "fail")
    (ok,) = findings_of(both, "CERT-001", "pass")
    assert "Deployment Root CA" in ok["message"]


def test_leaf_of_another_root_still_fails(tmp_path: Path) -> None:
    root = issue("Deployment Root CA", rsa_key(2048, "root"), ca=True, days=3650, eku=None)
    other = issue("Other Root CA", rsa_key(2048, "other"), ca=True, days=3650, eku=None)
    leaf = issue("spark.example", rsa_key(2048, "leaf"), issuer=other, sans=("spark.example",))
    _pem(tmp_path / "server.crt", leaf)
    _pem(tmp_path / "ca.crt", root)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert findings_of(result, "CERT-001", "fail")
