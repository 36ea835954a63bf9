"""Object storage rules for S3A (AWS S3, Ceph RGW, MinIO): encryption at rest, credentials and
TLS, in core-site.xml or as spark.hadoop.fs.s3a.* (keys: Hadoop's "Hadoop-AWS module: Integration
with Amazon Web Services", https://hadoop.apache.org/docs/stable/hadoop-aws/tools/hadoop-aws/).
Per-bucket settings (fs.s3a.bucket.NAME.*) override the global ones, as in S3A."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role, Value
from triplock.model import Fix, FixAction, Location, Severity
from triplock.rules._hadoop_common import S3A_CREDENTIAL, credential_store_step, role_file
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown

S3A_DOC = "https://hadoop.apache.org/docs/stable/hadoop-aws/tools/hadoop-aws/encryption.html"
S3A_AUTH_DOC = "https://hadoop.apache.org/docs/stable/hadoop-aws/tools/hadoop-aws/index.html"

_BUCKET = re.compile(r"^fs\.s3a\.bucket\.([^.]+)\.")
_STRONG = {"SSE-KMS", "DSSE-KMS", "CSE-KMS", "SSE-C"}
_ALGORITHM_KEYS = ("encryption.algorithm", "server-side-encryption-algorithm")


def _scopes(conf: HadoopConf) -> list[str]:
    """ "" for the global fs.s3a.* settings (when S3A is configured globally) and each bucket
    that has its own settings."""
    keys = conf.names("fs.s3a.")
    buckets = sorted({m.group(1) for k in keys if (m := _BUCKET.match(k))})
    global_keys = [k for k in keys if not _BUCKET.match(k)]
    return ([""] if global_keys or not buckets else []) + buckets


def _effective(conf: HadoopConf, bucket: str, suffixes: tuple[str, ...]) -> Value | None:
    """The bucket's own setting of the first suffix set, else the global one."""
    prefixes = ([f"fs.s3a.bucket.{bucket}."] if bucket else []) + ["fs.s3a."]
    for prefix in prefixes:
        for suffix in suffixes:
            if conf.is_set(prefix + suffix):
                return conf.get(prefix + suffix)
    return None


def _name(bucket: str) -> str:
    return f"bucket {bucket}" if bucket else "S3A"


def _uses_s3a(conf: HadoopConf) -> bool:
    return bool(conf.names("fs.s3a.")) or (conf.text("fs.defaultFS") or "").startswith("s3a://")


