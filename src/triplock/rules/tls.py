"""TLS rules: what `triplock scan` observed on live endpoints, judged against the SSL Labs
deployment best practices and rating guide and Mozilla's server-side TLS guidelines.

The certificate chains seen on the wire are CertChain facts (origin "endpoint") judged by the
certificate rules (rules/certs.py), exactly as a chain read from a keystore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from triplock.facts.tls import Endpoint
from triplock.model import Evidence, Severity
from triplock.rules._tls_grade import (
    HSTS_A_PLUS,
    deprecated_groups,
    grade,
    mozilla_deviations,
    weak_groups,
)
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown
from triplock.tlsscan import suites
from triplock.tlsscan.suites import Suite

BEST_PRACTICES = "https://github.com/ssllabs/research/wiki/SSL-and-TLS-Deployment-Best-Practices"
RATING_GUIDE = "https://github.com/ssllabs/research/wiki/SSL-Server-Rating-Guide"
MOZILLA = "https://wiki.mozilla.org/Security/Server_Side_TLS"


def _observed(ep: Endpoint) -> bool:
    return ep.observed


def _listed(names: list[str], limit: int = 4) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _verdict(ep: Endpoint, ok: bool, what: str, passing: str, failing: str) -> Outcome:
    """Pass or fail (without evidence) at the endpoint's field `what`."""
    if ok:
        return passed(f"{ep.target} {passing}", ep.where(what))
    return fail(f"{ep.target} {failing}", ep.where(what))


def _refuses(ep: Endpoint, versions: tuple[str, str], passing: str) -> Iterator[Outcome]:
    """Fail listing the `versions` the observed endpoint accepts, else pass."""
    if not _observed(ep):
        return
    bad = [p for p in versions if ep.protocols.get(p)]
    if bad:
        yield fail(
            f"{ep.target} accepts {', '.join(bad)}",
            ep.where("protocols"),
            Evidence.of("protocols", ",".join(bad)),
        )
    else:
        yield passed(f"{ep.target} {passing}", ep.where("protocols"))


def _suites_check(
    ep: Endpoint, test: Callable[[Suite], bool], passing: str, failing: str
) -> Iterator[Outcome]:
    """Fail listing the accepted suites that match `test` (`failing` may say `{n}`, their
    count), else pass; nothing when the endpoint was not observed."""
    if not _observed(ep):
        return
    bad = [n for n in ep.accepted() if (s := suites.by_name(n)) is not None and test(s)]
    if bad:
        yield fail(
            f"{ep.target} {failing.format(n=len(bad))}: {_listed(bad)}",
            ep.where("cipher_suites"),
            Evidence.of("suites", _listed(bad)),
        )
    else:
        yield passed(f"{ep.target} {passing}", ep.where("cipher_suites"))


