"""Spark rules for control spark.access-control: UI authentication filters, ACLs and the
standalone REST submission server (SPARK-040..044).
"""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.model import Fix, FixAction, Severity
from triplock.rules._spark_common import (
    SECURITY_DOC,
    evidence_of,
    flag_of,
    has_history,
    require_true,
    runs_applications,
    standalone,
    ui_enabled,
    undecided,
    version_of,
)
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

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
    if not ui_enabled(app):
        return
    key = "spark.ui.filters"
    s = app.get(key)
    if (doubt := undecided(app, key)) is not None:
        yield doubt
    elif s is not None and s.value.strip():
        yield passed("the web UI has an authentication filter", s.location, *evidence_of(s))
    else:
        version = version_of(app, ctx)
        where = app.where(key)
        if version is None:
            fix = Fix(
                FixAction.MANUAL,
                f"Spark 4.0+: set {key}=org.apache.spark.ui.JWSFilter; Spark 3.x: set {key} to "
                "a javax.servlet authentication filter of your own (3.x ships none)",
                path=where.path,
            )
        elif not version.at_least(4, 0):
            fix = Fix(
                FixAction.MANUAL,
                f"set {key} to a javax.servlet authentication filter (Spark before 4.0 ships none)",
                path=where.path,
            )
        else:
            fix = Fix(FixAction.SET, key, "org.apache.spark.ui.JWSFilter", where.path)
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
                *evidence_of(s),
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
    applies=runs_applications,
    rationale="With spark.acls.enable=false every UI user may view and kill everything; with "
    "ACLs on but no authentication filter Spark knows no user name, so the ACLs decide nothing.",
    remediation="Set spark.acls.enable=true, spark.admin.acls/spark.ui.view.acls to named "
    "users, and an authentication filter in spark.ui.filters.",
    references=(SECURITY_DOC + "#authentication-and-authorization",),
)
def acls_not_enforced(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not ui_enabled(app):
        return
    key = "spark.acls.enable"
    value = app.flag(key, default=False)
    where = app.where(key)
    filters = app.get("spark.ui.filters")
    if value is None:
        yield unknown(f"cannot tell whether {key} is on", where, *evidence_of(app.get(key)))
    elif not value:
        yield fail(
            f"{key} is {'false' if app.get(key) else 'unset (default false)'}: no UI authorization",
            where,
            *evidence_of(app.get(key)),
            fix=Fix(FixAction.SET, key, "true", where.path),
        )
    elif filters is None or not filters.value.strip():
        yield fail(
            f"{key}=true but spark.ui.filters is unset: without an authentication filter the "
            "ACLs decide nothing",
            where,
            *evidence_of(app.get(key)),
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
    if has_history(app):
        yield from require_true(app, "spark.history.ui.acls.enable", "history server ACLs")


@rule(
    id="SPARK-044",
    slug="spark-standalone-rest-open",
    title="The standalone REST submission server is enabled without authentication filters",
    control="spark.access-control",
    severity=Severity.CRITICAL,
    target=SparkApp,
    applies=runs_applications,
    rationale="spark.master.rest.enabled=true opens a port (spark.master.rest.port, 6066 by "
    "default) where anyone can submit a driver, "
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
    if s is None and not standalone(app):
        return
    value = flag_of(s, False, app.partial)
    where = app.where(key)
    filters = app.get("spark.master.rest.filters")
    version = version_of(app, ctx)
    port = f"port {app.value('spark.master.rest.port') or '6066'}"
    if value is None:
        yield unknown(f"cannot tell whether {key} is on", where, *evidence_of(s))
    elif not value:
        yield passed(f"the REST submission server is off ({key}=false)", where)
    elif version and not version.at_least(4, 0):
        yield fail(
            f"{key}=true: Spark {version} cannot put filters in front of it; anyone who "
            f"reaches {port} runs code",
            where,
            *evidence_of(s),
            fix=Fix(FixAction.SET, key, "false", where.path),
        )
    elif filters is None or not filters.value.strip():
        yield fail(
            f"{key}=true without spark.master.rest.filters: anyone who reaches {port} runs code",
            where,
            *evidence_of(s),
            fix=Fix(FixAction.SET, key, "false", where.path),
        )
    else:
        yield passed(
            "the REST submission server sits behind a filter", where, *evidence_of(filters)
        )
