"""Spark rules for controls spark.encryption (AES-based or TLS RPC encryption, SASL) and
rest.spark-local (local storage encryption) (SPARK-010..015, 020, 021). The cipher advice
follows the Spark version (_spark_version.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.model import Fix, FixAction, Severity
from triplock.rules._spark_common import (
    SECURITY_DOC,
    evidence_of,
    flag_of,
    require_true,
    runs_applications,
    undecided,
    version_of,
)
from triplock.rules._spark_version import SparkVersion
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

CVE_2025_55039 = "https://www.cve.org/CVERecord?id=CVE-2025-55039"
GCM = "AES/GCM/NoPadding"
CTR = "AES/CTR/NoPadding"


# --- 01x RPC encryption ----------------------------------------------------------------------


def _rpc_tls(app: SparkApp) -> bool:
    return app.flag("spark.ssl.rpc.enabled", default=False) is True


def _aes_rpc(app: SparkApp) -> bool:
    """Spark's AES RPC encryption is what protects RPC (not TLS RPC, which takes precedence)."""
    return app.flag("spark.network.crypto.enabled", default=False) is True and not _rpc_tls(app)


def _gcm_available(v: SparkVersion) -> bool:
    """spark.network.crypto.cipher exists since 3.4.4, 3.5.2 and 4.0.0 (CVE-2025-55039)."""
    if v.line() == (3, 4):
        return v.patch >= 4
    if v.line() == (3, 5):
        return v.patch >= 2
    return v.at_least(4, 0)


# First release of each line whose GCM transport no longer drops messages (SPARK-56227);
# the 3.4 line is end of life and never got the fix.
_GCM_FIXED = {(3, 5): 9, (4, 0): 2, (4, 1): 1}


def _gcm_drops_messages(v: SparkVersion) -> bool:
    if not _gcm_available(v):
        return False
    if v.line() in _GCM_FIXED:
        return v.patch < _GCM_FIXED[v.line()]
    return v.line() < (4, 2)


_GCM_ADVICE = "AES/GCM/NoPadding on Spark 3.5.9+, 4.0.2+ or 4.1.1+ (SPARK-56227 fixed)"


