"""Spark rules for Kubernetes: controls k8s.rbac (service accounts, namespace) and k8s.secrets
(secrets in driverEnv/executorEnv, secretKeyRef instead of volumes) (SPARK-070..076).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.model import Fix, FixAction, Severity
from triplock.rules._spark_common import (
    DRIVER_ENV,
    EXECUTOR_ENV,
    K8S_DOC,
    on_kubernetes,
    runs_applications,
    undecided,
    version_of,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown
from triplock.secret_classifier import setting_secret

SECRET_VOLUME = re.compile(r"^spark\.kubernetes\.(driver|executor)\.secrets\.")
SECRET_KEY_REF = re.compile(r"^spark\.kubernetes\.(driver|executor)\.secretKeyRef\.")
_DRIVER_SA = "spark.kubernetes.authenticate.driver.serviceAccountName"
_EXECUTOR_SA = "spark.kubernetes.authenticate.executor.serviceAccountName"


# The accounts and namespace must exist before Spark may name them (a name that does not exist
# stops the driver's pod from being created): values only the user knows.
_DRIVER_ACCOUNT = "<a service account bound to the driver's Role>"
_EXECUTOR_ACCOUNT = "<a service account without RoleBindings>"


@rule(
    id="SPARK-070",
    slug="spark-k8s-driver-default-sa",
    title="The Spark driver runs as the namespace's default service account",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="The driver needs a Role that creates pods, services and configmaps; granting "
    "that to the default service account gives it to every pod of the namespace that does not "
    "name another account.",
    remediation="Create a dedicated service account with a namespaced Role (pods, services, "
    "configmaps, persistentvolumeclaims; no secrets, no wildcards) and set "
    "spark.kubernetes.authenticate.driver.serviceAccountName.",
    references=(K8S_DOC + "#rbac",),
)
def k8s_driver_sa(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not on_kubernetes(app):
        return
    s = app.get(_DRIVER_SA)
    where = app.where(_DRIVER_SA)
    if s is None and app.account_per_app is not None:
        yield passed(f"{app.account_per_app} creates a service account for each application", where)
    elif (doubt := undecided(app, _DRIVER_SA)) is not None:
        yield doubt
    elif s is not None and s.value.strip() and s.value.strip() != "default":
        yield passed("the driver has a dedicated service account", where, *evidence_of(s))
    else:
        yield fail(
            f"the driver runs as the default service account ({_DRIVER_SA} "
            f"{'is default' if s else 'is unset'})",
            where,
            *evidence_of(s),
            fix=Fix(FixAction.SET, _DRIVER_SA, _DRIVER_ACCOUNT, where.path),
        )


@rule(
    id="SPARK-071",
    slug="spark-k8s-executor-sa",
    title="Spark executors share the driver's service account",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=SparkApp,
    applies=runs_applications,
    rationale="Executors run user code but need no Kubernetes API access. Unless "
    "spark.kubernetes.authenticate.executor.serviceAccountName (3.1+) names another account "
    "they inherit the driver's, whose token can create pods in the namespace.",
    remediation="Set spark.kubernetes.authenticate.executor.serviceAccountName to an account "
    "without RoleBindings and with automountServiceAccountToken: false.",
    references=(K8S_DOC + "#rbac",),
)
def k8s_executor_sa(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not on_kubernetes(app):
        return
    s = app.get(_EXECUTOR_SA)
    driver = app.get(_DRIVER_SA)
    where = app.where(_EXECUTOR_SA)
    version = version_of(app, ctx)
    if (s is not None and s.templated) or (driver is not None and driver.templated):
        yield unknown("a service account name is templated", where, *evidence_of(s, driver))
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
            fix=None if old else Fix(FixAction.SET, _EXECUTOR_SA, _EXECUTOR_ACCOUNT, where.path),
        )
    elif driver is not None and s.value.strip() == driver.value.strip():
        yield fail(
            "executors use the same service account as the driver",
            where,
            *evidence_of(s, driver),
            fix=Fix(FixAction.SET, _EXECUTOR_SA, _EXECUTOR_ACCOUNT, where.path),
        )
    else:
        yield passed("executors have their own service account", where, *evidence_of(s))


@rule(
    id="SPARK-072",
    slug="spark-k8s-default-namespace",
    title="Spark on Kubernetes runs in the default namespace",
    control="k8s.rbac",
    severity=Severity.LOW,
    target=SparkApp,
    applies=runs_applications,
    rationale="spark.kubernetes.namespace defaults to `default`, shared with everything else: "
    "the driver's pod-creating Role and the executors' pods (and _SPARK_AUTH_SECRET, if used) "
    "are then visible to every workload there.",
    remediation="Run Spark in a dedicated namespace: spark.kubernetes.namespace=spark-jobs.",
    references=(K8S_DOC + "#namespaces",),
)
def k8s_namespace(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not on_kubernetes(app):
        return
    key = "spark.kubernetes.namespace"
    s = app.get(key)
    where = app.where(key)
    if (doubt := undecided(app, key)) is not None:
        yield doubt
    elif s is not None and s.value.strip() not in ("", "default"):
        yield passed("Spark runs in a dedicated namespace", where, *evidence_of(s))
    else:
        yield fail(
            f"Spark runs in the default namespace ({key} {'is default' if s else 'is unset'})",
            where,
            *evidence_of(s),
            fix=Fix(FixAction.SET, key, "<a dedicated namespace>", where.path),
        )


def _env_secrets(app: SparkApp) -> Iterator[Setting]:
    for s in app.assignments():
        if not s.key.startswith((DRIVER_ENV, EXECUTOR_ENV)):
            continue
        name = (
            s.key.rsplit(".", 1)[-1] if s.key.startswith(DRIVER_ENV) else s.key[len(EXECUTOR_ENV) :]
        )
        if setting_secret(name, s.value, s.templated, expanded=True) is not None:
            yield s


@rule(
    id="SPARK-075",
    slug="spark-k8s-env-secret",
    title="A secret is passed to Spark pods through driverEnv/executorEnv",
    control="k8s.secrets",
    severity=Severity.HIGH,
    target=SparkApp,
    applies=runs_applications,
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
    if not on_kubernetes(app):
        return
    found = False
    for s in _env_secrets(app):
        found = True
        if s.templated and not s.exposed:
            yield unknown(
                f"{s.key} looks like a secret but its value is a reference",
                s.location,
                *evidence_of(s),
            )
            continue
        yield fail(
            f"{s.key} puts a secret into the pod spec as a literal environment variable",
            s.location,
            *evidence_of(s),
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
    applies=runs_applications,
    rationale="spark.kubernetes.{driver,executor}.secretKeyRef.ENV keeps the value out of the "
    "pod spec, but environment variables leak into child processes, crash dumps and the Spark "
    "UI's environment page (CIS Kubernetes 5.4.1 prefers files).",
    remediation="Mount the Secret with spark.kubernetes.{driver,executor}.secrets.NAME=/path and "
    "read it from the file.",
    references=(K8S_DOC + "#secret-management",),
)
def k8s_secret_key_ref(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    if not on_kubernetes(app):
        return
    refs = [s for k, s in app.settings.items() if SECRET_KEY_REF.match(k)]
    volumes = [s for k, s in app.settings.items() if SECRET_VOLUME.match(k)]
    for s in refs:
        yield fail(
            f"{s.key} exposes a Secret as an environment variable", s.location, *evidence_of(s)
        )
    if volumes and not refs:
        yield passed("Secrets are mounted as volumes", volumes[0].location)
