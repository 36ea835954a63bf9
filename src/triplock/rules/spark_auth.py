"""Spark rules for control spark.authentication: spark.authenticate, its secret written
literally, and how the secret reaches pods on Kubernetes (SPARK-001..003).
"""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.model import Fix, FixAction, Severity
from triplock.rules._spark_common import (
    AUTH_SECRET,
    K8S_DOC,
    SECURITY_DOC,
    manual_fix,
    on_kubernetes,
    require_true,
    runs_applications,
    secrets_written,
    version_of,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown


@rule(
    id="SPARK-001",
    slug="spark-authenticate-off",
    title="Spark RPC authentication (spark.authenticate) is disabled",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=SparkApp,
    applies=runs_applications,
    rationale="Without spark.authenticate any host that reaches the driver, executors or "
    "shuffle service can submit work, read blocks and impersonate executors; it is also the "
    "prerequisite of Spark's AES-based RPC encryption.",
    remediation="Set spark.authenticate=true (on Kubernetes also set "
    "spark.authenticate.secret.driver.file and .executor.file, mounted from a Secret).",
    references=(SECURITY_DOC + "#authentication",),
)
def authenticate_off(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    yield from require_true(app, "spark.authenticate", "RPC authentication")


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
    written = [s for s in app.assignments() if s.key == AUTH_SECRET]
    if not written:
        yield passed(f"no literal {AUTH_SECRET}", app.origin)
    yield from secrets_written(
        written,
        lambda s: manual_fix(
            s,
            f"remove {AUTH_SECRET} and set spark.authenticate.secret.driver.file and "
            "spark.authenticate.secret.executor.file to files mounted from a Secret",
        ),
    )


@rule(
    id="SPARK-003",
    slug="spark-k8s-auth-secret-in-pod-env",
    title="On Kubernetes the Spark auth secret reaches executor pods as a literal env var",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=SparkApp,
    applies=runs_applications,
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
    if not on_kubernetes(app) or app.flag("spark.authenticate", default=False) is False:
        return
    auth = app.get("spark.authenticate")
    if app.flag("spark.authenticate", default=False) is None:
        yield unknown(
            "cannot tell whether spark.authenticate is on",
            app.where("spark.authenticate"),
            *evidence_of(auth),
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
    version = version_of(app, ctx)
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
        *evidence_of(auth),
        fix=Fix(FixAction.SET, missing, "/mnt/secrets/spark-auth/secret", app.origin.path),
    )
