"""Spark rules for TLS on the web UI, history server and standalone UIs: controls
spark.ui-tls, transit.tls.protocol, transit.tls.cipher and keys.tls-material (keystore type,
literal keystore passwords) (SPARK-030..038).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from triplock.booleans import Dialect, flag_of
from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules._hadoop_common import credential_store_step
from triplock.rules._spark_common import (
    CREDENTIAL_PROVIDER_DOC,
    SECURITY_DOC,
    SSL_PASSWORD,
    has_history,
    runs_applications,
    secrets_written,
    standalone,
    ui_enabled,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown

SSL_NAMESPACES = {"ui": "web UI", "historyServer": "history server", "standalone": "standalone UI"}
CREDENTIAL_PROVIDER_KEYS = (
    "spark.hadoop.hadoop.security.credential.provider.path",
    "hadoop.security.credential.provider.path",
)


@dataclass(frozen=True)
class _Ssl:
    """What Spark's SSLOptions.parse reads for spark.ssl.NS.PROP: spark.ssl.NS.PROP, else
    spark.ssl.PROP, but that only when spark.ssl.enabled=true (SecurityManager parses the
    spark.ssl defaults first, and they are empty unless enabled). spark.ssl.NS.enabled itself
    defaults to spark.ssl.enabled."""

    setting: Setting | None  # what Spark reads; None: unset, Spark's default applies
    ignored: Setting | None = None  # a spark.ssl.PROP that Spark does not read for NS
    decided: bool = True  # False: spark.ssl.enabled is templated or may be set unseen

    @property
    def where(self) -> Location | None:
        s = self.setting or self.ignored
        return s.location if s else None


def _ssl(app: SparkApp, ns: str, prop: str) -> _Ssl:
    own = app.get(_ssl_key(ns, prop))
    generic = app.get(f"spark.ssl.{prop}")
    if own is not None or generic is None or prop == "enabled":
        return _Ssl(own or generic)
    inherits = app.flag("spark.ssl.enabled", default=False)
    if inherits is None:
        return _Ssl(None, generic, decided=False)
    return _Ssl(generic) if inherits else _Ssl(None, generic)


def _ssl_key(ns: str, prop: str) -> str:
    return f"spark.ssl.{ns}.{prop}"


def _fix_key(app: SparkApp, ns: str, prop: str, value: _Ssl) -> str:
    """Where a fix sets PROP for NS so that Spark reads it: the key read now, spark.ssl.PROP
    while spark.ssl.enabled=true, else the namespace's own key."""
    if value.setting is not None:
        return value.setting.key
    if app.flag("spark.ssl.enabled", default=False):
        return f"spark.ssl.{prop}"
    return _ssl_key(ns, prop)


def _not_read(value: _Ssl) -> str:
    """The note that a spark.ssl.PROP is present but not read for this namespace."""
    if value.ignored is None:
        return ""
    return f" ({value.ignored.key} is not read there: spark.ssl.enabled is not true)"


def _namespaces(app: SparkApp) -> list[str]:
    """The TLS namespaces that serve something in this deployment."""
    out = []
    if ui_enabled(app):
        out.append("ui")
    if has_history(app):
        out.append("historyServer")
    if standalone(app):
        out.append("standalone")
    return out


def _tls_on(app: SparkApp) -> list[str]:
    return [
        ns
        for ns in _namespaces(app)
        if flag_of(_ssl(app, ns, "enabled").setting, False, Dialect.SPARK) is True
    ]


def _tls_settings(app: SparkApp, prop: str) -> Iterator[tuple[str, str, _Ssl, Location]]:
    """For each namespace with TLS on: the namespace, its label, what Spark reads for its
    spark.ssl[.NS].`prop` and where that is."""
    for ns in _tls_on(app):
        value = _ssl(app, ns, prop)
        yield ns, SSL_NAMESPACES[ns], value, value.where or app.origin


def _undecided(label: str, prop: str, value: _Ssl, where: Location) -> Outcome:
    return unknown(
        f"cannot tell whether the {label} reads spark.ssl.{prop}: Spark inherits it only when "
        "spark.ssl.enabled=true, which is templated or may be set in an unread input",
        where,
        *evidence_of(value.ignored),
    )


def _tls_enabled(app: SparkApp, ns: str) -> Iterator[Outcome]:
    label = SSL_NAMESPACES[ns]
    s = _ssl(app, ns, "enabled").setting
    value = flag_of(s, False, Dialect.SPARK, app.partial)
    where = s.location if s else app.origin
    key = _ssl_key(ns, "enabled")
    if value is None:
        yield unknown(
            f"cannot tell whether TLS is on for the {label} ({key})", where, *evidence_of(s)
        )
    elif value:
        yield passed(f"the {label} serves HTTPS ({s.key if s else key}=true)", where)
    else:
        state = f"{s.key}=false" if s else f"{key} and spark.ssl.enabled are unset"
        yield fail(
            f"the {label} serves plain HTTP: {state}",
            where,
            *evidence_of(s),
            fix=Fix(FixAction.SET, key, "true", where.path),
        )


