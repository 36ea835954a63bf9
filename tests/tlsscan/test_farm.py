"""triplock's observations of each real server of the farm (openssl s_server variants, nginx)."""

from __future__ import annotations

import subprocess

import pytest

from tests.tlsscan.farm import Server
from triplock.commands.scan import judge_endpoints
from triplock.facts.certs import CertInfo
from triplock.facts.tls import Endpoint
from triplock.model import Status
from triplock.rules._tls_grade import grade, mozilla_deviations
from triplock.tlsscan import suites, wire


def openssl_suites(spec: str, version: str = "-tls1_2") -> set[str]:
    """The IANA names OpenSSL itself expands `spec` to (the differential oracle)."""
    out = subprocess.run(
        ["openssl", "ciphers", "-s", version, "-stdname", spec],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {line.split()[0] for line in out.splitlines() if line.startswith("TLS_")}


def openssl_groups(port: int, version: str = "-tls1_2") -> set[str]:
    """The TLS 1.2 ECDHE curves an openssl s_client completes a handshake with, one by one."""
    accepted = set()
    for name in TLS12_CURVES:
        out = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version,
             "-cipher", "ECDHE:@SECLEVEL=0", "-groups", name],
            input="", capture_output=True, text=True, timeout=10,
        ).stdout  # fmt: skip
        shown = {"x25519": "X25519", "x448": "X448"}.get(name, f"ECDH, {ALIASES.get(name, name)},")
        if f"Server Temp Key: {shown}" in out:
            accepted.add(name)
    return accepted


ALIASES = {"secp256r1": "prime256v1", "secp192r1": "prime192v1"}  # as s_client prints them
# every TLS 1.0-1.2 curve, by the names triplock reports (s_client rejects those it lacks)
TLS12_CURVES = [wire.GROUP_NAMES[g] for g in wire.TLS12_GROUPS]


def on(ep: Endpoint) -> set[str]:
    return {p for p, v in ep.protocols.items() if v}


def test_every_server_was_observed(farm_scan: dict[str, Endpoint]) -> None:
    for name, ep in farm_scan.items():
        assert ep.error is None, (name, ep.error)
        assert ep.observed and not ep.incomplete, (name, ep.incomplete)
        assert ep.connections > 0


