"""Hadoop rules for control keys.management: literal credential-provider secrets, keytab modes
and the keys /conf redacts (HADOOP-019, 020, 023)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules._hadoop_common import (
    CREDENTIAL_DOC,
    PROVIDER_SECRETS,
    SECURE_MODE_DOC,
    _secret_keys,
    credential_store_step,
    role_file,
    templated,
    where,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown
from triplock.user_regex import UnsafePattern, compile_user_pattern


@rule(
    id="HADOOP-019",
    slug="hadoop-literal-secret",
    title="A secret Hadoop could read from a credential provider is written literally",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="LDAP bind passwords, cloud storage account keys, OAuth client secrets and the "
    "HTTP signature secret are read through Configuration.getPassword(); written in "
    "core-site.xml (or as spark.hadoop.* on a command line) they reach every reader of the "
    "file, /conf and the Spark UI.",
    remediation="Move the secret into a credential store named by "
    "hadoop.security.credential.provider.path (or a *.file variant) and delete the key.",
    references=(CREDENTIAL_DOC,),
)
def literal_secret(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    found = False
    for key in conf.names():
        if not PROVIDER_SECRETS.match(key):
            continue
        value = conf.get(key)
        if value is None or not value.text:
            continue
        found = True
        if value.templated:
            yield templated(conf, key, "whether the secret is literal", Role.CORE)
            continue
        yield fail(
            f"{key} is a literal secret"
            + (" exposed beyond the file (command line or pod spec)" if value.exposed else ""),
            conf.where(key),
            *evidence_of(value),
            fix=credential_store_step(key, conf.where(key).path),
            severity=Severity.CRITICAL if value.exposed else None,
        )
    if not found and conf.has(Role.CORE):
        yield passed(
            "no literal credential-provider secrets in core-site.xml",
            Location(path=role_file(conf, Role.CORE)),
        )


@rule(
    id="HADOOP-020",
    slug="hadoop-keytab-readable",
    title="A keytab named by the Hadoop configuration is readable by group or others",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="A keytab holds a principal's long-term Kerberos keys: whoever reads it "
    "authenticates as that service (hdfs/nn, HTTP/...).",
    remediation="chmod 0600 the keytab (owned by the service user), or 0400.",
    references=(SECURE_MODE_DOC + "#Kerberos_principals_for_Hadoop_Daemons",),
)
def keytab_readable(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    for ref in conf.keytabs:
        mode = f"{ref.mode:04o}"
        if ref.mode & 0o077:
            yield fail(
                f"keytab {ref.path} ({ref.key}) has mode {mode}: group or others can read "
                "the service's Kerberos keys",
                ref.location,
                Evidence.of("mode", mode),
                fix=Fix(FixAction.CHMOD, ref.path, "0600"),
            )
        else:
            yield passed(f"keytab {ref.path} ({ref.key}) has mode {mode}", ref.location)


@rule(
    id="HADOOP-023",
    slug="hadoop-sensitive-keys-unredacted",
    title="A secret key is missing from hadoop.security.sensitive-config-keys",
    control="keys.management",
    severity=Severity.LOW,
    target=HadoopConf,
    rationale="Daemons' /conf endpoint, and logs of the configuration, redact only the keys "
    "matched by hadoop.security.sensitive-config-keys; a narrowed list or a secret key it does "
    "not match is served in clear text to anyone who can read /conf.",
    remediation="Keep Hadoop's default patterns in hadoop.security.sensitive-config-keys and add "
    "a pattern for each secret-bearing key the deployment uses.",
    references=(CREDENTIAL_DOC,),
)
def sensitive_keys(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    secrets = _secret_keys(conf)
    key = "hadoop.security.sensitive-config-keys"
    value = conf.get(key)
    if not secrets or value is None:
        return
    loc = where(conf, key, Role.CORE)
    if value.templated:
        yield templated(conf, key, "which keys /conf redacts", Role.CORE)
        return
    try:
        patterns = [
            compile_user_pattern(p.strip())
            for p in re.split(r"[,\n]", value.text or "")
            if p.strip()
        ]
    except UnsafePattern:
        yield unknown(f"{key} holds a pattern triplock cannot read", loc)
        return
    bare = [k for k in secrets if not any(p.search(k) for p in patterns)]
    if bare:
        yield fail(
            f"/conf would show {', '.join(bare)}: not matched by {key}",
            loc,
            fix=Fix(
                FixAction.SET, key, (value.text or "").strip() + "," + ",".join(bare), loc.path
            ),
        )
    else:
        yield passed(f"every secret key here is redacted by {key}", loc)