@rule(
    id="SPARK-010",
    slug="spark-rpc-unencrypted",
    title="Spark RPC traffic is not encrypted (no AES network crypto, no TLS RPC)",
    control="spark.encryption",
    severity=Severity.HIGH,
    target=SparkApp,
    applies=runs_applications,
    rationale="Driver, executors and the shuffle service exchange tasks, results and shuffle "
    "blocks in clear text unless spark.network.crypto.enabled=true (with spark.authenticate, "
    "which it needs) or, on Spark 4.0+, spark.ssl.rpc.enabled=true. spark.ssl.rpc.* is NOT "
    "inherited from spark.ssl.enabled: TLS for the web UI leaves RPC in clear text.",
    remediation="Set spark.authenticate=true and spark.network.crypto.enabled=true (with "
    "spark.network.crypto.cipher=AES/GCM/NoPadding), or spark.ssl.rpc.enabled=true on 4.0+.",
    references=(SECURITY_DOC + "#encryption", CVE_2025_55039),
)
def rpc_unencrypted(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    crypto_key, tls_key = "spark.network.crypto.enabled", "spark.ssl.rpc.enabled"
    crypto = app.flag(crypto_key, default=False)
    tls = app.flag(tls_key, default=False)
    auth = app.flag("spark.authenticate", default=False)
    version = version_of(app, ctx)
    if tls:
        if version is None and not crypto:
            yield unknown(
                f"{tls_key}=true encrypts RPC on Spark 4.0+ only; Spark 3.x has no TLS RPC and "
                "leaves RPC unencrypted (the Spark version is unknown: pin it or pass "
                "--spark-version)",
                app.where(tls_key),
                *evidence_of(app.get(tls_key)),
            )
        elif version and not version.at_least(4, 0):
            yield fail(
                f"{tls_key}=true but Spark {version} has no TLS RPC (added in 4.0): RPC is "
                "unencrypted",
                app.where(tls_key),
                *evidence_of(app.get(tls_key)),
                fix=Fix(FixAction.SET, crypto_key, "true", app.where(tls_key).path),
            )
        else:
            yield passed(f"RPC uses TLS: {tls_key}=true", app.where(tls_key))
    elif crypto:
        if auth:
            yield passed(f"RPC uses AES encryption: {crypto_key}=true", app.where(crypto_key))
        elif auth is None:
            yield unknown(
                f"{crypto_key}=true but spark.authenticate cannot be read; the encryption needs it",
                app.where("spark.authenticate"),
                *evidence_of(app.get("spark.authenticate")),
            )
        else:
            yield fail(
                f"{crypto_key}=true has no effect without spark.authenticate=true: RPC is "
                "unencrypted",
                app.where(crypto_key),
                *evidence_of(app.get(crypto_key), app.get("spark.authenticate")),
                fix=Fix(FixAction.SET, "spark.authenticate", "true", app.where(crypto_key).path),
            )
    elif crypto is None or tls is None:
        yield unknown(
            f"cannot tell whether {crypto_key} or {tls_key} is on",
            app.where(crypto_key),
            *evidence_of(app.get(crypto_key), app.get(tls_key)),
        )
    else:
        note = ""
        if app.flag("spark.ssl.enabled", default=False):
            note = f" (spark.ssl.enabled=true does not cover RPC: {tls_key} is not inherited)"
        yield fail(
            f"RPC traffic is unencrypted: {crypto_key} and {tls_key} are off{note}",
            app.where(crypto_key),
            *evidence_of(app.get(crypto_key), app.get(tls_key)),
            fix=Fix(FixAction.SET, crypto_key, "true", app.where(crypto_key).path),
        )


@rule(
    id="SPARK-011",
    slug="spark-rpc-cipher-ctr",
    title="Spark AES RPC encryption uses unauthenticated AES/CTR (or a GCM with a known bug)",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="The default cipher AES/CTR/NoPadding encrypts without integrity: a "
    "man-in-the-middle can flip bits in RPC messages undetected (CVE-2025-55039). "
    "AES/GCM/NoPadding exists since 3.4.4, 3.5.2 and 4.0.0, but its transport could drop "
    "messages until 3.5.9, 4.0.2 and 4.1.1 (SPARK-56227); older versions must upgrade or use "
    "TLS RPC (4.0+). The advice follows the version from --spark-version, the application or "
    "the image tag; with none known it holds for all versions.",
    remediation="Set spark.network.crypto.cipher=AES/GCM/NoPadding on Spark 3.5.9+, 4.0.2+ or "
    "4.1.1+, or use spark.ssl.rpc.enabled=true (4.0+).",
    references=(SECURITY_DOC + "#ssl-encryption", CVE_2025_55039),
)
def rpc_cipher(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _aes_rpc(app):
        return
    key = "spark.network.crypto.cipher"
    s = app.get(key)
    where = app.where(key)
    if s is not None and s.templated:
        yield unknown(f"{key} is templated", where, *evidence_of(s))
        return
    cipher = s.value.strip().upper() if s else CTR.upper()
    v = version_of(app, ctx)
    fix = Fix(FixAction.SET, key, GCM, where.path)
    if cipher == GCM.upper():
        if v and not _gcm_available(v):
            yield fail(
                f"{key}={GCM} is ignored by Spark {v.cited()} (added in 3.4.4, 3.5.2, "
                f"4.0.0): RPC uses {CTR}; upgrade to 3.5.9+ or 4.0.2+",
                where,
                *evidence_of(s),
            )
        elif v and _gcm_drops_messages(v):
            yield fail(
                f"Spark {v.cited()} has the AES-GCM message-drop bug SPARK-56227: upgrade "
                "to 3.5.9+, 4.0.2+ or 4.1.1+, or use TLS RPC",
                where,
                *evidence_of(s),
                severity=Severity.LOW,
            )
        elif v:
            yield passed(f"RPC uses authenticated encryption {GCM} on Spark {v.cited()}", where)
        else:
            yield passed(
                f"RPC uses authenticated encryption {GCM} (keep Spark at 3.5.9+, 4.0.2+ or "
                "4.1.1+: SPARK-56227)",
                where,
            )
        return
    state = f"{key} is {CTR}" if s else f"{key} is unset (default {CTR})"
    if cipher != CTR.upper():
        yield fail(f"{key} is not a cipher Spark supports", where, *evidence_of(s), fix=fix)
    elif v and not _gcm_available(v):
        yield fail(
            f"{state}, unauthenticated (CVE-2025-55039), and Spark {v.cited()} offers "
            f"nothing else: upgrade and use {_GCM_ADVICE}, or TLS RPC on 4.0+",
            where,
            *evidence_of(s),
            fix=fix,
        )
    elif v and _gcm_drops_messages(v):
        yield fail(
            f"{state}, unauthenticated (CVE-2025-55039); GCM in Spark {v.cited()} can drop "
            f"messages (SPARK-56227): upgrade and use {_GCM_ADVICE}, or TLS RPC",
            where,
            *evidence_of(s),
            fix=fix,
        )
    else:
        yield fail(
            f"{state}, unauthenticated (CVE-2025-55039): use {_GCM_ADVICE}",
            where,
            *evidence_of(s),
            fix=fix,
        )


@rule(
    id="SPARK-012",
    slug="spark-rpc-auth-engine-v1",
    title="Spark AES RPC key exchange uses authEngineVersion 1 (no HKDF)",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="spark.network.crypto.authEngineVersion=1 (the default) derives session keys "
    "without HKDF; version 2 adds it. Both sides (driver, executors, external shuffle service) "
    "must use the same version. Documented since Spark 4.0.0.",
    remediation="Set spark.network.crypto.authEngineVersion=2 everywhere (Spark 4.0+).",
    references=(SECURITY_DOC + "#ssl-encryption",),
)
def auth_engine_version(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _aes_rpc(app):
        return
    key = "spark.network.crypto.authEngineVersion"
    s = app.get(key)
    where = app.where(key)
    if (doubt := undecided(app, key)) is not None:
        yield doubt
    elif s is not None and s.value.strip() == "2":
        yield passed(f"{key}=2", where)
    else:
        v = version_of(app, ctx)
        old = v is not None and not v.at_least(4, 0)
        fix: Fix | None
        if v is None:
            advice = f"Spark 4.0+: set {key}=2; Spark 3.x has only version 1: upgrade to 4.0+"
            fix = Fix(FixAction.MANUAL, advice, path=where.path)
        else:
            fix = None if old else Fix(FixAction.SET, key, "2", where.path)
        yield fail(
            f"{key} is {'1' if s is None else 'not 2'}: session keys are derived without HKDF"
            + (f"; Spark {v} predates version 2, upgrade to 4.0+" if old else "")
            + (
                "; version 2 exists from Spark 4.0 (the Spark version is unknown)"
                if v is None
                else ""
            ),
            where,
            *evidence_of(s),
            fix=fix,
            severity=Severity.LOW if old else None,
        )


@rule(
    id="SPARK-013",
    slug="spark-rpc-sasl-fallback",
    title="Spark AES RPC encryption may fall back to SASL (saslFallback=true)",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="With spark.network.crypto.saslFallback=true (the default) a peer that does not "
    "speak the AES protocol is accepted over SASL DIGEST-MD5, which is deprecated and weaker. "
    "The fallback is only needed for shuffle services older than Spark 2.2.",
    remediation="Set spark.network.crypto.saslFallback=false.",
    references=(SECURITY_DOC + "#ssl-encryption",),
)
def sasl_fallback(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _aes_rpc(app):
        return
    key = "spark.network.crypto.saslFallback"
    value = app.flag(key, default=True)
    where = app.where(key)
    if value is None:
        yield unknown(f"cannot tell whether {key} is on", where, *evidence_of(app.get(key)))
    elif value:
        yield fail(
            f"{key} is {'true' if app.get(key) else 'unset (default true)'}: peers may "
            "downgrade to SASL",
            where,
            *evidence_of(app.get(key)),
            fix=Fix(FixAction.SET, key, "false", where.path),
        )
    else:
        yield passed(f"{key}=false", where)


@rule(
    id="SPARK-014",
    slug="spark-sasl-encryption-deprecated",
    title="Deprecated SASL encryption is enabled (spark.authenticate.enableSaslEncryption)",
    control="spark.encryption",
    severity=Severity.LOW,
    target=SparkApp,
    applies=runs_applications,
    rationale="SASL (DIGEST-MD5) encryption is deprecated in Spark in favour of AES network "
    "crypto or TLS RPC; it should stay false.",
    remediation="Remove spark.authenticate.enableSaslEncryption and use "
    "spark.network.crypto.enabled=true.",
    references=(SECURITY_DOC + "#sasl-encryption",),
)
def sasl_encryption(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    key = "spark.authenticate.enableSaslEncryption"
    s = app.get(key)
    if s is None:
        return
    value = flag_of(s, False)
    if value is None:
        yield unknown(f"{key} is templated or not a boolean", s.location, *evidence_of(s))
    elif value:
        yield fail(
            f"{key}=true: deprecated SASL encryption",
            s.location,
            *evidence_of(s),
            fix=Fix(FixAction.UNSET, key, path=s.location.path),
        )
    else:
        yield passed(f"{key}=false", s.location)


@rule(
    id="SPARK-015",
    slug="spark-sasl-server-not-always-encrypt",
    title="SASL is still in use but the server accepts unencrypted SASL connections",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="When authentication may go over SASL (AES network crypto off, or saslFallback "
    "on), spark.network.sasl.serverAlwaysEncrypt=false lets clients connect without "
    "encryption.",
    remediation="Prefer AES network crypto with saslFallback=false; while SASL is used, set "
    "spark.network.sasl.serverAlwaysEncrypt=true.",
    references=(SECURITY_DOC + "#sasl-encryption",),
)
def sasl_server_always_encrypt(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if app.flag("spark.authenticate", default=False) is not True or _rpc_tls(app):
        return
    crypto = app.flag("spark.network.crypto.enabled", default=False)
    fallback = app.flag("spark.network.crypto.saslFallback", default=True)
    if crypto is True and fallback is False:
        return
    key = "spark.network.sasl.serverAlwaysEncrypt"
    value = app.flag(key, default=False)
    where = app.where(key)
    if value is None or crypto is None or fallback is None:
        yield unknown(
            f"cannot tell whether SASL is used unencrypted ({key})",
            where,
            *evidence_of(app.get(key)),
        )
    elif value:
        yield passed(f"{key}=true", where)
    else:
        yield fail(
            f"SASL is in use and {key} is {'false' if app.get(key) else 'unset (default false)'}",
            where,
            *evidence_of(app.get(key)),
            fix=Fix(FixAction.SET, key, "true", where.path),
        )


# --- 02x local storage ---------------------------------------------------------------------


@rule(
    id="SPARK-020",
    slug="spark-local-storage-unencrypted",
    title="Spark local storage encryption (spark.io.encryption.enabled) is disabled",
    control="rest.spark-local",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="Shuffle files, spills and cached blocks are written to local disks in clear "
    "text unless spark.io.encryption.enabled=true.",
    remediation="Set spark.io.encryption.enabled=true and spark.io.encryption.keySizeBits=256.",
    references=(SECURITY_DOC + "#local-storage-encryption",),
)
def local_storage_unencrypted(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    yield from require_true(app, "spark.io.encryption.enabled", "local storage encryption")


@rule(
    id="SPARK-021",
    slug="spark-local-storage-key-size",
    title="Spark local storage encryption uses a key shorter than 256 bits",
    control="rest.spark-local",
    severity=Severity.LOW,
    target=SparkApp,
    applies=runs_applications,
    rationale="spark.io.encryption.keySizeBits defaults to 128; 256-bit AES keys give the "
    "margin the rest of the stack (HDFS, KMS) is configured for. Valid sizes: 128, 192, 256.",
    remediation="Set spark.io.encryption.keySizeBits=256.",
    references=(SECURITY_DOC + "#local-storage-encryption",),
)
def local_storage_key_size(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if app.flag("spark.io.encryption.enabled", default=False) is not True:
        return
    key = "spark.io.encryption.keySizeBits"
    s = app.get(key)
    where = app.where(key)
    if (doubt := undecided(app, key)) is not None:
        yield doubt
    elif s is not None and s.value.strip() == "256":
        yield passed(f"{key}=256", where)
    else:
        state = "unset (default 128)" if s is None else "below 256 or invalid"
        yield fail(
            f"{key} is {state}",
            where,
            *evidence_of(s),
            fix=Fix(FixAction.SET, key, "256", where.path),
        )
