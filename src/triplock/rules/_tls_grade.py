"""Judging a live endpoint as a whole: a grade after the SSL Labs rating guide (2009k-2009r)
and Mozilla's server-side TLS configurations (5.7 intermediate and modern).

The guide's steps, in order: the three category scores; a zero in any category makes the
overall score zero; the letter from the score; the caps (rules that lower the letter); the
warnings (A-, 2009r: no TLS 1.3) and A+ (HSTS of six months, no cap, no warning); T for a
certificate that is not trusted. What needs more than hellos (Heartbleed, ROBOT, compression,
client-initiated renegotiation) and trust in a public CA or the host name (M) is not graded.

Pure functions of an Endpoint; rules/tls.py turns them into findings and `triplock scan`
prints the grade.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from triplock.facts.certs import CertInfo
from triplock.facts.tls import Endpoint
from triplock.tlsscan import suites

_PROTOCOL_SCORE = {
    "SSLv2": 0,
    "SSLv3": 80,
    "TLSv1.0": 90,
    "TLSv1.1": 95,
    "TLSv1.2": 100,
    "TLSv1.3": 100,
}
_GRADES = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E"), (0, "F"))
_ORDER = ["A+", "A", "A-", "B", "C", "D", "E", "F"]
HSTS_A_PLUS = 15_552_000  # six months

MOZILLA_TLS12 = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}
MOZILLA_TLS13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
MOZILLA_GROUPS = {"x25519", "secp256r1", "secp384r1", "X25519MLKEM768"}
# RFC 8422 (section 5.1.1) deprecates every curve but secp256r1, secp384r1, secp521r1, x25519
# and x448 for TLS; curves under 224 bits are also under 112-bit security.
_RFC8422_CURVES = {"secp256r1", "secp384r1", "secp521r1", "x25519", "x448"}


def group_bits(name: str) -> int | None:
    """The size of a named elliptic curve (None for finite-field, hybrid or unknown groups)."""
    if name in ("x25519", "x448"):
        return 255 if name == "x25519" else 448
    match = re.fullmatch(r"(?:sec[pt]|brainpoolP)(\d+)[kr]1", name)
    return int(match.group(1)) if match else None


def weak_groups(groups: list[str]) -> list[str]:
    """Curves under 224 bits: less than 112-bit security (P-224 is the smallest NIST allows)."""
    return [g for g in groups if (bits := group_bits(g)) is not None and bits < 224]


def deprecated_groups(groups: list[str]) -> list[str]:
    """Curves RFC 8422 deprecates (binary, Koblitz, brainpool, P-224 and smaller)."""
    return [g for g in groups if group_bits(g) is not None and g not in _RFC8422_CURVES]


def _curve_strength(bits: int) -> int:
    """An elliptic curve's size in RSA-equivalent bits (NIST SP 800-57, as the key score)."""
    return 1024 if bits < 224 else 2048 if bits < 256 else 3072 if bits < 384 else 7680


@lru_cache(maxsize=1024)
def cert_of(der: bytes) -> CertInfo:
    """A parsed certificate (raises ValueError): the grade, the profiles and the report all
    look at the same leaf, parsed once."""
    return CertInfo.from_der(der)


def leaf(endpoint: Endpoint) -> CertInfo | None:
    """The leaf certificate the endpoint served (TLS 1.2 chain first, else TLS 1.3)."""
    for protocol in ("TLSv1.2", "TLSv1.1", "TLSv1.0", "SSLv3", "TLSv1.3"):
        chain = endpoint.certificate_chains.get(protocol)
        if chain:
            try:
                return cert_of(chain[0])
            except ValueError:
                return None
    return None


def key_strength(cert: CertInfo | None) -> int | None:
    """The leaf key in RSA-equivalent bits (NIST SP 800-57 comparable strengths)."""
    if cert is None:
        return None
    if cert.key_type in ("EC", "Ed25519", "Ed448"):
        return 3072 if cert.key_bits < 384 else 7680 if cert.key_bits < 512 else 15360
    return cert.key_bits


def _kex_score(bits: int | None, anon: bool, export: bool) -> int:
    if anon:
        return 0
    if bits is None:
        return 90
    if bits < 512:
        return 20
    if export or bits < 1024:
        return 40
    if bits < 2048:
        return 80
    return 90 if bits < 4096 else 100


