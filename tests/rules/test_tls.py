"""TLS rules on observed endpoints: each rule fails on a bad observation and passes a good one.

The observations are Endpoint facts as `triplock scan` records them (the farm tests in
tests/tlsscan/ show the scanner produces them from real servers)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.helpers import need_command
from triplock.audit import AuditOptions, judge
from triplock.facts.tls import Endpoint
from triplock.inventory import Inventory
from triplock.model import Finding, Location, Status
from triplock.rules._tls_grade import grade

GOOD_TLS12 = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
GOOD_TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]


def _chain(key_bits: int = 2048, days: int = 90, self_signed: bool = False) -> list[bytes]:
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(65537, 2048)
    key = ca_key if self_signed else rsa.generate_private_key(65537, key_bits)

    def cert(cn: str, issuer: str, pub: Any, signer: Any, ca: bool) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=max(1, -2 * days)))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signer, hashes.SHA256())
        )

    der = serialization.Encoding.DER
    if self_signed:
        return [cert("leaf", "leaf", key.public_key(), key, False).public_bytes(der)]
    leaf = cert("leaf", "ca", key.public_key(), ca_key, False)
    ca = cert("ca", "ca", ca_key.public_key(), ca_key, True)
    return [leaf.public_bytes(der), ca.public_bytes(der)]


CHAIN = _chain()


def endpoint(**changes: Any) -> Endpoint:
    """A well-configured endpoint (grade A+) with `changes` applied."""
    ep = Endpoint(
        target="svc.example:443",
        location=Location(url="tls://svc.example:443"),
        protocols={
            "SSLv2": False,
            "SSLv3": False,
            "TLSv1.0": False,
            "TLSv1.1": False,
            "TLSv1.2": True,
            "TLSv1.3": True,
        },
        cipher_suites={"TLSv1.3": GOOD_TLS13, "TLSv1.2": GOOD_TLS12},
        groups=["x25519", "secp256r1", "secp384r1"],
        certificate_chains={"TLSv1.2": CHAIN, "TLSv1.3": CHAIN},
        session_resumption={"session_id": True, "session_ticket": False, "tls13_psk": True},
        ocsp_stapling=True,
        server_preference={"TLSv1.3": False, "TLSv1.2": True},
        secure_renegotiation=True,
        http=True,
        hsts_max_age=63072000,
    )
    for key, value in changes.items():
        setattr(ep, key, value)
    return ep


def outcomes(ep: Endpoint, rule_id: str) -> list[Finding]:
    inventory = Inventory()
    inventory.add(ep)
    result = judge(inventory, AuditOptions(paths=[]))
    return [f for f in result.findings if f.rule.id == rule_id]


def status(ep: Endpoint, rule_id: str) -> Status | None:
    found = outcomes(ep, rule_id)
    assert len(found) <= 1, found
    return found[0].status if found else None


LEGACY_PROTOCOLS = {
    "SSLv2": False,
    "SSLv3": True,
    "TLSv1.0": True,
    "TLSv1.1": True,
    "TLSv1.2": False,
    "TLSv1.3": False,
}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("TLS-010", {"protocols": LEGACY_PROTOCOLS}),
    ("TLS-011", {"protocols": LEGACY_PROTOCOLS}),
    ("TLS-012", {"protocols": LEGACY_PROTOCOLS}),
    ("TLS-013", {"protocols": {"TLSv1.2": True}}),
    ("TLS-014", {"secure_renegotiation": False}),
    ("TLS-020", {"cipher_suites": {"TLSv1.2": ["TLS_RSA_WITH_RC4_128_SHA", *GOOD_TLS12]}}),
    ("TLS-021", {"cipher_suites": {"TLSv1.2": ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]}}),
    ("TLS-022", {"cipher_suites": {"TLSv1.2": ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]}}),
    ("TLS-023", {"server_preference": {"TLSv1.2": False}}),
    ("TLS-030", {"cipher_suites": {"TLSv1.2": ["TLS_RSA_WITH_AES_128_GCM_SHA256"]}}),
    ("TLS-031", {"dh_bits": {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": 1024}}),
    ("TLS-032", {"groups": ["secp192r1", "x25519"]}),
    ("TLS-033", {"groups": ["x25519", "secp224r1"]}),
    ("TLS-033", {"groups": ["brainpoolP256r1", "x25519"]}),
    ("TLS-040", {"session_resumption": {"session_id": False, "session_ticket": False}}),
    ("TLS-041", {"ocsp_stapling": False}),
    ("TLS-050", {"hsts_max_age": None}),
    ("TLS-060", {"protocols": {"TLSv1.0": True, "TLSv1.2": True}}),
    ("TLS-061", {"protocols": {"TLSv1.1": True, "TLSv1.2": True}}),
    ("TLS-062", {"protocols": {"TLSv1.2": True, "TLSv1.3": True}}),
]


@pytest.mark.parametrize(
    ("rule_id", "bad"),
    CASES,
    ids=[f"{c[0]}-{'-'.join(map(str, c[1].values()))[:30]}" for c in CASES],
)
def test_rule_fails_bad_and_passes_good(rule_id: str, bad: dict[str, Any]) -> None:
    assert status(endpoint(**bad), rule_id) is Status.FAIL
    good = (
        endpoint(groups=["x25519", "secp256r1"])
        if rule_id != "TLS-062"
        else endpoint(
            protocols={"TLSv1.3": True},
            cipher_suites={"TLSv1.3": GOOD_TLS13},
            server_preference={"TLSv1.3": False},
            groups=["x25519"],
        )
    )
    if rule_id == "TLS-031":
        good.dh_bits = {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": 2048}
    assert status(good, rule_id) is Status.PASS


def test_unobserved_endpoint_is_unknown_not_failed() -> None:
    ep = endpoint(error="no answer within 5 s", protocols={})
    assert status(ep, "TLS-001") is Status.UNKNOWN
    assert status(ep, "TLS-010") is None and status(ep, "TLS-060") is None


def test_resumption_unknown_when_full_handshakes_failed() -> None:
    ep = endpoint(session_resumption={"session_id": None, "session_ticket": None})
    assert status(ep, "TLS-040") is Status.UNKNOWN


def test_weak_dh_below_1024_is_critical() -> None:
    (found,) = outcomes(endpoint(dh_bits={"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": 768}), "TLS-031")
    assert found.severity.value == "critical"


def test_no_hsts_rule_only_for_http() -> None:
    assert status(endpoint(http=False, hsts_max_age=None), "TLS-050") is None
    assert status(endpoint(hsts_max_age=86400), "TLS-050") is Status.FAIL


def _tls12(*names: str) -> dict[str, list[str]]:
    return {"TLSv1.2": [*names]}


ONLY_TLS12 = {"TLSv1.2": True}
TLS10_ONLY = {"TLSv1.0": True}
ANON = "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"

# One case per rule of the SSL Labs rating guide that hellos can observe: the grade expected,
# and the reason the grade must name.
GUIDE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("best", {}, "A+", ""),
    ("no HSTS", {"hsts_max_age": None}, "A", ""),
    ("HSTS under six months", {"hsts_max_age": 86400}, "A", ""),
    ("2009r: no TLS 1.3 -> A-", {"protocols": ONLY_TLS12, "cipher_suites": _tls12(*GOOD_TLS12)},
     "A-", "TLS 1.3 not offered"),
    ("zero: anonymous key exchange", {"cipher_suites": _tls12(ANON, *GOOD_TLS12)}, "F",
     "a category scores zero (key exchange"),
    ("zero: SSLv2 only", {"protocols": {"SSLv2": True}, "cipher_suites": _tls12(*GOOD_TLS12)},
     "F", "a category scores zero (protocol"),
    ("zero: NULL encryption only", {"cipher_suites": _tls12("TLS_ECDHE_RSA_WITH_NULL_SHA")},
     "F", "a category scores zero (cipher"),
    ("SSLv2 offered", {"protocols": {"SSLv2": True, "TLSv1.2": True}}, "F", "SSLv2 offered"),
    ("insecure renegotiation", {"secure_renegotiation": False}, "F", "insecure renegotiation"),
    ("DH under 1024", {"dh_bits": {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": 768}}, "F",
     "DH parameters under 1024 bits"),
    ("export suites", {"cipher_suites": _tls12("TLS_RSA_EXPORT_WITH_RC4_40_MD5", *GOOD_TLS12)},
     "F", "export suites"),
    ("under 112 bits", {"cipher_suites": _tls12("TLS_RSA_WITH_DES_CBC_SHA", *GOOD_TLS12)}, "F",
     "suites under 112 bits"),
    ("SSLv3 the best protocol", {"protocols": {"SSLv3": True}}, "F",
     "SSLv3 is the best protocol"),
    ("no TLS 1.2", {"protocols": {"TLSv1.0": True, "TLSv1.1": True}}, "C", "no TLS 1.2"),
    ("3DES with TLS 1.1+",
     {"cipher_suites": _tls12("TLS_RSA_WITH_3DES_EDE_CBC_SHA", *GOOD_TLS12)}, "C",
     "3DES with TLS 1.1 or newer"),
    ("RC4 with TLS 1.1+", {"cipher_suites": _tls12("TLS_RSA_WITH_RC4_128_SHA", *GOOD_TLS12)},
     "C", "RC4 with TLS 1.1 or newer"),
    ("RC4 with TLS 1.0 only",
     {"protocols": TLS10_ONLY, "cipher_suites": {"TLSv1.0": ["TLS_RSA_WITH_RC4_128_SHA"]}},
     "C", "RC4 suites"),
    ("key under 2048", {"certificate_chains": {"TLSv1.2": _chain(key_bits=1024)}}, "B",
     "key under 2048 bits"),
    ("SSLv3 offered", {"protocols": {"SSLv3": True, "TLSv1.2": True}}, "B", "SSLv3 offered"),
    ("incomplete chain", {"certificate_chains": {"TLSv1.2": CHAIN[:1]}}, "B",
     "incomplete certificate chain"),
    ("DH under 2048", {"dh_bits": {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": 1024}}, "B",
     "DH parameters under 2048 bits"),
    ("no forward secrecy",
     {"protocols": ONLY_TLS12, "cipher_suites": _tls12("TLS_RSA_WITH_AES_128_GCM_SHA256")},
     "B", "no forward secrecy"),
    ("no AEAD",
     {"protocols": ONLY_TLS12, "cipher_suites": _tls12("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")},
     "B", "no AEAD suites"),
    ("TLS 1.0 offered", {"protocols": {"TLSv1.0": True, "TLSv1.2": True}}, "B",
     "TLS 1.0 or 1.1 offered"),
    ("ECDHE curve under 224 bits", {"groups": ["x25519", "secp160r1"]}, "B",
     "ECDHE curves under 224 bits"),
    ("P-224 is not capped", {"groups": ["x25519", "secp224r1"]}, "A+", ""),
    ("self-signed", {"certificate_chains": {"TLSv1.2": _chain(self_signed=True)}}, "T",
     "self-signed certificate"),
    ("expired", {"certificate_chains": {"TLSv1.2": _chain(days=-10)}}, "T",
     "expired certificate"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "letter", "reason"),
    [c[1:] for c in GUIDE_CASES],
    ids=[c[0] for c in GUIDE_CASES],
)
def test_grade_follows_the_rating_guide(changes: dict[str, Any], letter: str, reason: str) -> None:
    result = grade(endpoint(**changes))
    assert result is not None and result.letter == letter, result
    if reason:
        assert any(r.startswith(reason) for r in result.reasons), result.reasons
    else:
        assert not result.reasons


@pytest.mark.parametrize(("digest", "cap"), [("md5", "MD5 certificate signature"), ("sha1", "")])
def test_md5_and_sha1_signatures_are_untrusted(tmp_path: Path, digest: str, cap: str) -> None:
    """`cryptography` refuses to sign with MD5 or SHA-1; OpenSSL still can."""
    need_command("openssl")
    subprocess.run(
        ["openssl", "req", "-x509", f"-{digest}", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=old", "-days", "30", "-keyout", str(tmp_path / "k.pem"),
         "-outform", "DER", "-out", str(tmp_path / "c.der")],
        check=True, capture_output=True,
    )  # fmt: skip
    der = (tmp_path / "c.der").read_bytes()
    result = grade(endpoint(certificate_chains={"TLSv1.2": [der]}))
    assert result is not None and result.letter == "T"
    assert f"{digest.upper()} certificate signature" in result.reasons
    if cap:  # MD5 is also an F cap, SHA-1 only untrusted
        assert result.reasons.count(cap) == 2


def test_partial_result_gets_no_grade_and_an_unknown() -> None:
    ep = endpoint(incomplete=["TLSv1.2 suites", "full handshakes"])
    assert grade(ep) is None
    (found,) = outcomes(ep, "TLS-001")
    assert found.status is Status.UNKNOWN and "TLSv1.2 suites" in found.message
    assert status(ep, "TLS-060") is None


def test_mozilla_intermediate_judges_curves() -> None:
    assert status(endpoint(groups=["x25519", "secp521r1", "x448"]), "TLS-061") is Status.PASS
    (found,) = outcomes(endpoint(groups=["x25519", "secp224r1"]), "TLS-061")
    assert found.status is Status.FAIL and "secp224r1" in found.message


def test_a_zero_category_makes_the_score_zero() -> None:
    result = grade(endpoint(cipher_suites=_tls12(ANON, *GOOD_TLS12)))
    assert result is not None and result.score == 0


def test_grade_message_names_the_caps() -> None:
    (found,) = outcomes(endpoint(protocols={"TLSv1.1": True, "TLSv1.2": True}), "TLS-060")
    assert found.status is Status.FAIL and "TLS 1.0 or 1.1 offered" in found.message