def test_defaults(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["defaults"]
    assert on(ep) == {"TLSv1.2", "TLSv1.3"}
    assert set(ep.cipher_suites["TLSv1.3"]) == openssl_suites("DEFAULT", "-tls1_3")
    rsa_auth = {s for s in openssl_suites("DEFAULT") if "ECDSA" not in s}
    assert set(ep.cipher_suites["TLSv1.2"]) == rsa_auth
    assert {"x25519", "secp256r1", "secp384r1", "ffdhe2048"} <= set(ep.groups)
    assert len(ep.certificate_chains["TLSv1.2"]) == 2
    assert ep.certificate_chains["TLSv1.3"] == ep.certificate_chains["TLSv1.2"]
    assert ep.session_resumption == {"session_id": True, "session_ticket": True, "tls13_psk": True}
    assert ep.server_preference == {"TLSv1.3": False, "TLSv1.2": False}
    assert ep.secure_renegotiation is True
    assert ep.ocsp_stapling is False
    assert ep.http is True and ep.hsts_max_age is None


def test_tls13_only(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["tls13-only"]
    assert on(ep) == {"TLSv1.3"}
    assert list(ep.cipher_suites) == ["TLSv1.3"]
    assert len(ep.certificate_chains["TLSv1.3"]) == 2  # only a full handshake can see it
    assert ep.session_resumption["tls13_psk"] is True
    assert not mozilla_deviations(ep, "intermediate")
    assert "offers groups outside" in " ".join(mozilla_deviations(ep, "modern"))


def test_static_rsa(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["static-rsa"]
    accepted = [suites.by_name(n) for n in ep.accepted()]
    assert accepted and all(s is not None and s.kex == "RSA" for s in accepted)
    assert set(ep.cipher_suites["TLSv1.2"]) == openssl_suites("kRSA")
    result = grade(ep)
    assert result is not None and "no forward secrecy" in result.reasons


def test_legacy_tls10_tls11(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["legacy-tls10-11"]
    assert on(ep) == {"TLSv1.0", "TLSv1.1"}
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in ep.cipher_suites["TLSv1.0"]
    assert not any(s.endswith("GCM_SHA256") for s in ep.cipher_suites["TLSv1.0"])
    # ALL:@SECLEVEL=0 includes anonymous suites: the key exchange category scores zero
    assert "TLS_DH_anon_WITH_AES_128_CBC_SHA" in ep.cipher_suites["TLSv1.0"]
    result = grade(ep)
    assert result is not None and result.letter == "F" and result.score == 0
    assert "no TLS 1.2" in result.reasons
    assert result.reasons[0].startswith("a category scores zero (key exchange")


def test_dhe_1024(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["dhe-1024"]
    assert set(ep.cipher_suites["TLSv1.2"]) == {
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    }
    assert set(ep.dh_bits.values()) == {1024}


def test_ecdsa_full_chain(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["ecdsa-full-chain"]
    assert all("ECDSA" in s for s in ep.cipher_suites["TLSv1.2"])
    chain = [CertInfo.from_der(d) for d in ep.certificate_chains["TLSv1.2"]]
    assert [c.key_type for c in chain] == ["EC", "RSA"]
    assert chain[1].issued(chain[0])


def test_leaf_only(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["leaf-only"]
    assert len(ep.certificate_chains["TLSv1.2"]) == 1
    result = grade(ep)
    assert result is not None and "incomplete certificate chain" in result.reasons


def test_expired(farm_scan: dict[str, Endpoint]) -> None:
    result = grade(farm_scan["expired"])
    assert result is not None and result.letter == "T"
    assert "expired certificate" in result.reasons


def test_client_certificate_required(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["client-cert"]
    # Hello-only probing ends before the certificate request matters.
    assert set(ep.cipher_suites["TLSv1.2"]) == set(farm_scan["defaults"].cipher_suites["TLSv1.2"])
    assert ep.client_certificate_required
    assert all(v is None for v in ep.session_resumption.values())


def test_server_preference(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["server-preference"]
    assert ep.server_preference["TLSv1.2"] is True
    assert ep.cipher_suites["TLSv1.2"][0] == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"


def test_chacha20_only(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["chacha20-only"]
    assert ep.cipher_suites == {
        "TLSv1.3": ["TLS_CHACHA20_POLY1305_SHA256"],
        "TLSv1.2": ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"],
    }
    assert ep.server_preference == {"TLSv1.3": None, "TLSv1.2": None}


def test_nginx_mozilla_intermediate(farm_scan: dict[str, Endpoint]) -> None:
    ep = farm_scan["nginx-intermediate"]
    assert on(ep) == {"TLSv1.2", "TLSv1.3"}
    assert set(ep.groups) == {"x25519", "secp256r1", "secp384r1"}
    assert ep.http is True and ep.hsts_max_age == 63072000
    assert ep.session_resumption["session_id"] is True
    assert ep.session_resumption["session_ticket"] is False
    assert not mozilla_deviations(ep, "intermediate")
    result = grade(ep)
    assert result is not None and result.letter == "A+"


@pytest.mark.parametrize("name", ["defaults", "nginx-intermediate"])
def test_connections_stay_hello_only_cheap(farm_scan: dict[str, Endpoint], name: str) -> None:
    """accepted + 1 per batch and protocol, plus the full handshakes: far below one
    connection per candidate suite (sslyze's method needs ~400)."""
    ep = farm_scan[name]
    assert ep.connections <= len(ep.accepted()) + len(ep.groups) + 30


@pytest.mark.parametrize(
    ("name", "order"),
    [
        ("groups-x25519-p224", ["x25519", "secp224r1"]),
        (
            "groups-many",
            ["brainpoolP256r1", "secp521r1", "x448", "secp256r1", "x25519", "secp256k1",
             "secp384r1"],
        ),
    ],
)  # fmt: skip
def test_tls12_groups_match_openssl_in_server_order(
    farm_scan: dict[str, Endpoint], farm_servers: dict[str, Server], name: str, order: list[str]
) -> None:
    """Every curve, found hello-only, is one openssl s_client completes a handshake with; the
    order is the server's (-serverpref)."""
    ep = farm_scan[name]
    assert set(ep.groups) == openssl_groups(farm_servers[name].port)
    assert ep.groups_by_protocol == {"TLSv1.2": order}


def test_defaults_tls12_groups_match_openssl(
    farm_scan: dict[str, Endpoint], farm_servers: dict[str, Server]
) -> None:
    ep = farm_scan["defaults"]
    assert set(ep.groups_by_protocol["TLSv1.2"]) == openssl_groups(farm_servers["defaults"].port)
    assert len(ep.groups_by_protocol["TLSv1.2"]) >= 5  # not just the negotiated one


def test_weak_and_deprecated_curves_are_judged(farm_scan: dict[str, Endpoint]) -> None:
    findings = judge_endpoints([farm_scan["groups-x25519-p224"], farm_scan["groups-many"]])
    failed = {(f.rule.id, f.location.url) for f in findings.findings if f.status is Status.FAIL}
    p224, many = (f"tls://{farm_scan[n].target}" for n in ("groups-x25519-p224", "groups-many"))
    assert {("TLS-033", p224), ("TLS-033", many), ("TLS-061", p224), ("TLS-061", many)} <= failed
    assert ("TLS-032", p224) not in failed  # P-224 is deprecated, not under 112-bit security
    result = grade(farm_scan["groups-x25519-p224"])
    assert result is not None and result.letter == "A-"  # no TLS 1.3 (2009r)
