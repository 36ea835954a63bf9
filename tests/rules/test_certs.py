"""Certificate, private key and keystore rules: each one failing and passing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.fixtures.certs.pki import NOW, Issued, ec_key, issue, pki, rsa_key
from triplock.facts.certs import (
    CertChain,
    Keystore,
    KeystoreReference,
    PrivateKeyInfo,
    chain_from_der,
)
from triplock.inventory import Inventory, RunOptions, Setting
from triplock.model import FixAction, Location, Severity, Status
from triplock.rules import certs as _module  # noqa: F401 - registers the CERT rules
from triplock.rules.registry import _RULES as RULES
from triplock.rules.registry import Context, Outcome

HERE = Location(path="certs/server.pem", line=1)


def run(rule_id: str, fact: object, now: dt.datetime = NOW) -> list[Outcome]:
    rule = RULES[rule_id]
    assert isinstance(fact, rule.target)
    return list(rule.check(fact, Context(Inventory(), options=RunOptions(now=now))))


def statuses(outcomes: list[Outcome]) -> list[Status]:
    return [o.status for o in outcomes]


def chain(*certs: Issued, key: bool = True, origin: str = "file") -> CertChain:
    return chain_from_der([c.der for c in certs], "server", HERE, origin, has_private_key=key)  # type: ignore[arg-type]


def test_complete_chain_passes_and_lone_or_broken_fail() -> None:
    root, inter, leaf = pki()
    assert statuses(run("CERT-001", chain(leaf, inter))) == [Status.PASS]
    assert statuses(run("CERT-001", chain(leaf, inter, root, origin="endpoint"))) == [Status.PASS]
    selfsigned = issue("lone.example", rsa_key(2048, "lone"), sans=("lone.example",))
    [lone] = run("CERT-001", chain(selfsigned))
    assert lone.status is Status.FAIL and "self-signed" in lone.message
    [leaf_only] = run("CERT-001", chain(leaf))
    assert leaf_only.status is Status.FAIL and "intermediates" in leaf_only.message
    [broken] = run("CERT-001", chain(leaf, root))
    assert broken.status is Status.FAIL and "did not issue" in broken.message
    assert broken.location.object == "certificate 1 of 2"


def test_chain_rules_skip_trust_anchors() -> None:
    root, _, _ = pki()
    anchor = chain(root, key=False)
    assert anchor.role == "ca"
    for rule_id in ("CERT-001", "CERT-005", "CERT-006", "CERT-007"):
        assert run(rule_id, anchor) == []


def test_weak_keys_fail_strong_keys_pass() -> None:
    _, inter, leaf = pki()
    assert statuses(run("CERT-002", chain(leaf, inter))) == [Status.PASS]
    small = issue("small.example", rsa_key(1024, "small"), inter)
    [weak] = run("CERT-002", chain(small, inter))
    assert weak.status is Status.FAIL and "RSA-1024" in weak.message
    assert weak.severity is None  # the rule's HIGH
    curve = issue("p224.example", ec_key(ec.SECP224R1()), inter)
    [weak_ec] = run("CERT-002", chain(curve, inter))
    assert weak_ec.status is Status.FAIL and "secp224r1" in weak_ec.message
    p256 = issue("p256.example", ec_key(), inter)
    assert statuses(run("CERT-002", chain(p256, inter))) == [Status.PASS]


def test_sha1_signature_fails_but_a_roots_own_signature_is_ignored() -> None:
    # cryptography no longer signs with SHA-1, so the facts say what an old certificate says.
    root, inter, leaf = pki()
    good = chain(leaf, inter)
    good.certificates[0] = replace(good.certificates[0], signature_hash="sha1")
    [bad] = run("CERT-003", good)
    assert bad.status is Status.FAIL and "sha1" in bad.message
    rooted = chain(inter, root)
    rooted.certificates[1] = replace(rooted.certificates[1], signature_hash="md5")
    assert statuses(run("CERT-003", rooted)) == [Status.PASS]


def test_validity_window() -> None:
    _, inter, leaf = pki()
    assert statuses(run("CERT-004", chain(leaf, inter))) == [Status.PASS]
    [expired] = run("CERT-004", chain(leaf, inter), now=NOW + dt.timedelta(days=200))
    assert expired.status is Status.FAIL and "expired" in expired.message
    early, _ = run("CERT-004", chain(leaf, inter), now=NOW - dt.timedelta(days=30))
    assert early.status is Status.FAIL and "not valid before" in early.message
    [soon] = run("CERT-004", chain(leaf, inter), now=NOW + dt.timedelta(days=80))
    assert soon.status is Status.FAIL and soon.severity is Severity.MEDIUM


@pytest.mark.parametrize(
    ("days", "status", "severity"),
    [(90, Status.PASS, None), (380, Status.FAIL, Severity.LOW), (9999, Status.FAIL, None)],
)
def test_leaf_lifetime(days: int, status: Status, severity: Severity | None) -> None:
    _, inter, _ = pki()
    leaf = issue("life.example", rsa_key(2048, "leaf"), inter, days=days)
    [outcome] = run("CERT-005", chain(leaf, inter))
    assert (outcome.status, outcome.severity) == (status, severity)


def test_san_required_on_server_leaves() -> None:
    _, inter, leaf = pki()
    [ok] = run("CERT-006", chain(leaf, inter))
    assert ok.status is Status.PASS
    nosan = issue("nosan.example", rsa_key(2048, "leaf"), inter)
    assert statuses(run("CERT-006", chain(nosan, inter))) == [Status.FAIL]


def test_server_usage() -> None:
    _, inter, leaf = pki()
    assert statuses(run("CERT-007", chain(leaf, inter))) == [Status.PASS]
    signing = issue(
        "s.example", rsa_key(2048, "leaf"), inter, eku=(ExtendedKeyUsageOID.CODE_SIGNING,)
    )
    [bad] = run("CERT-007", chain(signing, inter))
    assert bad.status is Status.FAIL and "lacks serverAuth" in bad.message
    client = issue(
        "c.example", rsa_key(2048, "leaf"), inter, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)
    )
    assert run("CERT-007", chain(client, inter)) == []  # a client certificate
    # what `openssl req -x509` makes: CA:TRUE, no key usage, used with its key by a server
    ca_leaf = issue("ca.example", rsa_key(2048, "leaf"), inter, ca=True, key_usage=False)
    [as_ca] = run("CERT-007", chain(ca_leaf, inter, key=True))
    assert as_ca.status is Status.FAIL and "CA certificate" in as_ca.message


def key_info(mode: int | None, encrypted: bool = False) -> PrivateKeyInfo:
    loc = Location(path="certs/server.key", line=1)
    return PrivateKeyInfo("server.key", loc, "RSA", 2048, None, encrypted, mode, "pkcs8")


def test_private_key_modes() -> None:
    [world] = run("CERT-010", key_info(0o644))
    assert world.status is Status.FAIL and world.severity is None
    assert world.fix is not None and world.fix.action is FixAction.CHMOD
    assert world.fix.value == "0600" and world.fix.target == "certs/server.key"
    [group] = run("CERT-010", key_info(0o640))
    assert (group.status, group.severity) == (Status.FAIL, Severity.MEDIUM)
    [enc] = run("CERT-010", key_info(0o644, encrypted=True))
    assert (enc.status, enc.severity) == (Status.FAIL, Severity.LOW)
    assert statuses(run("CERT-010", key_info(0o600))) == [Status.PASS]
    assert statuses(run("CERT-010", key_info(None))) == [Status.UNKNOWN]


def store(mode: int = 0o600, opened: bool = True, default: bool = False, keys: int = 1) -> Keystore:
    ks = Keystore(
        "ks.jks",
        Location(path="certs/ks.jks"),
        "JKS",
        opened,
        mode,
        "default" if default else ("config" if opened else None),
        default,
    )
    ks.private_key_entries = keys
    return ks


def test_keystore_mode() -> None:
    assert statuses(run("CERT-011", store(0o600))) == [Status.PASS]
    [bad] = run("CERT-011", store(0o644))
    assert bad.status is Status.FAIL and bad.fix is not None
    assert run("CERT-011", store(0o644, keys=0)) == []  # a truststore


def test_keystore_default_password() -> None:
    assert statuses(run("CERT-013", store(default=True))) == [Status.FAIL]
    assert statuses(run("CERT-013", store())) == [Status.PASS]
    assert statuses(run("CERT-013", store(opened=False))) == [Status.UNKNOWN]
    assert statuses(run("CERT-013", store(default=True, keys=0))) == [Status.PASS]


def reference(*passwords: str) -> KeystoreReference:
    path = Setting.at("spark.ssl.keyStore", "/opt/keys/keystore.jks", Location("spark.conf", 3))
    settings = tuple(
        Setting.literal_or_templated(f"spark.ssl.keyStorePassword{i}", p, Location("spark.conf", i))
        for i, p in enumerate(passwords)
    )
    return KeystoreReference("spark.conf", "keystore", path, settings)


def test_literal_keystore_passwords() -> None:
    outcomes = run(
        "CERT-012",
        reference("changeit", "short1", "x9Lq2-vB7#mW4pZ", "${KS_PASS}", "Password123!"),
    )
    assert statuses(outcomes) == [
        Status.FAIL,
        Status.FAIL,
        Status.PASS,
        Status.UNKNOWN,
        Status.FAIL,
    ]
    assert outcomes[4].severity is None and "default" in outcomes[4].message
    assert outcomes[1].severity is Severity.MEDIUM
    shown = [e.shown for o in outcomes for e in o.evidence]
    assert "changeit" not in shown and "short1" not in shown
    assert all("changeit" not in o.message for o in outcomes)


def test_every_cert_rule_serves_one_control_and_has_text() -> None:
    from triplock.rules.registry import load_all

    load_all()  # CERT-014 lives with the ConfigMap rules (rules/tls_material.py)
    rules = [r for r in RULES.values() if r.meta.id.startswith("CERT-")]
    assert len(rules) == 12
    assert {r.meta.control for r in rules} == {"transit.tls.certificate", "keys.tls-material"}
    assert all(r.meta.rationale and r.meta.remediation for r in rules)
