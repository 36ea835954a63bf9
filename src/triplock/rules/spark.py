"""Spark rules: authentication, RPC and local-storage encryption, UI TLS, access control,
Kerberos and Kubernetes settings (../shared/reference/config-keys.md, Spark table)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

SECURITY_DOC = "https://spark.apache.org/docs/latest/security.html"


def _require_true(app: SparkApp, key: str, what: str) -> Iterator[Outcome]:
    """The common shape: a boolean that must be true (default false)."""
    value = app.flag(key, default=False)
    setting = app.get(key)
    if value is None:
        yield unknown(
            f"{key} is templated or not a boolean; cannot tell whether {what}",
            app.where(key),
            Evidence.of(key, setting.value if setting else None),
        )
    elif value:
        yield passed(f"{what}: {key}=true", app.where(key))
    else:
        state = "false" if setting else "unset (default false)"
        yield fail(
            f"{key} is {state}: {what} is off",
            app.where(key),
            *([Evidence.of(key, setting.value)] if setting else []),
            fix=Fix(FixAction.SET, key, "true", app.where(key).path),
        )


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