def _cipher_score(bits: int) -> int:
    if bits == 0:
        return 0
    return 20 if bits < 128 else 80 if bits < 256 else 100


@dataclass
class Grade:
    letter: str
    score: int
    reasons: list[str] = field(default_factory=list)  # why the letter is capped


def grade(endpoint: Endpoint, now: dt.datetime | None = None) -> Grade | None:
    """The SSL Labs letter for the endpoint; None when nothing was observed, or when the
    probe was given up before it finished (a grade of half the suites would mislead)."""
    offered = [p for p, on in endpoint.protocols.items() if on]
    accepted = [s for s in map(suites.by_name, endpoint.accepted()) if s is not None]
    if not offered or not accepted or endpoint.incomplete:
        return None
    scores = [_PROTOCOL_SCORE[p] for p in offered]
    protocol = (max(scores) + min(scores)) // 2
    cert = leaf(endpoint)
    key_bits = key_strength(cert)
    curves = [_curve_strength(b) for g in endpoint.groups if (b := group_bits(g)) is not None]
    weakest = [b for b in (key_bits, *endpoint.dh_bits.values(), *curves) if b is not None]
    kex = _kex_score(
        min(weakest) if weakest else None,
        any(s.anon for s in accepted),
        any(s.export for s in accepted),
    )
    cipher_bits = [s.bits for s in accepted]
    cipher = (_cipher_score(max(cipher_bits)) + _cipher_score(min(cipher_bits))) // 2
    # "A zero in any category will push the overall score to zero" (anonymous key exchange,
    # SSLv2 only, NULL encryption only).
    zero = 0 in (protocol, kex, cipher)
    score = 0 if zero else round(0.3 * protocol + 0.3 * kex + 0.4 * cipher)
    letter = next(g for floor, g in _GRADES if score >= floor)
    caps = _caps(endpoint, offered, accepted, cert, key_bits)
    if zero:
        caps.insert(0, ("F", "a category scores zero (" + _zero_category(protocol, kex) + ")"))
    reasons: list[str] = []
    for cap, why in caps:
        reasons.append(why)
        if _ORDER.index(cap) > _ORDER.index(letter):
            letter = cap
    trust = _trust_problems(cert, now or dt.datetime.now(dt.UTC))
    if trust:
        return Grade("T", score, reasons + trust)
    if letter == "A" and not reasons:
        warnings = _warnings(offered)
        if warnings:
            return Grade("A-", score, warnings)
        if (endpoint.hsts_max_age or 0) >= HSTS_A_PLUS:
            letter = "A+"
    return Grade(letter, score, reasons)


def _zero_category(protocol: int, kex: int) -> str:
    if kex == 0:
        return "key exchange: anonymous suites"
    if protocol == 0:
        return "protocol: SSLv2 only"
    return "cipher: no encryption"


