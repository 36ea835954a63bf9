"""What the Spark rule modules (spark_*.py) share: documentation links, the keys several of them
know, and helpers that read a SparkApp the way Spark does
(keys: Spark's "Spark Security" and "Configuration" pages,
https://spark.apache.org/docs/latest/security.html and .../configuration.html).

Rule ids follow the bands of docs/architecture.md ("Rule ids"): 00x authentication and secrets,
01x RPC and 02x local storage encryption, 03x TLS, 04x access control, 05x redaction, 06x
Kerberos, 07x Kubernetes.

Severities across the Spark rules: a literal secret on a command line or in a pod spec is
critical (any local user or namespace reader sees it), in a conf file high; a switched-off
protection that leaves a service open to the network (no RPC authentication or encryption, a
REST server without filters) is high or critical; weaker-than-best settings that still protect
(CTR instead of GCM, 128-bit keys, a missing HSTS header) are medium or low.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat

from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.model import Fix, FixAction, Severity
from triplock.rules._spark_version import SparkVersion, spark_version
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, unknown

SECURITY_DOC = "https://spark.apache.org/docs/latest/security.html"
K8S_DOC = "https://spark.apache.org/docs/latest/running-on-kubernetes.html"
CREDENTIAL_PROVIDER_DOC = (
    "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/"
    "CredentialProviderAPI.html"
)

AUTH_SECRET = "spark.authenticate.secret"
SSL_PASSWORD = re.compile(
    r"^spark\.ssl\.(?:\w+\.)?(keyStorePassword|keyPassword|trustStorePassword)$"
)
DRIVER_ENV = "spark.kubernetes.driverEnv."
EXECUTOR_ENV = "spark.executorEnv."


def _exposure(setting: Setting) -> Severity:
    return Severity.CRITICAL if setting.exposed else Severity.HIGH


def _exposed_where(setting: Setting) -> str:
    if setting.exposed:
        return "on a command line or in a pod spec (visible in the process list and to pod readers)"
    return "in a configuration file"


def secret_written(setting: Setting, what: str, fix: Fix) -> Outcome:
    """Fail a secret written in `setting`: "<what> <where>", critical where it is exposed (a
    command line, a pod spec), else high."""
    return fail(
        f"{what} {_exposed_where(setting)}",
        setting.location,
        *evidence_of(setting),
        fix=fix,
        severity=_exposure(setting),
    )


def secrets_written(
    settings: Iterable[Setting], fix: Callable[[Setting], Fix]
) -> Iterator[Outcome]:
    """Each setting holds a secret by its key: unknown for a reference kept in a file (its value
    is elsewhere), else a fail as secret_written."""
    for s in settings:
        if s.templated and not s.exposed:
            yield unknown(
                f"{s.key} is a reference whose value is unknown here", s.location, *evidence_of(s)
            )
        else:
            yield secret_written(s, f"{s.key} is set", fix(s))


def manual_fix(setting: Setting, step: str) -> Fix:
    return Fix(FixAction.MANUAL, step, path=setting.location.path)


def version_of(app: SparkApp, ctx: Context) -> SparkVersion | None:
    return spark_version(app, ctx.spark_version)


def runs_applications(app: SparkApp) -> bool:
    """Applications only, not a history server's own spark-defaults.conf.

    The `applies` of application-only rules (RPC, local storage, the application UI,
    Kubernetes pods, delegation tokens); its first line is shown in the rule catalogue."""
    return not app.history_server_only


def has_prefix(app: SparkApp, *prefixes: str) -> bool:
    # map() rather than a generator: many rules ask this of every application's every key.
    return any(map(str.startswith, app.settings, repeat(prefixes)))


def on_kubernetes(app: SparkApp) -> bool:
    """On Kubernetes: a k8s:// master, a SparkApplication, or spark.kubernetes.* settings in a
    defaults file whose master is given elsewhere (on the spark-submit command line)."""
    if app.on_kubernetes:
        return True
    master = app.get("spark.master")
    if master is not None and not master.templated:
        return False
    return has_prefix(app, "spark.kubernetes.")


def ui_enabled(app: SparkApp) -> bool:
    return app.flag("spark.ui.enabled", default=True) is not False


def has_history(app: SparkApp) -> bool:
    return has_prefix(app, "spark.history.", "spark.ssl.historyServer.")


def standalone(app: SparkApp) -> bool:
    master = app.master or ""
    return master.startswith("spark://") or has_prefix(
        app, "spark.ssl.standalone.", "spark.master.", "spark.worker.", "spark.deploy."
    )


def undecided(app: SparkApp, key: str) -> Outcome | None:
    """Unknown when `key` is templated, or unset while an input was not read; else None."""
    s = app.get(key)
    where = app.where(key)
    if s is not None and s.templated:
        return unknown(f"{key} is templated", where, *evidence_of(s))
    if s is None and app.partial:
        return unknown(f"{key} may be set in an input that was not read", where)
    return None


def require_true(app: SparkApp, key: str, what: str) -> Iterator[Outcome]:
    """The common shape: a boolean that must be true (default false)."""
    value = app.flag(key, default=False)
    setting = app.get(key)
    if value is None:
        yield unknown(
            f"{key} is templated, not a boolean or may be set in an unread input; cannot tell "
            f"whether {what} is on",
            app.where(key),
            *evidence_of(setting),
        )
    elif value:
        yield passed(f"{what}: {key}=true", app.where(key))
    else:
        state = "false" if setting else "unset (default false)"
        yield fail(
            f"{key} is {state}: {what} is off",
            app.where(key),
            *evidence_of(setting),
            fix=Fix(FixAction.SET, key, "true", app.where(key).path),
        )
