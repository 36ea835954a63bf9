"""Spark rules: authentication, RPC and local-storage encryption, UI TLS, access control,
Kerberos and Kubernetes settings (../shared/reference/config-keys.md, Spark table).

Ids are grouped by control: 00x authentication and secrets, 01x RPC encryption, 02x local
storage, 03x web UI TLS, 04x UI/REST access control, 05x redaction, 06x Kerberos, 07x Kubernetes.

Severities: a literal secret on a command line or in a pod spec is critical (any local user or
namespace reader sees it), in a conf file high; a switched-off protection that leaves a service
open to the network (no RPC authentication or encryption, a REST server without filters) is high
or critical; weaker-than-best settings that still protect (CTR instead of GCM, 128-bit keys, a
missing HSTS header) are medium or low.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.redact import is_sensitive_key, looks_secret
from triplock.rules._spark_version import SparkVersion, spark_version
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

SECURITY_DOC = "https://spark.apache.org/docs/latest/security.html"
K8S_DOC = "https://spark.apache.org/docs/latest/running-on-kubernetes.html"
CONFIG_DOC = "https://spark.apache.org/docs/latest/configuration.html"
CVE_2025_55039 = "https://www.cve.org/CVERecord?id=CVE-2025-55039"

DEFAULT_REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key"
GCM = "AES/GCM/NoPadding"
CTR = "AES/CTR/NoPadding"
SSL_NAMESPACES = {"ui": "web UI", "historyServer": "history server", "standalone": "standalone UI"}
CREDENTIAL_PROVIDER_KEYS = (
    "spark.hadoop.hadoop.security.credential.provider.path",
    "hadoop.security.credential.provider.path",
)
ACL_KEYS = (
    "spark.admin.acls",
    "spark.admin.acls.groups",
    "spark.modify.acls",
    "spark.modify.acls.groups",
    "spark.ui.view.acls",
    "spark.ui.view.acls.groups",
    "spark.history.ui.admin.acls",
    "spark.history.ui.admin.acls.groups",
)
AUTH_SECRET = "spark.authenticate.secret"
SSL_PASSWORD = re.compile(
    r"^spark\.ssl\.(?:\w+\.)?(keyStorePassword|keyPassword|trustStorePassword)$"
)
OAUTH_TOKEN = re.compile(r"^spark\.kubernetes\.authenticate\.[\w.]*oauthToken$")
DRIVER_ENV = "spark.kubernetes.driverEnv."
EXECUTOR_ENV = "spark.executorEnv."
SECRET_VOLUME = re.compile(r"^spark\.kubernetes\.(driver|executor)\.secrets\.")
SECRET_KEY_REF = re.compile(r"^spark\.kubernetes\.(driver|executor)\.secretKeyRef\.")
# Keys whose value names a file, a switch or a size, never the secret itself.
_NOT_A_SECRET_KEY = re.compile(
    r"(?i)(file|path|dir|enabled|enable|regex|name|bits|size|algorithm|provider|type|version|"
    r"fallback|encryption)$|\.secretKeyRef\.|\.secrets\."
)
# Switches, URLs without credentials and absolute paths: what a secret-named key holds when it
# points at the secret instead of holding it.
_NON_SECRET_VALUE = re.compile(r"(?i)^(true|false|none|[\w.+-]*://[^@\s]*|/\S*)$")
_STRUCTURED_VALUE = re.compile(r"[,|()\[\]\s;]")
_DOTTED_NAME = re.compile(r"(?!eyJ)[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)+")
# A secure file system URI's scheme and authority, without any user:password@ part.
_SECURE_FS = re.compile(r"\b(hdfs|webhdfs|swebhdfs|viewfs)://(?:[^/@\s,]*@)?([^/@\s,]+)")
_FS_LIST_KEY = "spark.kerberos.access.hadoopFileSystems"


# --- helpers ---------------------------------------------------------------------------------


def _bool(setting: Setting | None, default: bool, partial: bool = False) -> bool | None:
    if setting is None:
        return None if partial else default
    if setting.templated:
        return None
    value = setting.value.strip().lower()
    return True if value == "true" else False if value == "false" else None


def _evidence(*settings: Setting | None) -> tuple[Evidence, ...]:
    return tuple(Evidence.of(s.key, s.value) for s in settings if s is not None)


def _exposure(setting: Setting) -> Severity:
    return Severity.CRITICAL if setting.exposed else Severity.HIGH


def _exposed_where(setting: Setting) -> str:
    if setting.exposed:
        return "on a command line or in a pod spec (visible in the process list and to pod readers)"
    return "in a configuration file"


def _secret_value(value: str) -> bool:
    """A value that is a secret whatever its key. Stricter than redact.looks_secret, which
    masks generously: lists, patterns and class names are long and random-looking too."""
    return looks_secret(value) and not (
        _STRUCTURED_VALUE.search(value) or _DOTTED_NAME.fullmatch(value)
    )


@functools.lru_cache(maxsize=4096)
def _could_be_secret(setting: Setting) -> bool:
    """A setting that holds a secret value: by its key (not a file/switch key) or its value.
    Cached: several rules ask about the same settings, and value checks are the hot path."""
    value = setting.value.strip()
    if not value or (setting.templated and not setting.exposed):
        return False
    if _secret_value(value):
        return True
    if _NON_SECRET_VALUE.match(value):
        return False
    return is_sensitive_key(setting.key) and not _NOT_A_SECRET_KEY.search(setting.key)


def _version(app: SparkApp, ctx: Context) -> SparkVersion | None:
    return spark_version(app, ctx.spark_version)


def _kubernetes(app: SparkApp) -> bool:
    """On Kubernetes: a k8s:// master, a SparkApplication, or spark.kubernetes.* settings in a
    defaults file whose master is given elsewhere (on the spark-submit command line)."""
    if app.on_kubernetes:
        return True
    master = app.get("spark.master")
    if master is not None and not master.templated:
        return False
    return _has_prefix(app, "spark.kubernetes.")


def _ssl(app: SparkApp, ns: str, prop: str) -> Setting | None:
    """A spark.ssl.NS.PROP setting, inheriting spark.ssl.PROP as Spark does."""
    return app.get(f"spark.ssl.{ns}.{prop}") or app.get(f"spark.ssl.{prop}")


def _ssl_key(ns: str, prop: str) -> str:
    return f"spark.ssl.{ns}.{prop}"


def _ssl_where(app: SparkApp, ns: str, prop: str) -> Location:
    s = _ssl(app, ns, prop)
    return s.location if s else app.origin


def _has_prefix(app: SparkApp, *prefixes: str) -> bool:
    return any(key.startswith(prefixes) for key in app.settings)


def _ui_enabled(app: SparkApp) -> bool:
    return app.flag("spark.ui.enabled", default=True) is not False


def _has_history(app: SparkApp) -> bool:
    return _has_prefix(app, "spark.history.", "spark.ssl.historyServer.")


def _standalone(app: SparkApp) -> bool:
    master = app.master or ""
    return master.startswith("spark://") or _has_prefix(
        app, "spark.ssl.standalone.", "spark.master.", "spark.worker.", "spark.deploy."
    )


def _namespaces(app: SparkApp) -> list[str]:
    """The TLS namespaces that serve something in this deployment."""
    out = []
    if _ui_enabled(app):
        out.append("ui")
    if _has_history(app):
        out.append("historyServer")
    if _standalone(app):
        out.append("standalone")
    return out


def _tls_on(app: SparkApp) -> list[str]:
    return [ns for ns in _namespaces(app) if _bool(_ssl(app, ns, "enabled"), False) is True]


def _require_true(app: SparkApp, key: str, what: str) -> Iterator[Outcome]:
    """The common shape: a boolean that must be true (default false)."""
    value = app.flag(key, default=False)
    setting = app.get(key)
    if value is None:
        yield unknown(
            f"{key} is templated, not a boolean or may be set in an unread input; cannot tell "
            f"whether {what} is on",
            app.where(key),
            *_evidence(setting),
        )
    elif value:
        yield passed(f"{what}: {key}=true", app.where(key))
    else:
        state = "false" if setting else "unset (default false)"
        yield fail(
            f"{key} is {state}: {what} is off",
            app.where(key),
            *_evidence(setting),
            fix=Fix(FixAction.SET, key, "true", app.where(key).path),
        )


def _rpc_tls(app: SparkApp) -> bool:
    return app.flag("spark.ssl.rpc.enabled", default=False) is True


def _aes_rpc(app: SparkApp) -> bool:
    """Spark's AES RPC encryption is what protects RPC (not TLS RPC, which takes precedence)."""
    return app.flag("spark.network.crypto.enabled", default=False) is True and not _rpc_tls(app)


