"""Spark rules for control keys.management: literal secrets in Spark settings (filter secrets,
metastore passwords, Kubernetes API tokens; the Hadoop rules judge most spark.hadoop.* secrets)
and secrets spark.redaction.regex lets through to the UI and event logs (SPARK-004, 005, 050).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.spark import SparkApp
from triplock.inventory import Setting
from triplock.model import Fix, FixAction, Severity
from triplock.rules._spark_common import (
    AUTH_SECRET,
    CREDENTIAL_PROVIDER_DOC,
    DRIVER_ENV,
    EXECUTOR_ENV,
    K8S_DOC,
    SECURITY_DOC,
    SSL_PASSWORD,
    evidence_of,
    manual_fix,
    on_kubernetes,
    secret_written,
    secrets_written,
)
from triplock.rules.hadoop import PROVIDER_SECRETS, S3A_CREDENTIAL
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown
from triplock.secret_classifier import Verdict, setting_secret, url_credentials

CONFIG_DOC = "https://spark.apache.org/docs/latest/configuration.html"
DEFAULT_REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key"
OAUTH_TOKEN = re.compile(r"^spark\.kubernetes\.authenticate\.[\w.]*oauthToken$")
SPARK_HADOOP = "spark.hadoop."


def _hadoop_reports(s: Setting) -> bool:
    """A spark.hadoop.* secret that HADOOP-019 or S3-002 reports at the same place: they judge
    the HadoopConf built from these keys. Not when templated: they can only call it unknown,
    while an exposed reference is a secret on the command line once the shell expands it."""
    if s.templated or not s.key.startswith(SPARK_HADOOP):
        return False
    key = s.key.removeprefix(SPARK_HADOOP)
    return bool(S3A_CREDENTIAL.match(key) or PROVIDER_SECRETS.match(key))


def _secret(s: Setting) -> Verdict | None:
    """A setting holding a secret: literal, or templated on a command line (where the shell
    expands it in plain sight). Passwords in URLs are SPARK-006's."""
    verdict = setting_secret(s.key, s.value, s.templated, s.exposed)
    return None if verdict is None or verdict.kind == "url" else verdict


def _literal_secrets(app: SparkApp) -> Iterator[tuple[Setting, Verdict]]:
    """Assignments holding a secret that no more specific rule judges."""
    k8s = on_kubernetes(app)
    for s in app.assignments():
        key = s.key
        if (
            key == AUTH_SECRET
            or SSL_PASSWORD.match(key)
            or OAUTH_TOKEN.match(key)
            or key.startswith(DRIVER_ENV)
            or (k8s and key.startswith(EXECUTOR_ENV))
            or _hadoop_reports(s)
        ):
            continue
        verdict = _secret(s)
        if verdict is not None:
            yield s, verdict


@rule(
    id="SPARK-004",
    slug="spark-literal-secret-setting",
    title="A Spark setting holds a literal secret (filter secrets, passwords, API keys)",
    control="keys.management",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="Secrets in Spark settings (a UI filter's secretKey parameter, a metastore "
    "password, an API key in spark.executorEnv) are readable by whoever reads the file, and by "
    "every local user when passed with --conf; still where a later --conf overrides them. Keys "
    "are found by name and by value (known token formats, long random strings). Hadoop secrets "
    "under spark.hadoop.* (S3A keys, cloud account keys) are reported by S3-002 and HADOOP-019.",
    remediation="Move the secret into a Hadoop credential provider "
    "(spark.hadoop.hadoop.security.credential.provider.path), a file mounted from a Kubernetes "
    "Secret, or the cloud's workload identity.",
    references=(SECURITY_DOC, CREDENTIAL_PROVIDER_DOC),
)
def literal_secret_setting(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    written = list(_literal_secrets(app))
    for s, verdict in written:
        yield secret_written(
            s,
            f"{s.key} holds a secret{verdict.default_note()}",
            manual_fix(s, f"move {s.key} into a credential provider or a mounted Secret file"),
        )
    if not written:
        yield passed("no other Spark setting holds a literal secret", app.origin)


@rule(
    id="SPARK-006",
    slug="spark-url-credentials",
    title="A Spark setting embeds a password in a URL",
    control="keys.management",
    severity=Severity.HIGH,
    target=SparkApp,
    rationale="A URL such as jdbc:mysql://hive:pw@db/metastore, "
    "jdbc:postgresql://db/x?password=pw or hdfs://user:pw@nn/logs carries its password to "
    "every place the setting goes: the UI's environment page (spark.redaction.regex matches "
    "keys, not URL parts), event logs, the process list when passed with --conf.",
    remediation="Keep the URL without credentials and give the password through a credential "
    "provider (javax.jdo.option.ConnectionPassword in hadoop.security.credential.provider.path) "
    "or a file mounted from a Secret.",
    references=(SECURITY_DOC, CREDENTIAL_PROVIDER_DOC),
)
def url_credentials_setting(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    written = [s for s in app.assignments() if url_credentials(s.value)]
    for s in written:
        yield secret_written(
            s,
            f"{s.key} embeds a password in a URL",
            manual_fix(s, f"remove the credentials from {s.key} and use a credential provider"),
        )
    if not written:
        yield passed("no Spark setting embeds a password in a URL", app.origin)


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
    tokens = [s for s in app.assignments() if OAUTH_TOKEN.match(s.key)]
    yield from secrets_written(
        tokens, lambda s: Fix(FixAction.REPLACE, s.key, f"{s.key}File", s.location.path)
    )
    if not tokens and on_kubernetes(app):
        yield passed("no literal Kubernetes OAuth token", app.origin)


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
        yield unknown(f"{key} is templated", custom.location, *evidence_of(custom))
        return
    try:
        regex = re.compile(custom.value if custom else DEFAULT_REDACTION_REGEX)
    except re.error:
        assert custom is not None
        yield unknown(
            f"{key} is not a pattern triplock can evaluate", custom.location, *evidence_of(custom)
        )
        return
    candidates = [s for s in app.settings.values() if s.key != key and _secret(s) is not None]
    gaps = False
    for s in candidates:
        if regex.search(s.key):
            continue
        if s.templated:
            yield unknown(
                f"{s.key} is not redacted by key and its value is unknown",
                s.location,
                *evidence_of(s),
            )
        elif not regex.search(s.value):
            gaps = True
            yield fail(
                f"{s.key} holds a secret that {key} does not match: Spark shows it in the UI, "
                "REST API and event logs",
                s.location,
                *evidence_of(s),
                fix=Fix(
                    FixAction.MANUAL, f"extend {key} to match {s.key}", path=app.where(key).path
                ),
            )
    if candidates and not gaps:
        yield passed(f"{key} matches every secret-bearing setting", app.where(key))
