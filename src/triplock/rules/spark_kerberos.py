"""Spark rules for control spark.kerberos: keytabs on Kubernetes, principals without keytabs,
delegation tokens for every secure file system, the history server's login (SPARK-060..063).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._spark_common import (
    SECURITY_DOC,
    has_history,
    has_prefix,
    on_kubernetes,
    runs_applications,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown

# A secure file system URI's scheme and authority, without any user:password@ part.
_SECURE_FS = re.compile(r"\b(hdfs|webhdfs|swebhdfs|viewfs)://(?:[^/@\s,]*@)?([^/@\s,]+)")
_FS_LIST_KEY = "spark.kerberos.access.hadoopFileSystems"


def _kerberos(app: SparkApp) -> bool:
    return has_prefix(
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
    applies=runs_applications,
    rationale="A spark.kerberos.keytab that is not local:// is read on the submitting machine "
    "and copied by Spark into a Kubernetes Secret it creates (and through the upload path), out "
    "of the administrator's hands; its lifetime follows the application.",
    remediation="Mount the keytab from a Secret you manage and give it as local:///path, or use "
    "a delegation-token Secret (spark.kubernetes.kerberos.tokenSecret.name).",
    references=(SECURITY_DOC + "#secure-interaction-with-kubernetes",),
)
def k8s_keytab(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not (_kerberos(app) and on_kubernetes(app)):
        return
    s = _keytab(app)
    if s is None:
        return
    if s.templated:
        yield unknown(f"{s.key} is templated", s.location, *evidence_of(s))
    elif s.value.strip().startswith("local://"):
        yield passed("the keytab is a local:// file inside the pod", s.location, *evidence_of(s))
    else:
        yield fail(
            f"{s.key} is not local://: Spark uploads the keytab into a Secret it creates",
            s.location,
            *evidence_of(s),
        )


@rule(
    id="SPARK-061",
    slug="spark-kerberos-principal-without-keytab",
    title="A Kerberos principal is set without a keytab or token Secret",
    control="spark.kerberos",
    severity=Severity.LOW,
    target=SparkApp,
    applies=runs_applications,
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
            *evidence_of(principal),
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
    applies=runs_applications,
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
        yield unknown(f"{_FS_LIST_KEY} is templated", listed.location, *evidence_of(listed))
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
    if not (_kerberos(app) and has_history(app)):
        return
    key = "spark.history.kerberos.enabled"
    value = app.flag(key, default=False)
    if value is None:
        yield unknown(
            f"cannot tell whether {key} is on", app.where(key), *evidence_of(app.get(key))
        )
        return
    if not value:
        yield fail(
            f"{key} is {'false' if app.get(key) else 'unset (default false)'}",
            app.where(key),
            *evidence_of(app.get(key)),
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
