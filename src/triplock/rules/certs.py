"""Certificate, private key and keystore rules (the CA/Browser Forum Baseline Requirements,
Mozilla's Server Side TLS and SSL Labs' deployment best practices: CAB_BR, MOZILLA, SSL_LABS).

The chain rules judge a CertChain whatever its origin: a PEM file, a keystore entry, or a chain
seen on the wire by the TLS scanner. `ctx.options.now` (an aware datetime) pins the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from triplock.facts.certs import (
    CertChain,
    CertInfo,
    Keystore,
    KeystoreReference,
    PrivateKeyInfo,
    is_default_password,
)
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

SSL_LABS = "https://github.com/ssllabs/research/wiki/SSL-and-TLS-Deployment-Best-Practices"
MOZILLA = "https://wiki.mozilla.org/Security/Server_Side_TLS"
CAB_BR = "https://cabforum.org/working-groups/server/baseline-requirements/"

MAX_LIFETIME_DAYS = 398  # CA/Browser Forum limit for publicly trusted leaves since 2020
MOZILLA_LIFETIME_DAYS = 366  # Mozilla server-side TLS 5.7 intermediate/modern
EXPIRY_WARNING_DAYS = 30
WEAK_HASHES = {"md2", "md4", "md5", "sha1", "sha224"}
MIN_PASSWORD_LENGTH = 12


def _now(ctx: Context) -> dt.datetime:
    return ctx.options.now or dt.datetime.now(dt.UTC)


def _where(chain: CertChain, index: int) -> Location:
    """The chain's location, naming the certificate inside it when there are several."""
    loc = chain.location
    if len(chain.certificates) < 2:
        return loc
    what = f"certificate {index + 1} of {len(chain.certificates)}"
    obj = f"{loc.object}, {what}" if loc.object else what
    return Location(loc.path, loc.line, loc.url, obj)


def _judged_leaf(chain: CertChain) -> CertInfo | None:
    """The leaf of a server/client chain; CA and trust-anchor entries are not leaves."""
    if chain.role == "ca":
        return None
    return chain.leaf