@rule(
    id="TLS-001",
    slug="tls-endpoint-not-observed",
    title="A TLS endpoint could not be observed",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="An endpoint that does not complete a TLS hello (closed port, plain HTTP, a "
    "stalled or broken server) cannot be judged; it may also be serving clear text.",
    remediation="Check that the service listens with TLS on this address and port.",
    references=(BEST_PRACTICES,),
)
def not_observed(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if ep.error is not None:
        yield unknown(f"{ep.target}: {ep.error}", ep.where(), Evidence.of("error", ep.error))
    elif not ep.observed:
        yield unknown(f"{ep.target} accepted no SSL/TLS protocol version", ep.where())
    elif ep.incomplete:
        missing = ", ".join(ep.incomplete)
        yield unknown(
            f"{ep.target}: partial result, not finished: {missing}",
            ep.where("incomplete"),
            Evidence.of("incomplete", missing),
        )
    else:
        yield passed(f"{ep.target} speaks TLS", ep.where())


@rule(
    id="TLS-010",
    slug="tls-ssl-protocols",
    title="An endpoint accepts SSLv2 or SSLv3",
    control="transit.tls.protocol",
    severity=Severity.CRITICAL,
    target=Endpoint,
    rationale="SSLv2 and SSLv3 are broken (DROWN, POODLE) and prohibited by RFC 6176 and RFC 7568.",
    remediation="Disable SSLv2 and SSLv3: allow only TLSv1.2 and TLSv1.3.",
    references=(BEST_PRACTICES, "https://www.rfc-editor.org/rfc/rfc7568"),
)
def ssl_protocols(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _refuses(ep, ("SSLv2", "SSLv3"), "refuses SSLv2 and SSLv3")


@rule(
    id="TLS-011",
    slug="tls-legacy-tls-versions",
    title="An endpoint accepts TLS 1.0 or TLS 1.1",
    control="transit.tls.protocol",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="TLS 1.0 and 1.1 are deprecated (RFC 8996): no AEAD suites, SHA-1 in the "
    "handshake; SSL Labs caps such servers at B and Mozilla's intermediate profile excludes "
    "them.",
    remediation="Allow only TLSv1.2 and TLSv1.3.",
    references=("https://www.rfc-editor.org/rfc/rfc8996", MOZILLA),
)
def legacy_tls(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _refuses(ep, ("TLSv1.0", "TLSv1.1"), "refuses TLS 1.0 and 1.1")


@rule(
    id="TLS-012",
    slug="tls-no-tls12",
    title="An endpoint offers neither TLS 1.2 nor TLS 1.3",
    control="transit.tls.protocol",
    severity=Severity.HIGH,
    target=Endpoint,
    rationale="Without TLS 1.2 or 1.3 no secure suite can be negotiated (SSL Labs caps at C).",
    remediation="Enable TLSv1.2 and TLSv1.3.",
    references=(BEST_PRACTICES,),
)
def no_tls12(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    modern = [p for p in ("TLSv1.2", "TLSv1.3") if ep.protocols.get(p)]
    yield _verdict(
        ep,
        bool(modern),
        "protocols",
        f"offers {' and '.join(modern)}",
        "offers neither TLS 1.2 nor TLS 1.3",
    )


@rule(
    id="TLS-013",
    slug="tls-no-tls13",
    title="An endpoint does not offer TLS 1.3",
    control="transit.tls.protocol",
    severity=Severity.LOW,
    target=Endpoint,
    rationale="TLS 1.3 removes every legacy suite and key exchange and always has forward "
    "secrecy; Mozilla's modern profile is TLS 1.3 only.",
    remediation="Enable TLSv1.3 (Java 11+, OpenSSL 1.1.1+).",
    references=(MOZILLA,),
)
def no_tls13(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    yield _verdict(
        ep,
        bool(ep.protocols.get("TLSv1.3")),
        "protocols",
        "offers TLS 1.3",
        "does not offer TLS 1.3",
    )


@rule(
    id="TLS-014",
    slug="tls-insecure-renegotiation",
    title="An endpoint does not support secure renegotiation (RFC 5746)",
    control="transit.tls.protocol",
    severity=Severity.HIGH,
    target=Endpoint,
    rationale="Without the renegotiation_info extension an attacker can splice a prefix into "
    "a client's session (CVE-2009-3555); SSL Labs grades such servers F.",
    remediation="Upgrade the TLS library; every maintained one supports RFC 5746.",
    references=("https://www.rfc-editor.org/rfc/rfc5746", RATING_GUIDE),
)
def insecure_renegotiation(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep) or ep.secure_renegotiation is None:
        return
    yield _verdict(
        ep,
        ep.secure_renegotiation,
        "renegotiation",
        "supports secure renegotiation",
        "lacks secure renegotiation (RFC 5746)",
    )


@rule(
    id="TLS-020",
    slug="tls-broken-cipher-suites",
    title="An endpoint accepts NULL, anonymous, export, RC4 or sub-112-bit cipher suites",
    control="transit.tls.cipher",
    severity=Severity.CRITICAL,
    target=Endpoint,
    rationale="These suites give no confidentiality, no authentication, or keys breakable in "
    "hours (FREAK, Logjam, RC4 biases); SSL Labs grades such servers F.",
    remediation="Allow only AEAD suites with forward secrecy (Mozilla intermediate list).",
    references=(BEST_PRACTICES, MOZILLA),
)
def broken_suites(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _suites_check(
        ep, lambda s: s.insecure, "accepts no broken suite", "accepts {n} broken suites"
    )


@rule(
    id="TLS-021",
    slug="tls-64bit-block-suites",
    title="An endpoint accepts 3DES or other 64-bit block cipher suites",
    control="transit.tls.cipher",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="64-bit block ciphers (3DES, DES, IDEA) leak plaintext after a few hundred GB "
    "on one connection (SWEET32, CVE-2016-2183).",
    remediation="Remove 3DES, DES and IDEA suites.",
    references=("https://sweet32.info/", BEST_PRACTICES),
)
def small_block(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _suites_check(
        ep,
        lambda s: s.small_block and not s.insecure,
        "accepts no 64-bit block suite",
        "accepts 64-bit block suites",
    )


@rule(
    id="TLS-022",
    slug="tls-non-aead-suites",
    title="An endpoint accepts CBC (non-AEAD) cipher suites",
    control="transit.tls.cipher",
    severity=Severity.LOW,
    target=Endpoint,
    rationale="CBC suites with MAC-then-encrypt have a long history of padding-oracle attacks "
    "(Lucky13, POODLE-TLS); Mozilla intermediate keeps only AES-GCM and ChaCha20-Poly1305.",
    remediation="Keep only AES-GCM and ChaCha20-Poly1305 suites.",
    references=(MOZILLA,),
)
def non_aead(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _suites_check(
        ep,
        lambda s: not s.aead and not s.insecure,
        "accepts only AEAD suites",
        "accepts {n} non-AEAD suites",
    )


@rule(
    id="TLS-023",
    slug="tls-client-chooses-suite",
    title="An endpoint lets the client choose the cipher suite (TLS 1.2 and older)",
    control="transit.tls.cipher",
    severity=Severity.LOW,
    target=Endpoint,
    rationale="When the server follows the client's order, a client that prefers a weaker "
    "suite gets it; the server should pick the strongest suite it shares.",
    remediation="Turn on server cipher order (nginx ssl_prefer_server_ciphers on; Jetty and "
    "Java: jdk.tls.server.cipherSuites order with honorCipherOrder).",
    references=(BEST_PRACTICES,),
)
def client_chooses(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    legacy = {p: v for p, v in ep.server_preference.items() if p != "TLSv1.3"}
    follows = [p for p, v in legacy.items() if v is False]
    if follows:
        yield fail(
            f"{ep.target} follows the client's suite order for {', '.join(follows)}",
            ep.where("server_preference"),
        )
    elif any(v for v in legacy.values()):
        yield passed(f"{ep.target} chooses the cipher suite", ep.where("server_preference"))


@rule(
    id="TLS-030",
    slug="tls-no-forward-secrecy",
    title="An endpoint accepts suites without forward secrecy (static RSA or DH key exchange)",
    control="transit.tls.key-exchange",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="With static RSA or DH key exchange, whoever obtains the server key later can "
    "decrypt every recorded session.",
    remediation="Offer only ECDHE (and DHE >= 2048 bits) suites; TLS 1.3 always has forward "
    "secrecy.",
    references=(BEST_PRACTICES,),
)
def no_forward_secrecy(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _suites_check(
        ep,
        lambda s: not s.forward_secrecy and not s.insecure,
        "uses forward secrecy only",
        "accepts {n} suites without forward secrecy",
    )


@rule(
    id="TLS-031",
    slug="tls-weak-dh",
    title="An endpoint uses Diffie-Hellman parameters under 2048 bits",
    control="transit.tls.key-exchange",
    severity=Severity.HIGH,
    target=Endpoint,
    rationale="DH groups under 2048 bits are within reach of well-resourced attackers "
    "(Logjam); 1024-bit groups are shared and precomputable.",
    remediation="Use ffdhe2048 or larger (RFC 7919) or drop DHE suites for ECDHE.",
    references=("https://weakdh.org/", MOZILLA),
)
def weak_dh(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep) or not ep.dh_bits:
        return
    smallest = min(ep.dh_bits.values())
    if smallest < 2048:
        yield fail(
            f"{ep.target} uses {smallest}-bit DH parameters",
            ep.where("dh_bits"),
            Evidence.of("dh_bits", str(smallest)),
            severity=Severity.CRITICAL if smallest < 1024 else None,
        )
    else:
        yield passed(
            f"{ep.target} uses DH parameters of {smallest} bits or more", ep.where("dh_bits")
        )


@rule(
    id="TLS-032",
    slug="tls-weak-groups",
    title="An endpoint accepts elliptic curves under 224 bits",
    control="transit.tls.key-exchange",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="Curves under 224 bits (secp160, secp192, sect163, sect193...) give less than "
    "112-bit security; SSL Labs scores their key exchange like RSA 1024 and caps at B.",
    remediation="Restrict groups to X25519, P-256 and P-384 (nginx ssl_ecdh_curve; OpenSSL "
    "-groups; Java jdk.tls.namedGroups).",
    references=(MOZILLA, RATING_GUIDE),
)
def weak_curves(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _groups_check(ep, weak_groups, "uses no curve under 224 bits", "weak")


def _groups_check(
    ep: Endpoint, select: Callable[[list[str]], list[str]], passing: str, kind: str
) -> Iterator[Outcome]:
    """Fail naming the groups `select` picks from what the endpoint accepts, else pass."""
    if not _observed(ep) or not ep.groups:
        return
    bad = select(ep.groups)
    yield _verdict(ep, not bad, "groups", passing, f"accepts {kind} curves: {', '.join(bad)}")


@rule(
    id="TLS-033",
    slug="tls-deprecated-groups",
    title="An endpoint accepts elliptic curves that RFC 8422 deprecates (P-224, brainpool, "
    "binary and Koblitz curves)",
    control="transit.tls.key-exchange",
    severity=Severity.LOW,
    target=Endpoint,
    rationale="RFC 8422 keeps only P-256, P-384, P-521, X25519 and X448 for TLS; the other "
    "curves are little reviewed, rarely constant-time, and outside Mozilla's profiles "
    "(X25519, P-256, P-384).",
    remediation="Restrict groups to X25519, P-256 and P-384 (nginx ssl_ecdh_curve; OpenSSL "
    "-groups; Java jdk.tls.namedGroups).",
    references=("https://www.rfc-editor.org/rfc/rfc8422#section-5.1.1", MOZILLA),
)
def deprecated_curves(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    yield from _groups_check(
        ep, deprecated_groups, "uses only curves RFC 8422 recommends", "deprecated"
    )


@rule(
    id="TLS-040",
    slug="tls-no-session-resumption",
    title="An endpoint does not resume TLS sessions",
    control="transit.tls.performance",
    severity=Severity.LOW,
    target=Endpoint,
    rationale="Without session resumption (ids, tickets or TLS 1.3 PSK) every connection "
    "pays a full handshake: the guide's remedy for TLS performance costs.",
    remediation="Enable a session cache or session tickets (nginx ssl_session_cache shared; "
    "Java resumes by default).",
    references=(BEST_PRACTICES,),
)
def no_resumption(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    seen = {k: v for k, v in ep.session_resumption.items() if v is not None}
    if not seen:
        yield unknown(
            f"{ep.target}: session resumption could not be tested (full handshakes failed)",
            ep.where("session_resumption"),
        )
    elif any(seen.values()):
        kinds = ", ".join(k for k, v in seen.items() if v)
        yield passed(f"{ep.target} resumes sessions ({kinds})", ep.where("session_resumption"))
    else:
        yield fail(f"{ep.target} resumes no session", ep.where("session_resumption"))


@rule(
    id="TLS-041",
    slug="tls-no-ocsp-stapling",
    title="An endpoint does not staple OCSP responses",
    control="transit.tls.performance",
    severity=Severity.INFO,
    target=Endpoint,
    rationale="Stapling saves clients a round trip to the CA's OCSP responder and keeps their "
    "browsing private; it only applies to certificates with an OCSP URL.",
    remediation="Enable OCSP stapling (nginx ssl_stapling on).",
    references=(BEST_PRACTICES,),
)
def no_stapling(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep) or ep.ocsp_stapling is None:
        return
    yield _verdict(
        ep,
        ep.ocsp_stapling,
        "ocsp_stapling",
        "staples OCSP responses",
        "does not staple OCSP responses",
    )


@rule(
    id="TLS-050",
    slug="tls-no-hsts",
    title="An HTTPS endpoint does not send HSTS (or for less than six months)",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="Without Strict-Transport-Security a browser can be downgraded to plain HTTP "
    "(SSL stripping); SSL Labs gives A+ only from six months.",
    remediation="Send Strict-Transport-Security: max-age=63072000 (Spark: "
    "spark.ui.strictTransportSecurity; Jetty/nginx: add the header).",
    references=(MOZILLA,),
)
def no_hsts(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep) or not ep.http:
        return
    age = ep.hsts_max_age
    if age is not None and age >= HSTS_A_PLUS:
        yield passed(f"{ep.target} sends HSTS (max-age={age})", ep.where("hsts"))
    else:
        state = "no HSTS header" if age is None else f"HSTS max-age={age} (under six months)"
        yield fail(f"{ep.target} speaks HTTP with {state}", ep.where("hsts"))


_GRADE_SEVERITY = {
    "A-": Severity.INFO,
    "B": Severity.LOW,
    "C": Severity.MEDIUM,
    "D": Severity.MEDIUM,
    "E": Severity.HIGH,
    "F": Severity.HIGH,
    "T": Severity.MEDIUM,
}


@rule(
    id="TLS-060",
    slug="tls-grade-below-a",
    title="An endpoint grades below A (SSL Labs rating guide)",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="The rating guide scores protocol, key exchange and cipher strength and caps "
    "the grade for known weaknesses; anything below A has at least one.",
    remediation="Fix the capping reasons listed in the finding (the other TLS-0xx findings).",
    references=(RATING_GUIDE,),
)
def grade_below_a(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    result = grade(ep)
    if result is None:
        return
    if result.letter in ("A", "A+"):
        yield passed(f"{ep.target} grades {result.letter}", ep.where("grade"))
        return
    why = "; ".join(dict.fromkeys(result.reasons)) or f"score {result.score}"
    yield fail(
        f"{ep.target} grades {result.letter}: {why}",
        ep.where("grade"),
        Evidence.of("grade", result.letter),
        severity=_GRADE_SEVERITY.get(result.letter),
    )


@rule(
    id="TLS-061",
    slug="tls-not-mozilla-intermediate",
    title="An endpoint does not meet Mozilla's intermediate TLS configuration",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=Endpoint,
    rationale="Mozilla's intermediate profile is the recommended general-purpose server "
    "configuration: TLS 1.2 and 1.3, AEAD suites with forward secrecy, DH >= 2048, strong keys.",
    remediation="Apply the intermediate configuration of the Mozilla SSL Configuration "
    "Generator for the server in use.",
    references=(MOZILLA,),
)
def not_intermediate(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    gaps = [g for g in mozilla_deviations(ep, "intermediate") if g != "does not offer TLSv1.3"]
    yield from _mozilla(ep, "intermediate", gaps)


@rule(
    id="TLS-062",
    slug="tls-not-mozilla-modern",
    title="An endpoint does not meet Mozilla's modern TLS configuration",
    control="transit.tls",
    severity=Severity.INFO,
    target=Endpoint,
    rationale="The modern profile (TLS 1.3 only) suits services whose clients are all recent, "
    "such as a cluster's internal endpoints.",
    remediation="Where every client supports TLS 1.3, allow TLS 1.3 only.",
    references=(MOZILLA,),
)
def not_modern(ep: Endpoint, ctx: Context) -> Iterator[Outcome]:
    if not _observed(ep):
        return
    yield from _mozilla(ep, "modern", mozilla_deviations(ep, "modern"))


def _mozilla(ep: Endpoint, profile: str, gaps: list[str]) -> Iterator[Outcome]:
    yield _verdict(
        ep,
        not gaps,
        "mozilla",
        f"meets Mozilla {profile}",
        f"departs from Mozilla {profile}: {'; '.join(gaps)}",
    )