_TLS_RATIONALE = (
    " Its pages show the environment, logs and job details, and with ACLs the login; without "
    "TLS they and any session cookie cross the network in clear text. spark.ssl.NS.enabled "
    "defaults to spark.ssl.enabled; the other spark.ssl.NS.* settings fall back to "
    "spark.ssl.* only when spark.ssl.enabled=true."
)


@rule(
    id="SPARK-030",
    slug="spark-ui-no-tls",
    title="The Spark web UI is served without TLS",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="The driver UI (port 4040) is on unless spark.ui.enabled=false." + _TLS_RATIONALE,
    remediation="Set spark.ssl.ui.enabled=true (or spark.ssl.enabled=true) with "
    "spark.ssl.protocol, a PKCS12 keystore and passwords from a credential provider.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def ui_tls(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not ui_enabled(app):
        yield passed(
            "the web UI is disabled (spark.ui.enabled=false)", app.where("spark.ui.enabled")
        )
        return
    yield from _tls_enabled(app, "ui")


@rule(
    id="SPARK-031",
    slug="spark-history-server-no-tls",
    title="The Spark history server is served without TLS",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="The history server (port 18080) shows every finished application's "
    "environment and logs; judged only where spark.history.* settings appear." + _TLS_RATIONALE,
    remediation="Set spark.ssl.historyServer.enabled=true with its protocol and keystore.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def history_tls(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if has_history(app):
        yield from _tls_enabled(app, "historyServer")


@rule(
    id="SPARK-032",
    slug="spark-standalone-no-tls",
    title="The Spark standalone master/worker UIs are served without TLS",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="Standalone master and worker UIs (8080/8081) list applications and workers; "
    "judged only for a spark:// master or spark.master.*/spark.worker.* settings." + _TLS_RATIONALE,
    remediation="Set spark.ssl.standalone.enabled=true with its protocol and keystore.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def standalone_tls(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if standalone(app):
        yield from _tls_enabled(app, "standalone")


@rule(
    id="SPARK-033",
    slug="spark-ui-tls-no-client-auth",
    title="Spark TLS endpoints do not require client certificates (needClientAuth)",
    control="spark.ui-tls",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="spark.ssl[.NS].needClientAuth=true makes the UI accept only clients with a "
    "certificate the truststore trusts: a strong second factor where users have certificates.",
    remediation="Where feasible set spark.ssl.NS.needClientAuth=true with a trustStore.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def tls_client_auth(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    for ns, label, v, where in _tls_settings(app, "needClientAuth"):
        s = v.setting
        value = flag_of(s, False, Dialect.SPARK)
        if not v.decided:
            yield _undecided(label, "needClientAuth", v, where)
        elif value is None:
            yield unknown(f"cannot read needClientAuth for the {label}", where, *evidence_of(s))
        elif value:
            yield passed(f"the {label} requires client certificates", where)
        else:
            yield fail(
                f"the {label} accepts clients without a certificate" + _not_read(v),
                where,
                *evidence_of(s),
                fix=Fix(FixAction.SET, _fix_key(app, ns, "needClientAuth", v), "true", where.path),
            )


# SSL Labs asks at least 6 months of HSTS for A+.
HSTS_MIN_SECONDS = 15_768_000
_HSTS_MAX_AGE = re.compile(r"(?i)max-age\s*=\s*\"?(\d+)")


@rule(
    id="SPARK-034",
    slug="spark-ui-no-hsts",
    title="The Spark web UI over TLS sends no Strict-Transport-Security header",
    control="spark.ui-tls",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="Without spark.ui.strictTransportSecurity browsers may still be led to the "
    "plain-HTTP port (SSL stripping).",
    remediation="Set spark.ui.strictTransportSecurity=max-age=31536000.",
    references=(SECURITY_DOC + "#http-security-headers",),
)
def ui_hsts(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if "ui" not in _tls_on(app):
        return
    key = "spark.ui.strictTransportSecurity"
    s = app.get(key)
    max_age = _HSTS_MAX_AGE.search(s.value) if s is not None else None
    if s is not None and s.templated:
        yield unknown(f"{key} is templated", s.location, *evidence_of(s))
    elif s is not None and max_age is not None and int(max_age[1]) >= HSTS_MIN_SECONDS:
        yield passed(f"{key} is set", s.location, *evidence_of(s))
    elif s is not None and s.value.strip():
        yield fail(
            f"{key} has no max-age of at least 6 months: browsers forget HTTPS-only too soon",
            s.location,
            *evidence_of(s),
            fix=Fix(FixAction.SET, key, "max-age=31536000", s.location.path),
        )
    elif s is None and app.partial:
        yield unknown(f"{key} may be set in an input that was not read", app.origin)
    else:
        yield fail(
            f"{key} is unset: no HSTS header",
            app.where(key),
            fix=Fix(FixAction.SET, key, "max-age=31536000", app.where(key).path),
        )


_GOOD_PROTOCOLS = {"TLSV1.2", "TLSV1.3"}


@rule(
    id="SPARK-035",
    slug="spark-tls-protocol",
    title="A Spark TLS endpoint has no protocol or an outdated one (spark.ssl.protocol)",
    control="transit.tls.protocol",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="Spark requires spark.ssl.protocol when TLS is on; SSLv3, TLSv1 and TLSv1.1 are "
    "broken or deprecated (RFC 8996), and the generic TLS lets the JRE choose.",
    remediation="Set spark.ssl.protocol=TLSv1.3 (or TLSv1.2 for old clients).",
    references=(SECURITY_DOC + "#ssl-configuration", "https://www.rfc-editor.org/rfc/rfc8996"),
)
def tls_protocol(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    for ns, label, v, where in _tls_settings(app, "protocol"):
        s = v.setting
        fix = Fix(FixAction.SET, _fix_key(app, ns, "protocol", v), "TLSv1.3", where.path)
        if not v.decided:
            yield _undecided(label, "protocol", v, where)
        elif s is None:
            yield fail(f"the {label} has TLS on without a protocol" + _not_read(v), where, fix=fix)
        elif s.templated:
            yield unknown(f"the {label}'s TLS protocol is templated", where, *evidence_of(s))
        elif s.value.strip().upper() in _GOOD_PROTOCOLS:
            yield passed(f"the {label} uses a current TLS protocol", where, *evidence_of(s))
        else:
            generic = s.value.strip().upper() == "TLS"
            yield fail(
                f"the {label} uses "
                + (
                    "the generic TLS (the JRE picks the versions)"
                    if generic
                    else "an outdated protocol"
                ),
                where,
                *evidence_of(s),
                fix=fix,
                severity=Severity.LOW if generic else None,
            )


def _weak_suite(suite: str) -> bool:
    """Not an AEAD suite with forward secrecy (TLS 1.3 suites always have both)."""
    name = suite.strip().upper()
    if name in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"):
        return False
    aead = any(m in name for m in ("_GCM_", "CHACHA20_POLY1305", "_CCM"))
    forward_secret = "_ECDHE_" in name or "_DHE_" in name
    return not (aead and forward_secret) or any(
        w in name for w in ("NULL", "ANON", "EXPORT", "RC4", "DES", "MD5")
    )


@rule(
    id="SPARK-036",
    slug="spark-tls-cipher-suites",
    title="A Spark TLS endpoint allows weak or unspecified cipher suites (enabledAlgorithms)",
    control="transit.tls.cipher",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="Without spark.ssl.enabledAlgorithms the JRE default list applies, which on JDK "
    "17 still enables CBC suites (low). Listed suites should be AEAD (GCM, ChaCha20-Poly1305) "
    "with ECDHE/DHE key exchange (medium when not).",
    remediation="Set spark.ssl.enabledAlgorithms=TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256,"
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def tls_cipher_suites(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    for ns, label, v, where in _tls_settings(app, "enabledAlgorithms"):
        s = v.setting
        if not v.decided:
            yield _undecided(label, "enabledAlgorithms", v, where)
        elif s is None:
            yield fail(
                f"the {label} uses the JRE's default cipher suites (CBC suites included)"
                + _not_read(v),
                where,
                fix=Fix(
                    FixAction.SET,
                    _fix_key(app, ns, "enabledAlgorithms", v),
                    "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256,"
                    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    where.path,
                ),
                severity=Severity.LOW,
            )
        elif s.templated:
            yield unknown(f"the {label}'s cipher suites are templated", where, *evidence_of(s))
        else:
            weak = [x.strip() for x in s.value.split(",") if x.strip() and _weak_suite(x)]
            if weak:
                yield fail(
                    f"the {label} enables {len(weak)} cipher suite(s) without AEAD or forward "
                    "secrecy",
                    where,
                    *(Evidence.of(s.key, w) for w in weak),
                )
            else:
                yield passed(f"the {label} enables only AEAD suites with forward secrecy", where)


_NOT_JKS = ("PKCS12", "PKCS11", "BCFKS")
_FORMAT_BY_SUFFIX = {".jks": "JKS", ".p12": "PKCS12", ".pfx": "PKCS12", ".bcfks": "BCFKS"}


def _named_format(store: Setting | None) -> str | None:
    """The keystore format its file name states (keystore.jks: JKS), None when it says none."""
    if store is None or store.templated:
        return None
    name = store.value.strip().lower()
    return next((f for suffix, f in _FORMAT_BY_SUFFIX.items() if name.endswith(suffix)), None)


def _keystore_type_fix(
    app: SparkApp, ns: str, v: _Ssl, store: Setting | None, where: Location
) -> Fix:
    """Set the type while no keystore is named yet; else the conversion, a manual step, since
    a type does not change the file's format."""
    key = _fix_key(app, ns, "keyStoreType", v)
    if store is None:
        return Fix(FixAction.SET, key, "PKCS12", where.path)
    target = re.sub(r"(?i)(\.jks)?$", ".p12", store.value.strip(), count=1)
    return Fix(
        FixAction.MANUAL,
        f"convert the keystore to PKCS12 (keytool -importkeystore -srckeystore {store.value} "
        f"-destkeystore {target} -deststoretype PKCS12), then set {store.key}={target} and "
        f"{key}=PKCS12",
        path=where.path,
    )


@rule(
    id="SPARK-037",
    slug="spark-tls-keystore-jks",
    title="A Spark TLS keystore uses the legacy JKS format",
    control="keys.tls-material",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="JKS is a proprietary format with weak integrity protection of the key entries; "
    "PKCS12 is the JDK default since 9 and interoperable. The JDK loads either format whatever "
    "spark.ssl.keyStoreType says, so the type does not convert a file: a keystore named .jks "
    "fails even beside keyStoreType=PKCS12. Without a telling file name, an unset or JKS type "
    "fails.",
    remediation="Convert with keytool -importkeystore -deststoretype PKCS12, point "
    "spark.ssl[.NS].keyStore at the new file and set spark.ssl[.NS].keyStoreType=PKCS12.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def tls_keystore_type(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    for ns, label, v, where in _tls_settings(app, "keyStoreType"):
        s = v.setting
        store = _ssl(app, ns, "keyStore").setting
        named = _named_format(store)
        if not v.decided:
            yield _undecided(label, "keyStoreType", v, where)
        elif s is not None and s.templated:
            yield unknown(f"the {label}'s keystore type is templated", where, *evidence_of(s))
        elif named == "JKS" and store is not None:
            yield fail(
                f"the {label}'s keystore file is JKS by its name"
                + (f" ({s.key}={s.value} does not convert it)" if s and s.value != "JKS" else ""),
                store.location,
                *evidence_of(store),
                fix=_keystore_type_fix(app, ns, v, store, store.location),
            )
        elif (s is not None and s.value.strip().upper() in _NOT_JKS) or named in _NOT_JKS:
            yield passed(f"the {label}'s keystore is not JKS", where, *evidence_of(s))
        elif s is None and app.partial:
            yield unknown(f"the {label}'s keystore type may be set in an unread input", where)
        else:
            yield fail(
                f"the {label}'s keystore may be JKS: "
                + (f"{s.key}={s.value}" if s else "spark.ssl.keyStoreType is unset")
                + _not_read(v),
                where,
                *evidence_of(s),
                fix=_keystore_type_fix(app, ns, v, store, where),
            )


@rule(
    id="SPARK-038",
    slug="spark-tls-password-literal",
    title="A Spark keystore or truststore password is written literally",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="spark.ssl[.NS].keyStorePassword, keyPassword and trustStorePassword in a conf "
    "file are readable by whoever reads it, on a command line by every local user (critical). "
    "Spark reads them from a Hadoop credential provider "
    "(hadoop.security.credential.provider.path) when they are not set.",
    remediation="Store the passwords in a JCEKS/BCFKS credential provider (hadoop credential "
    "create spark.ssl.keyStorePassword -provider jceks://file/...), mount it from a Secret and "
    "set spark.hadoop.hadoop.security.credential.provider.path.",
    references=(SECURITY_DOC + "#ssl-configuration", CREDENTIAL_PROVIDER_DOC),
)
def tls_password_literal(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    literal = [s for s in app.assignments() if SSL_PASSWORD.match(s.key)]
    yield from secrets_written(
        literal, lambda s: credential_store_step(s.key, s.location.path, spark=True)
    )
    if literal or not _tls_on(app):
        return
    provider = next((app.get(k) for k in CREDENTIAL_PROVIDER_KEYS if app.get(k)), None)
    if provider is not None:
        yield passed(
            "TLS passwords come from a credential provider",
            provider.location,
            *evidence_of(provider),
        )
    else:
        yield passed("no literal TLS password in the Spark configuration", app.origin)
