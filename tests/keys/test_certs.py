from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers import need_command, run_cli
from tests.keys.conftest import Pki
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


@pytest.mark.parametrize(
    "good", ["localhost", "spark-ui.spark.svc", "*.spark.svc", "a1.B2", "x" * 63 + ".io", "::1"]
)
def test_valid_sans_are_accepted(good: str) -> None:
    assert len(certs.parse_san([good])) == 1


@pytest.mark.parametrize(
    "bad",
    ["", "bad name with spaces", "*", "a.*.b", "foo*.bar", "-a.b", "a-.b", "a..b", "x.",
     "x" * 64 + ".io", "under_score.io", "host\n", "é.example", ".".join(["a" * 63] * 4)],
)  # fmt: skip
def test_invalid_sans_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a DNS name"):
        certs.parse_san([bad])


def test_cli_refuses_bad_sans_before_writing(tmp_path: Path) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp_path / "ca")).code == 0
    result = run_cli(
        "keys", "cert", "--ca", str(tmp_path / "ca"), "--out", str(tmp_path / "out"),
        "--name", "x", "--san", "bad name with spaces", "--san", "",
    )  # fmt: skip
    assert result.code == 2 and "'bad name with spaces' is not a DNS name" in result.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("root", "intermediate"),
    [
        ("Groot Labs CA", "Groot Labs CA intermediate"),
        ("Example Root CA", "Example Intermediate CA"),
        ("triplock root CA", "triplock intermediate CA"),
        ("Rootless", "Rootless intermediate"),
    ],
)
def test_intermediate_name_replaces_the_word_root_only(root: str, intermediate: str) -> None:
    assert ca.intermediate_name(root) == intermediate


def test_cli_names_the_intermediate_of_groot_labs(tmp_path: Path) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp_path), "--cn", "Groot Labs CA").code == 0
    inter = load(tmp_path / "intermediate.pem")[0]
    cn = inter.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "Groot Labs CA intermediate"


def _reissue_intermediate(directory: Path, lifetime: dt.timedelta) -> x509.Certificate:
    """Replace the CA's intermediate certificate (same key and name) by one that ends
    `lifetime` from now (negative: already expired), as time would."""
    root = load(directory / "root.pem")[0]
    root_key = certs.load_key((directory / "root.key").read_bytes())
    old = load(directory / "intermediate.pem")[0]
    now = dt.datetime.now(dt.UTC)
    builder = x509.CertificateBuilder(
        issuer_name=root.subject,
        subject_name=old.subject,
        public_key=old.public_key(),
        serial_number=x509.random_serial_number(),
        not_valid_before=now - dt.timedelta(days=400),
        not_valid_after=now + lifetime,
        extensions=list(old.extensions),
    )
    cert = builder.sign(root_key, hashes.SHA256())
    (directory / "intermediate.pem").write_bytes(certs.cert_pem(cert))
    return cert


def _openssl_verify(root: Path, intermediate: Path, leaf: Path) -> subprocess.CompletedProcess[str]:
    openssl = need_command("openssl")
    return subprocess.run(
        [openssl, "verify", "-x509_strict", "-CAfile", str(root), "-untrusted", str(intermediate),
         str(leaf)],
        capture_output=True, text=True,
    )  # fmt: skip


def _leaf_only(chain: Path, out: Path) -> Path:
    out.write_bytes(certs.cert_pem(load(chain)[0]))
    return out