# --- 00x authentication and secrets --------------------------------------------------------


@rule(
    id="SPARK-001",
    slug="spark-authenticate-off",
    title="Spark RPC authentication (spark.authenticate) is disabled",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="Without spark.authenticate any host that reaches the driver, executors or "
    "shuffle service can submit work, read blocks and impersonate executors; it is also the "
    "prerequisite of Spark's AES-based RPC encryption.",
    remediation="Set spark.authenticate=true (on Kubernetes also set "
    "spark.authenticate.secret.driver.file and .executor.file, mounted from a Secret).",
    references=(SECURITY_DOC + "#authentication",),
)
def authenticate_off(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    yield from _require_true(app, "spark.authenticate", "RPC authentication")


@rule(
    id="SPARK-002",
    slug="spark-auth-secret-literal",
    title="The Spark authentication secret is written literally in configuration",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="A literal spark.authenticate.secret is readable by whoever reads the file; on a "
    "command line or in a pod spec (exposed) by every local user (ps) or namespace reader, which "
    "makes it critical whatever its value, even a $VARIABLE the shell expands. On Kubernetes "
    "spark-submit also copies the configuration into the driver's ConfigMap.",
    remediation="Remove spark.authenticate.secret; let Spark generate a secret per application "
    "(YARN, Kubernetes) or use spark.authenticate.secret.driver.file and .executor.file pointing "
    "at files mounted from a Kubernetes Secret.",
    references=(SECURITY_DOC + "#authentication",),
)
def auth_secret_literal(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    s = app.get(AUTH_SECRET)
    if s is None:
        yield passed(f"no literal {AUTH_SECRET}", app.origin)
    elif s.templated and not s.exposed:
        yield unknown(
            f"{AUTH_SECRET} is a reference whose value is unknown here", s.location, *_evidence(s)
        )
    else:
        yield fail(
            f"{AUTH_SECRET} is set {_exposed_where(s)}",
            s.location,
            *_evidence(s),
            fix=Fix(
                FixAction.MANUAL,
                f"remove {AUTH_SECRET} and set spark.authenticate.secret.driver.file and "
                "spark.authenticate.secret.executor.file to files mounted from a Secret",
                path=s.location.path,
            ),
            severity=_exposure(s),
        )


@rule(
    id="SPARK-003",
    slug="spark-k8s-auth-secret-in-pod-env",
    title="On Kubernetes the Spark auth secret reaches executor pods as a literal env var",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="With a k8s:// master and spark.authenticate=true, Spark adds the secret to every "
    "executor pod spec as the literal environment variable _SPARK_AUTH_SECRET unless "
    "spark.authenticate.secret.executor.file (or .secret.file) is set: anyone who can get or "
    "list pods in the namespace reads it. The secret files exist since Spark 3.0; Spark does "
    "not mount them itself.",
    remediation="Create a Kubernetes Secret holding the auth secret, mount it with "
    "spark.kubernetes.driver.secrets.NAME and spark.kubernetes.executor.secrets.NAME, and set "
    "spark.authenticate.secret.driver.file and spark.authenticate.secret.executor.file to it.",
    references=(SECURITY_DOC + "#kubernetes", K8S_DOC + "#secret-management"),
)
def k8s_auth_secret_env(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kubernetes(app) or app.flag("spark.authenticate", default=False) is False:
        return
    auth = app.get("spark.authenticate")
    if app.flag("spark.authenticate", default=False) is None:
        yield unknown(
            "cannot tell whether spark.authenticate is on",
            app.where("spark.authenticate"),
            *_evidence(auth),
        )
        return
    executor = app.get("spark.authenticate.secret.executor.file") or app.get(
        "spark.authenticate.secret.file"
    )
    driver = app.get("spark.authenticate.secret.driver.file") or app.get(
        "spark.authenticate.secret.file"
    )
    if executor is not None and driver is not None:
        yield passed(
            "the auth secret is read from files by driver and executors (no _SPARK_AUTH_SECRET)",
            executor.location,
        )
        return
    if executor is None and app.partial:
        yield unknown(
            "spark.authenticate.secret.executor.file may be set in an input that was not read",
            app.where("spark.authenticate"),
        )
        return
    version = _version(app, ctx)
    upgrade = (
        f" (Spark {version} predates the secret files: upgrade to 3.0 or later)"
        if version and not version.at_least(3, 0)
        else ""
    )
    if executor is None:
        message = (
            "spark.authenticate=true on Kubernetes without spark.authenticate.secret.executor.file:"
            " Spark puts the secret into every executor pod spec as _SPARK_AUTH_SECRET" + upgrade
        )
        missing = "spark.authenticate.secret.executor.file"
    else:
        message = (
            "spark.authenticate.secret.executor.file is set without .driver.file: Spark refuses "
            "to start (secret files must be given for both)" + upgrade
        )
        missing = "spark.authenticate.secret.driver.file"
    yield fail(
        message,
        app.where("spark.authenticate"),
        *_evidence(auth),
        fix=Fix(FixAction.SET, missing, "/mnt/secrets/spark-auth/secret", app.origin.path),
    )


def _literal_secrets(app: SparkApp) -> Iterator[Setting]:
    """Settings holding a secret that no more specific rule judges."""
    k8s = _kubernetes(app)
    for s in app.settings.values():
        key = s.key
        if (
            key == AUTH_SECRET
            or SSL_PASSWORD.match(key)
            or OAUTH_TOKEN.match(key)
            or key.startswith(DRIVER_ENV)
            or (k8s and key.startswith(EXECUTOR_ENV))
        ):
            continue
        if _could_be_secret(s):
            yield s


@rule(
    id="SPARK-004",
    slug="spark-literal-secret-setting",
    title="A Spark setting holds a literal secret (S3 keys, filter secrets, passwords)",
    control="keys.management",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="Secrets in Spark settings (spark.hadoop.fs.s3a.secret.key, a UI filter's "
    "secretKey parameter, a metastore password, an API key in spark.executorEnv) are readable "
    "by whoever reads the file, and by every local user when passed with --conf. Keys are found "
    "by name and by value (known token formats, long random strings).",
    remediation="Move the secret into a Hadoop credential provider "
    "(spark.hadoop.hadoop.security.credential.provider.path), a file mounted from a Kubernetes "
    "Secret, or the cloud's workload identity.",
    references=(
        SECURITY_DOC,
        "https://hadoop.apache.org/docs/stable/hadoop-project-dist/"
        "hadoop-common/CredentialProviderAPI.html",
    ),
)
def literal_secret_setting(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    found = False
    for s in _literal_secrets(app):
        found = True
        yield fail(
            f"{s.key} holds a secret {_exposed_where(s)}",
            s.location,
            *_evidence(s),
            fix=Fix(
                FixAction.MANUAL,
                f"move {s.key} into a credential provider or a mounted Secret file",
                path=s.location.path,
            ),
            severity=_exposure(s),
        )
    if not found:
        yield passed("no other Spark setting holds a literal secret", app.origin)


@rule(
    id="SPARK-005",
    slug="spark-k8s-oauth-token-literal",
    title="A Kubernetes API OAuth token is written literally in Spark configuration",
    control="keys.management",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="spark.kubernetes.authenticate.*.oauthToken is a bearer token for the Kubernetes "
    "API: whoever reads it acts as that identity (creating pods, reading Secrets). The "
    "*.oauthTokenFile variants read it from a file instead.",
    remediation="Use spark.kubernetes.authenticate.submission.oauthTokenFile / "
    "driver.oauthTokenFile (or driver.mounted.oauthTokenFile) pointing at a mounted Secret, or "
    "the pod's service account.",
    references=(K8S_DOC + "#spark-properties",),
)
def oauth_token_literal(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    tokens = [s for k, s in app.settings.items() if OAUTH_TOKEN.match(k)]
    for s in tokens:
        if s.templated and not s.exposed:
            yield unknown(
                f"{s.key} is a reference whose value is unknown here", s.location, *_evidence(s)
            )
        else:
            yield fail(
                f"{s.key} is set {_exposed_where(s)}",
                s.location,
                *_evidence(s),
                fix=Fix(FixAction.REPLACE, s.key, f"{s.key}File", s.location.path),
                severity=_exposure(s),
            )
    if not tokens and _kubernetes(app):
        yield passed("no literal Kubernetes OAuth token", app.origin)


# --- 01x RPC encryption ----------------------------------------------------------------------


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
    version = _version(app, ctx)
    if tls:
        if version and not version.at_least(4, 0):
            yield fail(
                f"{tls_key}=true but Spark {version} has no TLS RPC (added in 4.0): RPC is "
                "unencrypted",
                app.where(tls_key),
                *_evidence(app.get(tls_key)),
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
                *_evidence(app.get("spark.authenticate")),
            )
        else:
            yield fail(
                f"{crypto_key}=true has no effect without spark.authenticate=true: RPC is "
                "unencrypted",
                app.where(crypto_key),
                *_evidence(app.get(crypto_key), app.get("spark.authenticate")),
                fix=Fix(FixAction.SET, "spark.authenticate", "true", app.where(crypto_key).path),
            )
    elif crypto is None or tls is None:
        yield unknown(
            f"cannot tell whether {crypto_key} or {tls_key} is on",
            app.where(crypto_key),
            *_evidence(app.get(crypto_key), app.get(tls_key)),
        )
    else:
        note = ""
        if app.flag("spark.ssl.enabled", default=False):
            note = f" (spark.ssl.enabled=true does not cover RPC: {tls_key} is not inherited)"
        yield fail(
            f"RPC traffic is unencrypted: {crypto_key} and {tls_key} are off{note}",
            app.where(crypto_key),
            *_evidence(app.get(crypto_key), app.get(tls_key)),
            fix=Fix(FixAction.SET, crypto_key, "true", app.where(crypto_key).path),
        )


@rule(
    id="SPARK-011",
    slug="spark-rpc-cipher-ctr",
    title="Spark AES RPC encryption uses unauthenticated AES/CTR (or a GCM with a known bug)",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
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
        yield unknown(f"{key} is templated", where, *_evidence(s))
        return
    cipher = s.value.strip().upper() if s else CTR.upper()
    v = _version(app, ctx)
    fix = Fix(FixAction.SET, key, GCM, where.path)
    if cipher == GCM.upper():
        if v and not _gcm_available(v):
            yield fail(
                f"{key}={GCM} is ignored by Spark {v.cited()} (added in 3.4.4, 3.5.2, "
                f"4.0.0): RPC uses {CTR}; upgrade to 3.5.9+ or 4.0.2+",
                where,
                *_evidence(s),
            )
        elif v and _gcm_drops_messages(v):
            yield fail(
                f"Spark {v.cited()} has the AES-GCM message-drop bug SPARK-56227: upgrade "
                "to 3.5.9+, 4.0.2+ or 4.1.1+, or use TLS RPC",
                where,
                *_evidence(s),
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
        yield fail(f"{key} is not a cipher Spark supports", where, *_evidence(s), fix=fix)
    elif v and not _gcm_available(v):
        yield fail(
            f"{state}, unauthenticated (CVE-2025-55039), and Spark {v.cited()} offers "
            f"nothing else: upgrade and use {_GCM_ADVICE}, or TLS RPC on 4.0+",
            where,
            *_evidence(s),
            fix=fix,
        )
    elif v and _gcm_drops_messages(v):
        yield fail(
            f"{state}, unauthenticated (CVE-2025-55039); GCM in Spark {v.cited()} can drop "
            f"messages (SPARK-56227): upgrade and use {_GCM_ADVICE}, or TLS RPC",
            where,
            *_evidence(s),
            fix=fix,
        )
    else:
        yield fail(
            f"{state}, unauthenticated (CVE-2025-55039): use {_GCM_ADVICE}",
            where,
            *_evidence(s),
            fix=fix,
        )


@rule(
    id="SPARK-012",
    slug="spark-rpc-auth-engine-v1",
    title="Spark AES RPC key exchange uses authEngineVersion 1 (no HKDF)",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
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
    if s is not None and s.templated:
        yield unknown(f"{key} is templated", where, *_evidence(s))
    elif s is not None and s.value.strip() == "2":
        yield passed(f"{key}=2", where)
    elif s is None and app.partial:
        yield unknown(f"{key} may be set in an input that was not read", where)
    else:
        v = _version(app, ctx)
        old = v is not None and not v.at_least(4, 0)
        yield fail(
            f"{key} is {'1' if s is None else 'not 2'}: session keys are derived without HKDF"
            + (f"; Spark {v} predates version 2, upgrade to 4.0+" if old else ""),
            where,
            *_evidence(s),
            fix=None if old else Fix(FixAction.SET, key, "2", where.path),
            severity=Severity.LOW if old else None,
        )


@rule(
    id="SPARK-013",
    slug="spark-rpc-sasl-fallback",
    title="Spark AES RPC encryption may fall back to SASL (saslFallback=true)",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=SparkApp,
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
        yield unknown(f"cannot tell whether {key} is on", where, *_evidence(app.get(key)))
    elif value:
        yield fail(
            f"{key} is {'true' if app.get(key) else 'unset (default true)'}: peers may "
            "downgrade to SASL",
            where,
            *_evidence(app.get(key)),
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
    value = _bool(s, False)
    if value is None:
        yield unknown(f"{key} is templated or not a boolean", s.location, *_evidence(s))
    elif value:
        yield fail(
            f"{key}=true: deprecated SASL encryption",
            s.location,
            *_evidence(s),
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
            f"cannot tell whether SASL is used unencrypted ({key})", where, *_evidence(app.get(key))
        )
    elif value:
        yield passed(f"{key}=true", where)
    else:
        yield fail(
            f"SASL is in use and {key} is {'false' if app.get(key) else 'unset (default false)'}",
            where,
            *_evidence(app.get(key)),
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
    rationale="Shuffle files, spills and cached blocks are written to local disks in clear "
    "text unless spark.io.encryption.enabled=true.",
    remediation="Set spark.io.encryption.enabled=true and spark.io.encryption.keySizeBits=256.",
    references=(SECURITY_DOC + "#local-storage-encryption",),
)
def local_storage_unencrypted(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    yield from _require_true(app, "spark.io.encryption.enabled", "local storage encryption")


@rule(
    id="SPARK-021",
    slug="spark-local-storage-key-size",
    title="Spark local storage encryption uses a key shorter than 256 bits",
    control="rest.spark-local",
    severity=Severity.LOW,
    target=SparkApp,
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
    if s is not None and s.templated:
        yield unknown(f"{key} is templated", where, *_evidence(s))
    elif s is not None and s.value.strip() == "256":
        yield passed(f"{key}=256", where)
    elif s is None and app.partial:
        yield unknown(f"{key} may be set in an input that was not read", where)
    else:
        state = "unset (default 128)" if s is None else "below 256 or invalid"
        yield fail(
            f"{key} is {state}",
            where,
            *_evidence(s),
            fix=Fix(FixAction.SET, key, "256", where.path),
        )


# --- 03x web UI and history server TLS -------------------------------------------------------


def _tls_enabled(app: SparkApp, ns: str) -> Iterator[Outcome]:
    label = SSL_NAMESPACES[ns]
    s = _ssl(app, ns, "enabled")
    value = _bool(s, False, app.partial)
    where = _ssl_where(app, ns, "enabled")
    key = _ssl_key(ns, "enabled")
    if value is None:
        yield unknown(
            f"cannot tell whether TLS is on for the {label} ({key})", where, *_evidence(s)
        )
    elif value:
        yield passed(f"the {label} serves HTTPS ({s.key if s else key}=true)", where)
    else:
        state = f"{s.key}=false" if s else f"{key} and spark.ssl.enabled are unset"
        yield fail(
            f"the {label} serves plain HTTP: {state}",
            where,
            *_evidence(s),
            fix=Fix(FixAction.SET, key, "true", where.path),
        )


_TLS_RATIONALE = (
    " Its pages show the environment, logs and job details, and with ACLs the login; without "
    "TLS they and any session cookie cross the network in clear text. spark.ssl.NS.* settings "
    "inherit spark.ssl.*."
)


@rule(
    id="SPARK-030",
    slug="spark-ui-no-tls",
    title="The Spark web UI is served without TLS",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="The driver UI (port 4040) is on unless spark.ui.enabled=false." + _TLS_RATIONALE,
    remediation="Set spark.ssl.ui.enabled=true (or spark.ssl.enabled=true) with "
    "spark.ssl.protocol, a PKCS12 keystore and passwords from a credential provider.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def ui_tls(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _ui_enabled(app):
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
    if _has_history(app):
        yield from _tls_enabled(app, "historyServer")


@rule(
    id="SPARK-032",
    slug="spark-standalone-no-tls",
    title="The Spark standalone master/worker UIs are served without TLS",
    control="spark.ui-tls",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="Standalone master and worker UIs (8080/8081) list applications and workers; "
    "judged only for a spark:// master or spark.master.*/spark.worker.* settings." + _TLS_RATIONALE,
    remediation="Set spark.ssl.standalone.enabled=true with its protocol and keystore.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def standalone_tls(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if _standalone(app):
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
    for ns in _tls_on(app):
        s = _ssl(app, ns, "needClientAuth")
        value = _bool(s, False)
        where = _ssl_where(app, ns, "needClientAuth")
        if value is None:
            yield unknown(
                f"cannot read needClientAuth for the {SSL_NAMESPACES[ns]}", where, *_evidence(s)
            )
        elif value:
            yield passed(f"the {SSL_NAMESPACES[ns]} requires client certificates", where)
        else:
            yield fail(
                f"the {SSL_NAMESPACES[ns]} accepts clients without a certificate",
                where,
                *_evidence(s),
                fix=Fix(FixAction.SET, _ssl_key(ns, "needClientAuth"), "true", where.path),
            )


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
    if s is not None and s.value.strip():
        yield passed(f"{key} is set", s.location, *_evidence(s))
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
    for ns in _tls_on(app):
        label = SSL_NAMESPACES[ns]
        s = _ssl(app, ns, "protocol")
        where = _ssl_where(app, ns, "protocol")
        fix = Fix(
            FixAction.SET, "spark.ssl.protocol" if s is None else s.key, "TLSv1.3", where.path
        )
        if s is None:
            yield fail(f"the {label} has TLS on without spark.ssl.protocol", where, fix=fix)
        elif s.templated:
            yield unknown(f"the {label}'s TLS protocol is templated", where, *_evidence(s))
        elif s.value.strip().upper() in _GOOD_PROTOCOLS:
            yield passed(f"the {label} uses a current TLS protocol", where, *_evidence(s))
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
                *_evidence(s),
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
    for ns in _tls_on(app):
        label = SSL_NAMESPACES[ns]
        s = _ssl(app, ns, "enabledAlgorithms")
        where = _ssl_where(app, ns, "enabledAlgorithms")
        if s is None:
            yield fail(
                f"the {label} uses the JRE's default cipher suites (CBC suites included)",
                where,
                fix=Fix(
                    FixAction.SET,
                    "spark.ssl.enabledAlgorithms",
                    "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256,"
                    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    where.path,
                ),
                severity=Severity.LOW,
            )
        elif s.templated:
            yield unknown(f"the {label}'s cipher suites are templated", where, *_evidence(s))
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


@rule(
    id="SPARK-037",
    slug="spark-tls-keystore-jks",
    title="A Spark TLS keystore uses the legacy JKS format",
    control="keys.tls-material",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="spark.ssl.keyStoreType defaults to JKS, a proprietary format with weak integrity "
    "protection of the key entries; PKCS12 is the JDK default since 9 and interoperable.",
    remediation="Convert with keytool -importkeystore -deststoretype PKCS12 and set "
    "spark.ssl.keyStoreType=PKCS12.",
    references=(SECURITY_DOC + "#ssl-configuration",),
)
def tls_keystore_type(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    for ns in _tls_on(app):
        label = SSL_NAMESPACES[ns]
        s = _ssl(app, ns, "keyStoreType")
        where = _ssl_where(app, ns, "keyStoreType")
        if s is not None and s.templated:
            yield unknown(f"the {label}'s keystore type is templated", where, *_evidence(s))
        elif s is not None and s.value.strip().upper() in ("PKCS12", "PKCS11", "BCFKS"):
            yield passed(f"the {label}'s keystore is not JKS", where, *_evidence(s))
        elif s is None and app.partial:
            yield unknown(f"the {label}'s keystore type may be set in an unread input", where)
        else:
            yield fail(
                f"the {label}'s keystore is JKS" + ("" if s else " (the default)"),
                where,
                *_evidence(s),
                fix=Fix(
                    FixAction.SET,
                    "spark.ssl.keyStoreType" if s is None else s.key,
                    "PKCS12",
                    where.path,
                ),
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
    references=(
        SECURITY_DOC + "#ssl-configuration",
        "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/"
        "CredentialProviderAPI.html",
    ),
)
def tls_password_literal(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    literal = [s for k, s in app.settings.items() if SSL_PASSWORD.match(k)]
    for s in literal:
        if s.templated and not s.exposed:
            yield unknown(
                f"{s.key} is a reference whose value is unknown here", s.location, *_evidence(s)
            )
        else:
            yield fail(
                f"{s.key} is set {_exposed_where(s)}",
                s.location,
                *_evidence(s),
                fix=Fix(FixAction.UNSET, s.key, path=s.location.path),
                severity=_exposure(s),
            )
    if literal or not _tls_on(app):
        return
    provider = next((app.get(k) for k in CREDENTIAL_PROVIDER_KEYS if app.get(k)), None)
    if provider is not None:
        yield passed(
            "TLS passwords come from a credential provider", provider.location, *_evidence(provider)
        )
    else:
        yield passed("no literal TLS password in the Spark configuration", app.origin)


# --- 04x web UI and REST access control -----------------------------------------------------


@rule(
    id="SPARK-040",
    slug="spark-ui-no-auth-filter",
    title="The Spark web UI has no authentication filter (spark.ui.filters)",
    control="spark.access-control",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="Spark has no built-in UI login: without a servlet filter in spark.ui.filters "
    "(Spark 4's org.apache.spark.ui.JWSFilter, Hadoop's AuthenticationFilter for SPNEGO) anyone "
    "who reaches port 4040 sees the environment and logs, and can kill jobs.",
    remediation="Set spark.ui.filters to an authentication filter and configure its parameters "
    "with spark.<filter class>.param.<name>.",
    references=(SECURITY_DOC + "#authentication-and-authorization",),
)
def ui_auth_filter(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _ui_enabled(app):
        return
    key = "spark.ui.filters"
    s = app.get(key)
    if s is not None and s.templated:
        yield unknown(f"{key} is templated", s.location, *_evidence(s))
    elif s is not None and s.value.strip():
        yield passed("the web UI has an authentication filter", s.location, *_evidence(s))
    elif s is None and app.partial:
        yield unknown(f"{key} may be set in an input that was not read", app.origin)
    else:
        version = _version(app, ctx)
        where = app.where(key)
        fix = (
            Fix(
                FixAction.MANUAL,
                f"set {key} to a javax.servlet authentication filter (Spark before 4.0 ships none)",
                path=where.path,
            )
            if version and not version.at_least(4, 0)
            else Fix(FixAction.SET, key, "org.apache.spark.ui.JWSFilter", where.path)
        )
        yield fail(f"{key} is unset: the web UI is open to anyone who reaches it", where, fix=fix)


@rule(
    id="SPARK-041",
    slug="spark-acl-wildcard",
    title="A Spark ACL grants access to everyone (*)",
    control="spark.access-control",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="`*` in spark.admin.acls or spark.modify.acls lets every authenticated user kill "
    "any job and act as an administrator (high); in the view ACLs it shows every job's "
    "environment and logs to everyone (medium).",
    remediation="List named users and groups in the ACLs; never `*`.",
    references=(SECURITY_DOC + "#authentication-and-authorization",),
)
def acl_wildcard(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    present = [s for s in map(app.get, ACL_KEYS) if s is not None]
    wildcards = False
    for s in present:
        if "*" in (x.strip() for x in s.value.split(",")):
            wildcards = True
            view = ".view." in s.key
            yield fail(
                f"{s.key} contains * (everyone)",
                s.location,
                *_evidence(s),
                severity=Severity.MEDIUM if view else None,
            )
    if present and not wildcards:
        yield passed("the ACLs name users and groups explicitly", present[0].location)


@rule(
    id="SPARK-042",
    slug="spark-acls-not-enforced",
    title="Spark UI ACLs are off, or on without an authentication filter",
    control="spark.access-control",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="With spark.acls.enable=false every UI user may view and kill everything; with "
    "ACLs on but no authentication filter Spark knows no user name, so the ACLs decide nothing.",
    remediation="Set spark.acls.enable=true, spark.admin.acls/spark.ui.view.acls to named "
    "users, and an authentication filter in spark.ui.filters.",
    references=(SECURITY_DOC + "#authentication-and-authorization",),
)
def acls_not_enforced(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _ui_enabled(app):
        return
    key = "spark.acls.enable"
    value = app.flag(key, default=False)
    where = app.where(key)
    filters = app.get("spark.ui.filters")
    if value is None:
        yield unknown(f"cannot tell whether {key} is on", where, *_evidence(app.get(key)))
    elif not value:
        yield fail(
            f"{key} is {'false' if app.get(key) else 'unset (default false)'}: no UI authorization",
            where,
            *_evidence(app.get(key)),
            fix=Fix(FixAction.SET, key, "true", where.path),
        )
    elif filters is None or not filters.value.strip():
        yield fail(
            f"{key}=true but spark.ui.filters is unset: without an authentication filter the "
            "ACLs decide nothing",
            where,
            *_evidence(app.get(key)),
        )
    else:
        yield passed("UI ACLs are on behind an authentication filter", where)


@rule(
    id="SPARK-043",
    slug="spark-history-acls-off",
    title="The Spark history server does not enforce application ACLs",
    control="spark.access-control",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="With spark.history.ui.acls.enable=false the history server shows every "
    "application's environment and logs to every user; judged only where spark.history.* "
    "settings appear.",
    remediation="Set spark.history.ui.acls.enable=true (with an authentication filter) and "
    "spark.history.ui.admin.acls to named administrators.",
    references=(SECURITY_DOC + "#authentication-and-authorization",),
)
def history_acls(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if _has_history(app):
        yield from _require_true(app, "spark.history.ui.acls.enable", "history server ACLs")


@rule(
    id="SPARK-044",
    slug="spark-standalone-rest-open",
    title="The standalone REST submission server is enabled without authentication filters",
    control="spark.access-control",
    severity=Severity.CRITICAL,
    target=SparkApp,
    rationale="spark.master.rest.enabled=true opens port 6066 where anyone can submit a driver, "
    "i.e. run code on the cluster (CVE-2018-11770 class). Spark 4.0 adds "
    "spark.master.rest.filters (e.g. JWSFilter); earlier versions cannot protect it.",
    remediation="Set spark.master.rest.enabled=false, or on Spark 4.0+ set "
    "spark.master.rest.filters to an authentication filter.",
    references=(
        SECURITY_DOC + "#standalone-mode",
        "https://www.cve.org/CVERecord?id=CVE-2018-11770",
    ),
)
def standalone_rest(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    key = "spark.master.rest.enabled"
    s = app.get(key)
    if s is None and not _standalone(app):
        return
    value = _bool(s, False, app.partial)
    where = app.where(key)
    filters = app.get("spark.master.rest.filters")
    version = _version(app, ctx)
    if value is None:
        yield unknown(f"cannot tell whether {key} is on", where, *_evidence(s))
    elif not value:
        yield passed(f"the REST submission server is off ({key}=false)", where)
    elif version and not version.at_least(4, 0):
        yield fail(
            f"{key}=true: Spark {version} cannot put filters in front of it; anyone who "
            "reaches port 6066 runs code",
            where,
            *_evidence(s),
            fix=Fix(FixAction.SET, key, "false", where.path),
        )
    elif filters is None or not filters.value.strip():
        yield fail(
            f"{key}=true without spark.master.rest.filters: anyone who reaches port 6066 runs code",
            where,
            *_evidence(s),
            fix=Fix(FixAction.SET, key, "false", where.path),
        )
    else:
        yield passed("the REST submission server sits behind a filter", where, *_evidence(filters))


# --- 05x redaction ---------------------------------------------------------------------------


@rule(
    id="SPARK-050",
    slug="spark-redaction-gap",
    title="A secret-bearing setting is not matched by spark.redaction.regex",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="Spark masks a setting in the UI, the REST API and event logs only when "
    "spark.redaction.regex (default (?i)secret|password|token|access[.]?key) matches its key or "
    "value. Keys such as fs.azure.account.key.*, *_PWD, *credential* or a custom regex that "
    "drops a default term let the secret be read by anyone who sees the UI or event logs.",
    remediation="Extend spark.redaction.regex, e.g. "
    "(?i)secret|password|passwd|pwd|token|access[.]?key|account[.]key|credential|api[._]?key.",
    references=(CONFIG_DOC + "#runtime-environment",),
)
def redaction_gap(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    key = "spark.redaction.regex"
    custom = app.get(key)
    if custom is not None and custom.templated:
        yield unknown(f"{key} is templated", custom.location, *_evidence(custom))
        return
    try:
        regex = re.compile(custom.value if custom else DEFAULT_REDACTION_REGEX)
    except re.error:
        assert custom is not None
        yield unknown(
            f"{key} is not a pattern triplock can evaluate", custom.location, *_evidence(custom)
        )
        return
    candidates = [s for s in app.settings.values() if s.key != key and _could_be_secret(s)]
    gaps = False
    for s in candidates:
        if regex.search(s.key):
            continue
        if s.templated:
            yield unknown(
                f"{s.key} is not redacted by key and its value is unknown",
                s.location,
                *_evidence(s),
            )
        elif not regex.search(s.value):
            gaps = True
            yield fail(
                f"{s.key} holds a secret that {key} does not match: Spark shows it in the UI, "
                "REST API and event logs",
                s.location,
                *_evidence(s),
                fix=Fix(
                    FixAction.MANUAL, f"extend {key} to match {s.key}", path=app.where(key).path
                ),
            )
    if candidates and not gaps:
        yield passed(f"{key} matches every secret-bearing setting", app.where(key))


# --- 06x Kerberos ----------------------------------------------------------------------------


def _kerberos(app: SparkApp) -> bool:
    return _has_prefix(
        app,
        "spark.kerberos.",
        "spark.yarn.keytab",
        "spark.yarn.principal",
        "spark.history.kerberos.",
        "spark.kubernetes.kerberos.",
    )


def _keytab(app: SparkApp) -> Setting | None:
    return app.get("spark.kerberos.keytab") or app.get("spark.yarn.keytab")


def _principal(app: SparkApp) -> Setting | None:
    return app.get("spark.kerberos.principal") or app.get("spark.yarn.principal")


@rule(
    id="SPARK-060",
    slug="spark-k8s-keytab-uploaded",
    title="On Kubernetes a Kerberos keytab is given as a client-side file (Spark uploads it)",
    control="spark.kerberos",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="A spark.kerberos.keytab that is not local:// is read on the submitting machine "
    "and copied by Spark into a Kubernetes Secret it creates (and through the upload path), out "
    "of the administrator's hands; its lifetime follows the application.",
    remediation="Mount the keytab from a Secret you manage and give it as local:///path, or use "
    "a delegation-token Secret (spark.kubernetes.kerberos.tokenSecret.name).",
    references=(SECURITY_DOC + "#secure-interaction-with-kubernetes",),
)
def k8s_keytab(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not (_kerberos(app) and _kubernetes(app)):
        return
    s = _keytab(app)
    if s is None:
        return
    if s.templated:
        yield unknown(f"{s.key} is templated", s.location, *_evidence(s))
    elif s.value.strip().startswith("local://"):
        yield passed("the keytab is a local:// file inside the pod", s.location, *_evidence(s))
    else:
        yield fail(
            f"{s.key} is not local://: Spark uploads the keytab into a Secret it creates",
            s.location,
            *_evidence(s),
        )


@rule(
    id="SPARK-061",
    slug="spark-kerberos-principal-without-keytab",
    title="A Kerberos principal is set without a keytab or token Secret",
    control="spark.kerberos",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="spark.kerberos.principal without spark.kerberos.keytab (or a delegation-token "
    "Secret on Kubernetes) relies on the submitter's ticket cache: tokens are not renewed and "
    "long-running applications lose access, which users 'fix' by disabling security.",
    remediation="Give spark.kerberos.keytab (local:// on Kubernetes) with the principal, or "
    "spark.kubernetes.kerberos.tokenSecret.name.",
    references=(SECURITY_DOC + "#kerberos",),
)
def principal_without_keytab(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    principal = _principal(app)
    if principal is None:
        return
    if _keytab(app) is not None or app.get("spark.kubernetes.kerberos.tokenSecret.name"):
        yield passed("the principal comes with a keytab or token Secret", principal.location)
    elif app.partial:
        yield unknown("the keytab may be set in an input that was not read", principal.location)
    else:
        yield fail(
            f"{principal.key} is set without a keytab",
            principal.location,
            *_evidence(principal),
        )


def _filesystems(text: str) -> set[str]:
    return {f"{scheme}://{authority}".lower() for scheme, authority in _SECURE_FS.findall(text)}


@rule(
    id="SPARK-062",
    slug="spark-kerberos-filesystems-missing",
    title="A Kerberized file system is used but not listed in access.hadoopFileSystems",
    control="spark.kerberos",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="Spark fetches delegation tokens only for the default file system and those in "
    "spark.kerberos.access.hadoopFileSystems; another secure HDFS named in the configuration "
    "(event log, warehouse) fails at run time or tempts users to turn security off.",
    remediation="List every secure file system URI in spark.kerberos.access.hadoopFileSystems.",
    references=(SECURITY_DOC + "#kerberos",),
)
def kerberos_filesystems(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kerberos(app):
        return
    default = app.get("spark.hadoop.fs.defaultFS")
    listed = app.get(_FS_LIST_KEY)
    if listed is not None and listed.templated:
        yield unknown(f"{_FS_LIST_KEY} is templated", listed.location, *_evidence(listed))
        return
    covered = _filesystems(listed.value if listed else "") | _filesystems(
        default.value if default else ""
    )
    used = [
        (fs, s)
        for s in app.settings.values()
        if s.key not in (_FS_LIST_KEY, "spark.hadoop.fs.defaultFS") and not s.templated
        for fs in sorted(_filesystems(s.value))
    ]
    missing = [(fs, s) for fs, s in used if fs not in covered]
    wanted = ",".join(
        sorted(_filesystems(listed.value if listed else "") | {f for f, _ in missing})
    )
    for fs, s in missing:
        yield fail(
            f"{s.key} uses a Kerberized file system that {_FS_LIST_KEY} does not list",
            s.location,
            Evidence.of(s.key, fs),
            fix=Fix(FixAction.SET, _FS_LIST_KEY, wanted, app.where(_FS_LIST_KEY).path),
        )
    if used and not missing:
        yield passed(
            "every secure file system used gets delegation tokens", app.where(_FS_LIST_KEY)
        )


@rule(
    id="SPARK-063",
    slug="spark-history-kerberos",
    title="The history server is not configured for Kerberos where Kerberos is in use",
    control="spark.kerberos",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="A history server reading event logs from a Kerberized HDFS needs "
    "spark.history.kerberos.enabled=true with its own principal and keytab; judged only where "
    "both Kerberos and spark.history.* settings appear.",
    remediation="Set spark.history.kerberos.enabled=true, spark.history.kerberos.principal and "
    "spark.history.kerberos.keytab.",
    references=(SECURITY_DOC + "#kerberos", "https://spark.apache.org/docs/latest/monitoring.html"),
)
def history_kerberos(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not (_kerberos(app) and _has_history(app)):
        return
    key = "spark.history.kerberos.enabled"
    value = app.flag(key, default=False)
    if value is None:
        yield unknown(f"cannot tell whether {key} is on", app.where(key), *_evidence(app.get(key)))
        return
    if not value:
        yield fail(
            f"{key} is {'false' if app.get(key) else 'unset (default false)'}",
            app.where(key),
            *_evidence(app.get(key)),
            fix=Fix(FixAction.SET, key, "true", app.where(key).path),
        )
        return
    missing = [
        k
        for k in ("spark.history.kerberos.principal", "spark.history.kerberos.keytab")
        if app.get(k) is None
    ]
    if missing and not app.partial:
        yield fail(f"{key}=true without {' and '.join(missing)}", app.where(key))
    else:
        yield passed("the history server logs in with its own principal and keytab", app.where(key))


# --- 07x Kubernetes --------------------------------------------------------------------------

_DRIVER_SA = "spark.kubernetes.authenticate.driver.serviceAccountName"
_EXECUTOR_SA = "spark.kubernetes.authenticate.executor.serviceAccountName"


@rule(
    id="SPARK-070",
    slug="spark-k8s-driver-default-sa",
    title="The Spark driver runs as the namespace's default service account",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="The driver needs a Role that creates pods, services and configmaps; granting "
    "that to the default service account gives it to every pod of the namespace that does not "
    "name another account.",
    remediation="Create a dedicated service account with a namespaced Role (pods, services, "
    "configmaps, persistentvolumeclaims; no secrets, no wildcards) and set "
    "spark.kubernetes.authenticate.driver.serviceAccountName.",
    references=(K8S_DOC + "#rbac",),
)
def k8s_driver_sa(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kubernetes(app):
        return
    s = app.get(_DRIVER_SA)
    where = app.where(_DRIVER_SA)
    if s is not None and s.templated:
        yield unknown(f"{_DRIVER_SA} is templated", where, *_evidence(s))
    elif s is not None and s.value.strip() and s.value.strip() != "default":
        yield passed("the driver has a dedicated service account", where, *_evidence(s))
    elif s is None and app.partial:
        yield unknown(f"{_DRIVER_SA} may be set in an input that was not read", where)
    else:
        yield fail(
            f"the driver runs as the default service account ({_DRIVER_SA} "
            f"{'is default' if s else 'is unset'})",
            where,
            *_evidence(s),
            fix=Fix(FixAction.SET, _DRIVER_SA, "spark-driver", where.path),
        )


@rule(
    id="SPARK-071",
    slug="spark-k8s-executor-sa",
    title="Spark executors share the driver's service account",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=SparkApp,
    rationale="Executors run user code but need no Kubernetes API access. Unless "
    "spark.kubernetes.authenticate.executor.serviceAccountName (3.1+) names another account "
    "they inherit the driver's, whose token can create pods in the namespace.",
    remediation="Set spark.kubernetes.authenticate.executor.serviceAccountName to an account "
    "without RoleBindings and with automountServiceAccountToken: false.",
    references=(K8S_DOC + "#rbac",),
)
def k8s_executor_sa(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kubernetes(app):
        return
    s = app.get(_EXECUTOR_SA)
    driver = app.get(_DRIVER_SA)
    where = app.where(_EXECUTOR_SA)
    version = _version(app, ctx)
    if (s is not None and s.templated) or (driver is not None and driver.templated):
        yield unknown("a service account name is templated", where, *_evidence(s, driver))
    elif s is None and app.partial:
        yield unknown(f"{_EXECUTOR_SA} may be set in an input that was not read", where)
    elif s is None or not s.value.strip():
        old = version is not None and not version.at_least(3, 1)
        yield fail(
            "executors inherit the driver's service account"
            + (
                f" (Spark {version} has no {_EXECUTOR_SA}: upgrade to 3.1+)"
                if old
                else f" ({_EXECUTOR_SA} is unset)"
            ),
            where,
            fix=None if old else Fix(FixAction.SET, _EXECUTOR_SA, "spark-executor", where.path),
        )
    elif driver is not None and s.value.strip() == driver.value.strip():
        yield fail(
            "executors use the same service account as the driver",
            where,
            *_evidence(s, driver),
            fix=Fix(FixAction.SET, _EXECUTOR_SA, "spark-executor", where.path),
        )
    else:
        yield passed("executors have their own service account", where, *_evidence(s))


@rule(
    id="SPARK-072",
    slug="spark-k8s-default-namespace",
    title="Spark on Kubernetes runs in the default namespace",
    control="k8s.rbac",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="spark.kubernetes.namespace defaults to `default`, shared with everything else: "
    "the driver's pod-creating Role and the executors' pods (and _SPARK_AUTH_SECRET, if used) "
    "are then visible to every workload there.",
    remediation="Run Spark in a dedicated namespace: spark.kubernetes.namespace=spark-jobs.",
    references=(K8S_DOC + "#namespaces",),
)
def k8s_namespace(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kubernetes(app):
        return
    key = "spark.kubernetes.namespace"
    s = app.get(key)
    where = app.where(key)
    if s is not None and s.templated:
        yield unknown(f"{key} is templated", where, *_evidence(s))
    elif s is not None and s.value.strip() not in ("", "default"):
        yield passed("Spark runs in a dedicated namespace", where, *_evidence(s))
    elif s is None and app.partial:
        yield unknown(f"{key} may be set in an input that was not read", where)
    else:
        yield fail(
            f"Spark runs in the default namespace ({key} {'is default' if s else 'is unset'})",
            where,
            *_evidence(s),
            fix=Fix(FixAction.SET, key, "spark-jobs", where.path),
        )


def _env_secrets(app: SparkApp) -> Iterator[Setting]:
    for s in app.settings.values():
        if not s.key.startswith((DRIVER_ENV, EXECUTOR_ENV)):
            continue
        name = (
            s.key.rsplit(".", 1)[-1] if s.key.startswith(DRIVER_ENV) else s.key[len(EXECUTOR_ENV) :]
        )
        by_name = is_sensitive_key(name) and not _NOT_A_SECRET_KEY.search(name)
        value = s.value.strip()
        if not value or _NON_SECRET_VALUE.match(value):
            continue
        if by_name or (not s.templated and _secret_value(value)):
            yield s


@rule(
    id="SPARK-075",
    slug="spark-k8s-env-secret",
    title="A secret is passed to Spark pods through driverEnv/executorEnv",
    control="k8s.secrets",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="spark.kubernetes.driverEnv.X and spark.executorEnv.X become literal env entries "
    "in the pod spec: everyone who can read pods in the namespace reads them, and they show in "
    "the Spark UI unless redacted. Found by variable name and by value (known token formats, "
    "long random strings). Critical when also given on a command line.",
    remediation="Put the secret in a Kubernetes Secret and mount it with "
    "spark.kubernetes.{driver,executor}.secrets.NAME=/path (or, second best, "
    "spark.kubernetes.{driver,executor}.secretKeyRef.ENV=secret:key).",
    references=(
        K8S_DOC + "#secret-management",
        "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    ),
)
def k8s_env_secret(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kubernetes(app):
        return
    found = False
    for s in _env_secrets(app):
        found = True
        if s.templated and not s.exposed:
            yield unknown(
                f"{s.key} looks like a secret but its value is a reference",
                s.location,
                *_evidence(s),
            )
            continue
        yield fail(
            f"{s.key} puts a secret into the pod spec as a literal environment variable",
            s.location,
            *_evidence(s),
            fix=Fix(
                FixAction.MANUAL,
                f"replace {s.key} with a Secret volume (spark.kubernetes.*.secrets.NAME)",
                path=s.location.path,
            ),
            severity=Severity.CRITICAL if s.exposed else None,
        )
    if not found:
        yield passed("no secret in driverEnv/executorEnv", app.origin)


@rule(
    id="SPARK-076",
    slug="spark-k8s-secret-key-ref",
    title="Secrets reach Spark pods as environment variables (secretKeyRef), not volumes",
    control="k8s.secrets",
    severity=Severity.LOW,
    target=SparkApp,
    rationale="spark.kubernetes.{driver,executor}.secretKeyRef.ENV keeps the value out of the "
    "pod spec, but environment variables leak into child processes, crash dumps and the Spark "
    "UI's environment page (CIS Kubernetes 5.4.1 prefers files).",
    remediation="Mount the Secret with spark.kubernetes.{driver,executor}.secrets.NAME=/path and "
    "read it from the file.",
    references=(K8S_DOC + "#secret-management",),
)
def k8s_secret_key_ref(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not _kubernetes(app):
        return
    refs = [s for k, s in app.settings.items() if SECRET_KEY_REF.match(k)]
    volumes = [s for k, s in app.settings.items() if SECRET_VOLUME.match(k)]
    for s in refs:
        yield fail(
            f"{s.key} exposes a Secret as an environment variable", s.location, *_evidence(s)
        )
    if volumes and not refs:
        yield passed("Secrets are mounted as volumes", volumes[0].location)