def _caps(
    endpoint: Endpoint,
    offered: list[str],
    accepted: list[suites.Suite],
    cert: CertInfo | None,
    key_bits: int | None,
) -> list[tuple[str, str]]:
    """Every cap of the guide that the endpoint triggers: (letter, why)."""
    caps: list[tuple[str, str]] = []
    modern = {"TLSv1.1", "TLSv1.2", "TLSv1.3"} & set(offered)
    if "SSLv2" in offered:
        caps.append(("F", "SSLv2 offered"))
    if endpoint.secure_renegotiation is False and set(offered) - {"TLSv1.3"}:
        caps.append(("F", "insecure renegotiation"))
    if key_bits is not None and key_bits < 1024:
        caps.append(("F", "key under 1024 bits"))
    if any(b < 1024 for b in endpoint.dh_bits.values()):
        caps.append(("F", "DH parameters under 1024 bits"))
    if cert is not None and cert.signature_hash == "md5":
        caps.append(("F", "MD5 certificate signature"))
    if any(s.export for s in accepted):
        caps.append(("F", "export suites"))
    if any(s.bits < 112 for s in accepted):
        caps.append(("F", "suites under 112 bits"))
    if "SSLv3" in offered and not modern and "TLSv1.0" not in offered:
        caps.append(("F", "SSLv3 is the best protocol"))
    if not {"TLSv1.2", "TLSv1.3"} & set(offered):
        caps.append(("C", "no TLS 1.2"))
    if modern and any(s.triple_des for s in accepted):
        caps.append(("C", "3DES with TLS 1.1 or newer"))
    if modern and any(s.rc4 for s in accepted):
        caps.append(("C", "RC4 with TLS 1.1 or newer"))
    if key_bits is not None and key_bits < 2048:
        caps.append(("B", "key under 2048 bits"))
    if "SSLv3" in offered:
        caps.append(("B", "SSLv3 offered"))
    if any(s.rc4 for s in accepted):
        caps.append(("B", "RC4 suites"))
    if cert is not None and not cert.self_signed and _chain_length(endpoint) < 2:
        caps.append(("B", "incomplete certificate chain"))
    if any(b < 2048 for b in endpoint.dh_bits.values()):
        caps.append(("B", "DH parameters under 2048 bits"))
    weak_curves = weak_groups(endpoint.groups)
    if weak_curves:
        caps.append(("B", f"ECDHE curves under 224 bits ({', '.join(weak_curves)})"))
    if not any(s.forward_secrecy for s in accepted):
        caps.append(("B", "no forward secrecy"))
    if not any(s.aead for s in accepted):
        caps.append(("B", "no AEAD suites"))
    if {"TLSv1.0", "TLSv1.1"} & set(offered):
        caps.append(("B", "TLS 1.0 or 1.1 offered"))
    return caps


def _warnings(offered: list[str]) -> list[str]:
    """What lowers an A to A- (and so withholds A+)."""
    return [] if "TLSv1.3" in offered else ["TLS 1.3 not offered (A-, guide 2009r)"]


def _chain_length(endpoint: Endpoint) -> int:
    return max((len(c) for c in endpoint.certificate_chains.values()), default=0)


def _trust_problems(cert: CertInfo | None, now: dt.datetime) -> list[str]:
    if cert is None:
        return []
    out = []
    if cert.self_signed:
        out.append("self-signed certificate")
    if cert.not_after < now:
        out.append("expired certificate")
    if cert.signature_hash in ("sha1", "md5"):
        out.append(f"{cert.signature_hash.upper()} certificate signature")
    return out


def mozilla_deviations(endpoint: Endpoint, profile: str) -> list[str]:
    """How the endpoint departs from Mozilla's "intermediate" or "modern" configuration."""
    offered = {p for p, on in endpoint.protocols.items() if on}
    allowed = {"TLSv1.3"} if profile == "modern" else {"TLSv1.2", "TLSv1.3"}
    out = [f"offers {p}" for p in sorted(offered - allowed)]
    if "TLSv1.3" not in offered:
        out.append("does not offer TLSv1.3")
    suites_ok = MOZILLA_TLS13 | (MOZILLA_TLS12 if profile == "intermediate" else set())
    extra = [s for s in endpoint.accepted() if s not in suites_ok]
    if extra:
        out.append(f"accepts {len(extra)} suites outside the profile (e.g. {extra[0]})")
    weak_dh = [b for b in endpoint.dh_bits.values() if b < 2048]
    if weak_dh:
        out.append(f"DH parameters of {min(weak_dh)} bits")
    other_groups = [g for g in endpoint.groups if g not in MOZILLA_GROUPS]
    deprecated = deprecated_groups(endpoint.groups)
    if other_groups and profile == "modern":
        out.append(f"offers groups outside X25519, P-256, P-384 ({', '.join(other_groups)})")
    elif deprecated:
        out.append(f"offers curves outside X25519, P-256, P-384 ({', '.join(deprecated)})")
    cert = leaf(endpoint)
    if cert is not None:
        if cert.key_type == "RSA" and cert.key_bits < 2048:
            out.append(f"RSA key of {cert.key_bits} bits")
        if cert.key_type == "EC" and cert.key_bits < 256:
            out.append(f"EC key of {cert.key_bits} bits")
        if cert.lifetime_days > 366:
            out.append(f"certificate lifetime of {cert.lifetime_days:.0f} days (over 366)")
    return out