def test_a_leaf_is_clamped_to_its_intermediate_with_a_warning(tmp_path: Path) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp_path / "ca")).code == 0
    inter = _reissue_intermediate(tmp_path / "ca", dt.timedelta(days=10))
    result = run_cli(
        "keys", "cert", "--ca", str(tmp_path / "ca"), "--out", str(tmp_path / "out"),
        "--name", "s", "--san", "s.example", "--days", "90",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert (
        f"warning: intermediate.pem expires on {inter.not_valid_after_utc:%Y-%m-%d}" in result.err
    )
    leaf = load(tmp_path / "out" / "s.pem")[0]
    assert leaf.not_valid_after_utc == inter.not_valid_after_utc
    check = _openssl_verify(tmp_path / "ca" / "root.pem", tmp_path / "ca" / "intermediate.pem",
                            tmp_path / "out" / "s.pem")  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_an_intermediate_is_clamped_to_its_root() -> None:
    root_key, inter_key = certs.new_key(), certs.new_key()
    root = certs.root_ca(root_key, "short root", days=100)
    inter = certs.intermediate_ca(inter_key, certs.Issuer(root, root_key), "inter")
    assert inter.not_valid_after_utc == root.not_valid_after_utc


def _cert_args(ca_dir: Path, out: Path) -> tuple[str, ...]:
    return ("keys", "cert", "--ca", str(ca_dir), "--out", str(out),
            "--name", "s", "--san", "s.example")  # fmt: skip


def test_an_expired_intermediate_issues_nothing_until_renewed(tmp_path: Path) -> None:
    ca_dir, out = tmp_path / "ca", tmp_path / "out"
    assert run_cli("keys", "ca", "--out", str(ca_dir)).code == 0
    cert_args = _cert_args(ca_dir, out)
    assert run_cli(*cert_args).code == 0
    old_leaf = _leaf_only(out / "s.pem", tmp_path / "old-leaf.pem")
    root_before = (ca_dir / "root.pem").read_bytes()
    key_before = (ca_dir / "intermediate.key").read_bytes()
    expired = _reissue_intermediate(ca_dir, -dt.timedelta(days=1))
    refused = run_cli(*cert_args, "--force")
    assert refused.code == 2
    assert f"expired on {expired.not_valid_after_utc:%Y-%m-%d}" in refused.err
    assert "--renew-intermediate" in refused.err
    assert load(out / "s.pem")[0] == load(old_leaf)[0]  # nothing was written

    renewed = run_cli("keys", "ca", "--out", str(ca_dir), "--renew-intermediate")
    assert renewed.code == 0, renewed.err
    assert (ca_dir / "root.pem").read_bytes() == root_before
    assert (ca_dir / "intermediate.key").read_bytes() == key_before  # same key by default
    inter = load(ca_dir / "intermediate.pem")[0]
    assert inter.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=3 * 365 - 2)
    (backup,) = ca_dir.glob("intermediate.pem.*.bak")
    assert load(backup)[0] == expired
    # A leaf issued before the renewal still verifies with the renewed intermediate.
    check = _openssl_verify(ca_dir / "root.pem", ca_dir / "intermediate.pem", old_leaf)
    assert check.returncode == 0, check.stdout + check.stderr
    assert run_cli(*cert_args, "--force").code == 0
    check = _openssl_verify(ca_dir / "root.pem", ca_dir / "intermediate.pem", out / "s.pem")
    assert check.returncode == 0, check.stdout + check.stderr


def test_renew_intermediate_with_a_new_key(tmp_path: Path) -> None:
    ca_dir, out = tmp_path / "ca", tmp_path / "out"
    assert run_cli("keys", "ca", "--out", str(ca_dir)).code == 0
    cert_args = _cert_args(ca_dir, out)
    assert run_cli(*cert_args).code == 0
    old_leaf = _leaf_only(out / "s.pem", tmp_path / "old-leaf.pem")
    key_before = (ca_dir / "intermediate.key").read_bytes()
    renewed = run_cli("keys", "ca", "--out", str(ca_dir), "--renew-intermediate", "--new-key")
    assert renewed.code == 0 and "issue the leaves again" in renewed.out
    assert (ca_dir / "intermediate.key").read_bytes() != key_before
    assert len(list(ca_dir.glob("intermediate.key.*.bak"))) == 1
    old = _openssl_verify(ca_dir / "root.pem", ca_dir / "intermediate.pem", old_leaf)
    assert old.returncode != 0  # signed by the retired key
    assert run_cli(*cert_args, "--force").code == 0
    new = _openssl_verify(ca_dir / "root.pem", ca_dir / "intermediate.pem", out / "s.pem")
    assert new.returncode == 0, new.stdout + new.stderr


def test_renewing_needs_the_root_key(tmp_path: Path) -> None:
    assert run_cli("keys", "ca", "--out", str(tmp_path)).code == 0
    (tmp_path / "root.key").unlink()  # moved offline
    result = run_cli("keys", "ca", "--out", str(tmp_path), "--renew-intermediate")
    assert result.code == 2 and f"{tmp_path / 'root.key'}: No such file" in result.err