@rule(
    id="CERT-001",
    slug="cert-chain-incomplete",
    title="Certificate chain is incomplete or not linked",
    control="transit.tls.certificate",
    severity=Severity.MEDIUM,
    target=CertChain,
    reads_inventory=True,
    rationale="The guide asks for a private key and a complete certificate chain (two or more "
    "certificates): the leaf followed by every intermediate up to the CA, each issued by the "
    "next. A lone self-signed leaf is not a chain: clients cannot validate it without pinning "
    "it, so they end up disabling verification.",
    remediation="Issue the service certificate from the deployment's CA (triplock keys) and "
    "install the leaf together with its intermediates, leaf first.",
    references=(SSL_LABS + "#22-use-complete-certificate-chains",),
)
def chain_incomplete(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    leaf = _judged_leaf(chain)
    if leaf is None:
        return
    certs = chain.certificates
    if len(certs) == 1:
        if leaf.self_signed:
            yield fail(
                "a lone self-signed certificate, not a chain",
                chain.location,
                Evidence.of("subject", leaf.subject),
            )
        elif (root := _root_among_inputs(leaf, ctx)) is not None:
            yield passed(
                f"the leaf is issued directly by the root CA {root.subject}, which is among "
                "the inputs: no intermediate is missing",
                chain.location,
                Evidence.of("issuer", leaf.issuer),
            )
        else:
            yield fail(
                "only the leaf certificate: the intermediates up to the CA are missing",
                chain.location,
                Evidence.of("issuer", leaf.issuer),
            )
        return
    for i in range(len(certs) - 1):
        if not certs[i + 1].issued(certs[i]):
            yield fail(
                f"certificate {i + 2} did not issue certificate {i + 1}: the chain is broken "
                "or out of order",
                _where(chain, i),
                Evidence.of("issuer", certs[i].issuer),
                Evidence.of("next subject", certs[i + 1].subject),
            )
            return
    yield passed(f"complete chain of {len(certs)} linked certificates", chain.location)


def _root_among_inputs(leaf: CertInfo, ctx: Context) -> CertInfo | None:
    """A self-signed CA certificate of the inputs (a file, a keystore or truststore entry)
    that signed this leaf."""
    chains = [
        *ctx.inventory.of(CertChain),
        *(c for k in ctx.inventory.of(Keystore) for c in k.chains),
    ]
    for chain in chains:
        for cert in chain.certificates:
            if cert.self_signed and cert.is_ca and cert.issued(leaf):
                return cert
    return None


def _key_problem(cert: CertInfo) -> tuple[str, Severity | None] | None:
    if cert.key_type == "DSA":
        return f"DSA-{cert.key_bits} key (DSA is not usable in TLS 1.3)", None
    if cert.key_type == "RSA" and cert.key_bits < 2048:
        return f"RSA-{cert.key_bits} key (< 2048 bits)", (
            Severity.CRITICAL if cert.key_bits < 1024 else None
        )
    if cert.key_type == "EC" and cert.key_bits < 256:
        return f"EC key on {cert.curve} ({cert.key_bits} bits < 256)", None
    if cert.key_type == "unknown":
        return "a key of an unknown type", Severity.LOW
    return None


@rule(
    id="CERT-002",
    slug="cert-weak-key",
    title="Certificate key is too weak (RSA < 2048, EC < 256 bits, DSA)",
    control="transit.tls.certificate",
    severity=Severity.HIGH,
    target=CertChain,
    rationale="SSL Labs and Mozilla require RSA keys of at least 2048 bits or ECDSA keys of at "
    "least 256 bits; SSL Labs caps a server with a key under 1024 bits at F.",
    remediation="Re-issue the certificate with an RSA-3072 or ECDSA P-256 key.",
    references=(SSL_LABS + "#11-use-2048-bit-private-keys", MOZILLA),
)
def weak_key(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    weak = False
    for i, cert in enumerate(chain.certificates):
        problem = _key_problem(cert)
        if problem is not None:
            weak = True
            message, severity = problem
            yield fail(
                f"{message}",
                _where(chain, i),
                Evidence.of("subject", cert.subject),
                severity=severity,
            )
    if not weak and chain.certificates:
        leaf = chain.certificates[0]
        yield passed(f"leaf key {leaf.key_type}-{leaf.key_bits}", chain.location)


@rule(
    id="CERT-003",
    slug="cert-weak-signature",
    title="Certificate signed with a weak hash (MD5, SHA-1)",
    control="transit.tls.certificate",
    severity=Severity.HIGH,
    target=CertChain,
    rationale="MD5 and SHA-1 signatures can be forged by collision; browsers and Java reject "
    "them. A self-signed root's own signature is not judged: nothing relies on it.",
    remediation="Re-issue the certificate with a SHA-256 (or stronger) signature.",
    references=(SSL_LABS + "#13-use-strong-certificate-signature-algorithm",),
)
def weak_signature(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    weak = False
    for i, cert in enumerate(chain.certificates):
        if cert.self_signed and (cert.is_ca or len(chain.certificates) > 1):
            continue
        if cert.signature_hash in WEAK_HASHES:
            weak = True
            yield fail(
                f"signed with {cert.signature_hash}",
                _where(chain, i),
                Evidence.of("subject", cert.subject),
            )
    if not weak and chain.certificates:
        hashes = sorted({c.signature_hash or "eddsa" for c in chain.certificates})
        yield passed(f"signatures use {', '.join(hashes)}", chain.location)


@rule(
    id="CERT-004",
    slug="cert-outside-validity",
    title="Certificate is expired, not yet valid, or expires within 30 days",
    control="transit.tls.certificate",
    severity=Severity.HIGH,
    target=CertChain,
    rationale="An expired or not-yet-valid certificate fails validation; clients then either "
    "break or are configured to skip verification.",
    remediation="Renew the certificate before it expires and automate renewal.",
    references=(SSL_LABS + "#1-private-key-and-certificate",),
)
def outside_validity(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    now = _now(ctx)
    bad = False
    for i, cert in enumerate(chain.certificates):
        where = _where(chain, i)
        expiry = Evidence.of("notAfter", cert.not_after.isoformat())
        if cert.not_after < now:
            bad = True
            yield fail(f"expired on {cert.not_after:%Y-%m-%d}", where, expiry)
        elif cert.not_before > now:
            bad = True
            yield fail(
                f"not valid before {cert.not_before:%Y-%m-%d}",
                where,
                Evidence.of("notBefore", cert.not_before.isoformat()),
            )
        elif cert.not_after - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
            bad = True
            yield fail(
                f"expires soon, on {cert.not_after:%Y-%m-%d}",
                where,
                expiry,
                severity=Severity.MEDIUM,
            )
    if not bad and chain.certificates:
        first = min(c.not_after for c in chain.certificates)
        yield passed(f"valid until {first:%Y-%m-%d}", chain.location)


@rule(
    id="CERT-005",
    slug="cert-lifetime-too-long",
    title="Leaf certificate lifetime exceeds 398 days (366 for Mozilla)",
    control="transit.tls.certificate",
    severity=Severity.MEDIUM,
    target=CertChain,
    rationale="Long-lived leaves (the BigDL example generates a 9999-day self-signed one) keep "
    "a stolen key useful for decades and prove that renewal is not automated. Browsers reject "
    "leaves over 398 days; Mozilla's server-side TLS guide asks for at most 366 (90 "
    "recommended).",
    remediation="Issue leaves for 90 days (at most 366) and renew them automatically.",
    references=(MOZILLA, CAB_BR),
)
def lifetime_too_long(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    leaf = _judged_leaf(chain)
    if leaf is None:
        return
    days = leaf.lifetime_days
    evidence = Evidence.of("lifetime", f"{days:.0f} days")
    if days > MAX_LIFETIME_DAYS:
        yield fail(
            f"leaf valid for {days:.0f} days (> {MAX_LIFETIME_DAYS})", chain.location, evidence
        )
    elif days > MOZILLA_LIFETIME_DAYS:
        yield fail(
            f"leaf valid for {days:.0f} days (> Mozilla's {MOZILLA_LIFETIME_DAYS})",
            chain.location,
            evidence,
            severity=Severity.LOW,
        )
    else:
        yield passed(f"leaf valid for {days:.0f} days", chain.location)


@rule(
    id="CERT-006",
    slug="cert-no-san",
    title="Leaf certificate has no subject alternative name",
    control="transit.tls.certificate",
    severity=Severity.MEDIUM,
    target=CertChain,
    rationale="Clients match hostnames against the SAN extension only (RFC 6125; Chrome and "
    "Java ignore the CN), so a leaf without DNS or IP SANs fails hostname verification and "
    "pushes users to turn it off.",
    remediation="Re-issue the certificate with every DNS name and IP the service is reached by "
    "as subjectAltName (for Kubernetes: the Service name, namespace and cluster domain).",
    references=(SSL_LABS + "#12-protect-private-keys",),
)
def no_san(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    leaf = _judged_leaf(chain)
    if leaf is None or chain.role == "client":
        return
    names = [n for n in leaf.sans if n.startswith(("DNS:", "IP:"))]
    if names:
        yield passed(
            f"{len(names)} subject alternative name(s)",
            chain.location,
            Evidence.of("subjectAltName", ", ".join(names[:5])),
        )
    else:
        yield fail(
            "no DNS or IP subject alternative name: hostname verification cannot pass",
            chain.location,
            Evidence.of("subject", leaf.subject),
        )


@rule(
    id="CERT-007",
    slug="cert-server-usage",
    title="Server certificate lacks serverAuth extended key usage or a fitting key usage",
    control="transit.tls.certificate",
    severity=Severity.MEDIUM,
    target=CertChain,
    rationale="A TLS server leaf should be an end entity (not a CA) whose extended key usage "
    "includes serverAuth and whose key usage permits digitalSignature (and keyEncipherment "
    "for RSA key transport). A CA certificate used as a server leaf lets its key sign others.",
    remediation="Re-issue the leaf with basicConstraints CA:FALSE, keyUsage digitalSignature "
    "(plus keyEncipherment for RSA) and extendedKeyUsage serverAuth.",
    references=(CAB_BR,),
)
def server_usage(chain: CertChain, ctx: Context) -> Iterator[Outcome]:
    leaf = chain.leaf
    if leaf is None or chain.role != "server":
        return
    problems: list[str] = []
    if leaf.is_ca:
        problems.append("the leaf is a CA certificate (basicConstraints CA:TRUE)")
    eku = leaf.extended_key_usage
    if not eku:
        problems.append("no extendedKeyUsage (serverAuth)")
    elif "serverAuth" not in eku and "anyExtendedKeyUsage" not in eku:
        problems.append(f"extendedKeyUsage {', '.join(eku)} lacks serverAuth")
    ku = leaf.key_usage
    if ku and "digital_signature" not in ku and "key_encipherment" not in ku:
        problems.append(f"keyUsage {', '.join(ku)} permits neither signing nor key encipherment")
    if problems:
        yield fail("; ".join(problems), chain.location, Evidence.of("subject", leaf.subject))
    else:
        yield passed("end-entity certificate for serverAuth", chain.location)


_MODE_FIX = "0600"


def _mode_text(mode: int) -> str:
    return f"{mode:04o}"


@rule(
    id="CERT-010",
    slug="private-key-exposed",
    title="Private key file is unencrypted and readable by group or others",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=PrivateKeyInfo,
    rationale="Anyone who can read an unencrypted private key can impersonate the service and, "
    "without forward secrecy, decrypt recorded traffic. Key files must be mode 0600 (owned by "
    "the service user) and in Kubernetes mounted from a Secret with defaultMode 0400.",
    remediation="chmod 0600 the key file (or encrypt it), and ship it through a Kubernetes "
    "Secret instead of an image or a repository.",
    references=(SSL_LABS + "#12-protect-private-keys",),
)
def private_key_exposed(key: PrivateKeyInfo, ctx: Context) -> Iterator[Outcome]:
    what = "encrypted" if key.encrypted else "unencrypted"
    if key.mode is None:
        yield unknown(f"{what} private key of unknown file mode", key.location)
        return
    mode = Evidence.of("mode", _mode_text(key.mode))
    fix = Fix(FixAction.CHMOD, key.location.path or key.name, _MODE_FIX, key.location.path)
    if key.mode & 0o077 == 0:
        yield passed(f"{what} private key readable by its owner only", key.location, mode)
        return
    scope = "everyone" if key.mode & 0o004 else "its group"
    if key.encrypted:
        yield fail(
            f"encrypted private key readable by {scope}",
            key.location,
            mode,
            fix=fix,
            severity=Severity.LOW,
        )
    else:
        severity = None if key.mode & 0o004 else Severity.MEDIUM
        yield fail(
            f"unencrypted private key readable by {scope}",
            key.location,
            mode,
            fix=fix,
            severity=severity,
        )


@rule(
    id="CERT-011",
    slug="keystore-readable",
    title="Keystore with private keys is readable by group or others",
    control="keys.tls-material",
    severity=Severity.MEDIUM,
    target=Keystore,
    rationale="A keystore is only as safe as its password; readable by others, it can be "
    "copied and its (often default) password brute-forced offline.",
    remediation="chmod 0600 the keystore and mount it from a Kubernetes Secret.",
)
def keystore_readable(store: Keystore, ctx: Context) -> Iterator[Outcome]:
    if store.opened and store.private_key_entries == 0 and store.secret_key_entries == 0:
        return  # a truststore holds public certificates only
    if store.mode is None:
        yield unknown("keystore of unknown file mode", store.location)
        return
    mode = Evidence.of("mode", _mode_text(store.mode))
    if store.mode & 0o077 == 0:
        yield passed("keystore readable by its owner only", store.location, mode)
    else:
        fix = Fix(
            FixAction.CHMOD, store.location.path or store.name, _MODE_FIX, store.location.path
        )
        scope = "everyone" if store.mode & 0o004 else "its group"
        yield fail(
            f"{store.store_type} keystore readable by {scope}", store.location, mode, fix=fix
        )


@rule(
    id="CERT-012",
    slug="keystore-password-weak",
    title="Keystore password in configuration is a default or weak one",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=KeystoreReference,
    rationale="Default keystore passwords (keytool's changeit, tutorials' password or 123456) "
    "are the first guess of anyone who copies the keystore; with the password literal in the "
    "configuration next to it, the keystore protects nothing.",
    remediation="Generate a random password of at least 16 characters and supply it through "
    "hadoop.security.credential.provider.path or a file mounted from a Secret.",
    references=("https://spark.apache.org/docs/latest/security.html#ssl-configuration",),
)
def keystore_password_weak(ref: KeystoreReference, ctx: Context) -> Iterator[Outcome]:
    for setting in ref.passwords:
        evidence = Evidence.of(setting.key, setting.value)
        if setting.templated:
            yield unknown(
                f"{setting.key} is templated; its strength cannot be judged",
                setting.location,
                evidence,
            )
        elif is_default_password(setting.value):
            yield fail(
                f"{setting.key} is a well-known default password", setting.location, evidence
            )
        elif len(setting.value) < MIN_PASSWORD_LENGTH:
            yield fail(
                f"{setting.key} is shorter than {MIN_PASSWORD_LENGTH} characters",
                setting.location,
                evidence,
                severity=Severity.MEDIUM,
            )
        else:
            yield passed(f"{setting.key} is not a known default", setting.location)


@rule(
    id="CERT-013",
    slug="keystore-default-password",
    title="Keystore opens with a well-known default password",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=Keystore,
    rationale="A keystore that opens with changeit, password or 123456 gives its private keys "
    "to anyone who can copy the file; a Hadoop credential store (JCEKS) written while "
    "HADOOP_CREDSTORE_PASSWORD was unset opens with `none` and gives away every secret in it. "
    "A keystore that opens with no password triplock knows cannot be judged (give "
    "--keystore-password-file or TRIPLOCK_KEYSTORE_PASSWORD).",
    remediation="Change the store and key passwords (keytool -storepasswd / -keypasswd) to a "
    "random secret kept in a Kubernetes Secret or credential provider.",
)
def keystore_default_password(store: Keystore, ctx: Context) -> Iterator[Outcome]:
    if not store.opened:
        yield unknown(
            f"{store.store_type} keystore could not be opened with any known password; its "
            "certificates were not judged (use --keystore-password-file)",
            store.location,
        )
    elif store.default_password and store.private_key_entries + store.secret_key_entries == 0:
        yield passed(f"{store.store_type} truststore of public certificates only", store.location)
    elif store.default_password:
        yield fail(
            f"{store.store_type} keystore opens with a well-known default password", store.location
        )
    else:
        yield passed(
            f"{store.store_type} keystore opened with the {store.password_source} password, "
            "not a default",
            store.location,
        )