@rule(
    id="S3-001",
    slug="s3a-encryption-off",
    title="S3A writes objects without KMS-backed encryption",
    control="rest.storage",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="Without fs.s3a.encryption.algorithm objects rely on the bucket's default "
    "(possibly none); SSE-S3 (AES256) keys are managed by the store, so anyone with read "
    "access to the object reads it. SSE-KMS/DSSE-KMS add a key policy and an audit trail.",
    remediation="Set fs.s3a.encryption.algorithm=SSE-KMS (or DSSE-KMS) and "
    "fs.s3a.encryption.key to the KMS key ARN (through a credential provider).",
    references=(S3A_DOC,),
)
def encryption_off(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    if not _uses_s3a(conf):
        return
    for bucket in _scopes(conf):
        value = _effective(conf, bucket, _ALGORITHM_KEYS)
        prefix = f"fs.s3a.bucket.{bucket}." if bucket else "fs.s3a."
        key = prefix + _ALGORITHM_KEYS[0]
        loc = value.location if value else Location(path=conf.origin.path, object=key)
        if value is not None and value.templated:
            yield unknown(
                f"{value.key} is templated; cannot tell {_name(bucket)} encryption",
                loc,
                *evidence_of(value),
            )
            continue
        algorithm = (value.text or "").strip() if value else ""
        fix = Fix(FixAction.SET, key, "SSE-KMS", loc.path)
        if algorithm in _STRONG:
            yield passed(f"{_name(bucket)} encrypts objects with {algorithm}", loc)
        elif algorithm in ("", "none"):
            yield fail(
                f"{_name(bucket)} sets no encryption algorithm: objects are written "
                "without client-requested encryption",
                loc,
                *evidence_of(value),
                fix=fix,
            )
        elif algorithm in ("AES256", "SSE-S3"):
            yield fail(
                f"{_name(bucket)} uses SSE-S3 (AES256): store-managed keys, no key policy",
                loc,
                *evidence_of(value),
                fix=fix,
                severity=Severity.LOW,
            )
        else:
            yield unknown(
                f"{_name(bucket)}: unrecognised encryption algorithm", loc, *evidence_of(value)
            )


@rule(
    id="S3-002",
    slug="s3a-literal-credentials",
    title="S3A credentials or encryption keys are written literally",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="fs.s3a.secret.key, session tokens and SSE-C / SSE-KMS keys written in "
    "core-site.xml or as spark.hadoop.* reach every reader of the file, the Spark UI and "
    "event logs, and (on a command line) the process list and pod spec.",
    remediation="Use IAM roles / web identity, or store the keys in a credential provider "
    "(hadoop credential create fs.s3a.secret.key -provider jceks://...) named by "
    "hadoop.security.credential.provider.path.",
    references=(S3A_AUTH_DOC + "#Protecting_the_AWS_Credentials",),
)
def literal_credentials(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    if not _uses_s3a(conf):
        return
    found = False
    for key in conf.names("fs.s3a."):
        m = S3A_CREDENTIAL.match(key)
        value = conf.get(key)
        if not m or value is None or not (value.raw or "").strip():
            continue
        found = True
        if value.templated:
            yield unknown(
                f"{key} is templated; cannot tell whether it is literal",
                value.location,
                *evidence_of(value),
            )
            continue
        severity = Severity.MEDIUM if m.group(1) == "access.key" else None
        if value.exposed:
            severity = Severity.CRITICAL
        yield fail(
            f"{key} is written literally"
            + (" and exposed beyond the file (command line or pod spec)" if value.exposed else ""),
            value.location,
            *evidence_of(value),
            fix=credential_store_step(key, value.location.path),
            severity=severity,
        )
    if not found:
        path = role_file(conf, Role.CORE) if conf.files else conf.origin.path
        yield passed("no literal S3A credentials", Location(path=path))


@rule(
    id="S3-003",
    slug="s3a-plain-http",
    title="S3A talks to the object store over plain HTTP",
    control="rest.storage",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="With fs.s3a.connection.ssl.enabled=false or an http:// endpoint, object data "
    "and request signatures cross the network in clear text (typical of Ceph or MinIO set-ups).",
    remediation="Serve the object store over TLS, use an https:// fs.s3a.endpoint and keep "
    "fs.s3a.connection.ssl.enabled=true.",
    references=(S3A_AUTH_DOC,),
)
def plain_http(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    if not _uses_s3a(conf):
        return
    for bucket in _scopes(conf):
        ssl = _effective(conf, bucket, ("connection.ssl.enabled",))
        endpoint = _effective(conf, bucket, ("endpoint",))
        if ssl is not None and not ssl.templated and (ssl.text or "").strip().lower() == "false":
            yield fail(
                f"{_name(bucket)}: {ssl.key}=false",
                ssl.location,
                *evidence_of(ssl),
                fix=Fix(FixAction.SET, ssl.key, "true", ssl.location.path),
            )
        elif endpoint is not None and (endpoint.text or "").strip().lower().startswith("http://"):
            if endpoint.templated:
                continue
            yield fail(
                f"{_name(bucket)}: the endpoint is plain http://",
                endpoint.location,
                *evidence_of(endpoint),
                fix=Fix(
                    FixAction.REPLACE, endpoint.key, "an https:// endpoint", endpoint.location.path
                ),
            )
        elif any(v is not None and v.templated for v in (ssl, endpoint)):
            shown = next(v for v in (ssl, endpoint) if v is not None and v.templated)
            yield unknown(
                f"{shown.key} is templated; cannot tell whether S3A uses TLS",
                shown.location,
                *evidence_of(shown),
            )
        else:
            where = endpoint or ssl
            loc = where.location if where else Location(path=conf.origin.path)
            yield passed(f"{_name(bucket)} uses TLS", loc)
