"""Hadoop KMS rules: the key provider HDFS transparent encryption needs, the KMS's own
authentication and TLS, its ACLs, key ACLs and blacklists (keys: "Hadoop Key Management Server
(KMS) - Documentation Sets", https://hadoop.apache.org/docs/stable/hadoop-kms/index.html)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role, Value
from triplock.model import Fix, FixAction, Location, Severity
from triplock.rules._hadoop_common import (
    expect_flag,
    expect_word,
    judged,
    role_file,
    stated,
    templated,
    where,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule

KMS_DOC = "https://hadoop.apache.org/docs/stable/hadoop-kms/index.html"
TDE_DOC = (
    "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/"
    "TransparentEncryption.html"
)
PROVIDER_KEYS = ("hadoop.security.key.provider.path", "dfs.encryption.key.provider.uri")
KMS = (Role.KMS,)

# KMSACLs: the operations of hadoop.kms.acl.*; an unset one defaults to "*" (everyone).
KMS_OPERATIONS = (
    "CREATE",
    "DELETE",
    "ROLLOVER",
    "GET",
    "GET_KEYS",
    "GET_METADATA",
    "SET_KEY_MATERIAL",
    "GENERATE_EEK",
    "DECRYPT_EEK",
)
# Operations that only reveal key names and metadata.
_METADATA_OPERATIONS = {"GET_KEYS", "GET_METADATA"}
# What an ACL `*` is fixed to, so that the KMS keeps serving HDFS transparent encryption: the
# NameNode (hdfs) reads key metadata and generates encrypted keys (KMS docs, "KMS ACLs" and
# the TDE docs); the readers of encryption zones decrypt, and only the user knows who they
# are; everything else is key administration, denied until admins name themselves. A single
# space is Hadoop's empty AccessControlList: nobody (checked against Hadoop's own class in
# tests/fix/test_kms_acls_fixed.py).
DENY = " "
_ZONE_READERS = "<users and groups that read the encryption zones>"
_ACL_FIX = {"GENERATE_EEK": "hdfs", "GET_METADATA": "hdfs", "DECRYPT_EEK": _ZONE_READERS}
# Key ACLs (key.acl.K.OP, default.key.acl.OP, whitelist.key.acl.OP): READ is the NameNode's
# getMetadata, GENERATE_EEK its encrypted keys; ALL covers decryption too.
_KEY_ACL_FIX = {
    "GENERATE_EEK": "hdfs",
    "READ": "hdfs",
    "DECRYPT_EEK": _ZONE_READERS,
    "ALL": _ZONE_READERS,
}
_KEY_ACL = re.compile(
    r"^(key\.acl\.[^.]+(?:\.[^.]+)*|default\.key\.acl|whitelist\.key\.acl)\.([A-Z_]+)$"
)
_DANGEROUS_KEY_OPS = {"DECRYPT_EEK", "MANAGEMENT", "ALL"}


def _provider(conf: HadoopConf) -> str | None:
    for key in PROVIDER_KEYS:
        if conf.is_set(key):
            return key
    return None


@rule(
    id="KMS-001",
    slug="hdfs-no-key-provider",
    title="HDFS has no key provider: transparent encryption cannot be used",
    control="rest.hdfs-encryption",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="Encryption zones need a KMS (hadoop.security.key.provider.path); without one, "
    "every block is stored in clear text on the DataNodes' disks.",
    remediation="Run Hadoop KMS and set hadoop.security.key.provider.path="
    "kms://https@kms1;kms2:9600/kms, then create encryption zones for sensitive data.",
    references=(TDE_DOC,),
)
def no_key_provider(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = _provider(conf)
    if key is None:
        if judged(conf, PROVIDER_KEYS[0], (Role.HDFS,)):
            yield fail(
                "no key provider (hadoop.security.key.provider.path): HDFS transparent "
                "encryption is unavailable",
                where(conf, PROVIDER_KEYS[0], Role.CORE),
                fix=Fix(
                    FixAction.SET,
                    PROVIDER_KEYS[0],
                    "kms://https@kms:9600/kms",
                    role_file(conf, Role.CORE),
                ),
            )
        return
    value = conf.get(key)
    if value is not None and value.templated:
        yield templated(conf, key, "the key provider", Role.CORE)
    else:
        yield passed(f"HDFS has a key provider ({key})", conf.where(key), *evidence_of(value))


@rule(
    id="KMS-002",
    slug="kms-provider-plain-http",
    title="The KMS is reached over plain HTTP",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Clients send delegation tokens and receive decrypted data encryption keys from "
    "the KMS: over kms://http@ anyone on the path reads the keys of every encryption zone.",
    remediation="Enable hadoop.kms.ssl.enabled on the KMS and use kms://https@host:9600/kms.",
    references=(KMS_DOC,),
)
def provider_plain_http(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = _provider(conf)
    if key is None:
        return
    value = conf.get(key)
    text = conf.text(key) or ""
    if value is not None and value.templated:
        return  # KMS-001 already says it is unknown
    uris = [u.strip() for u in text.split(",") if u.strip()]
    plain = [u for u in uris if u.lower().startswith(("kms://http@", "http://"))]
    if plain:
        yield fail(
            f"{key} reaches the KMS over plain HTTP",
            conf.where(key),
            *evidence_of(value),
            fix=Fix(
                FixAction.SET,
                key,
                text.replace("kms://http@", "kms://https@"),
                conf.where(key).path,
            ),
        )
    elif any(u.lower().startswith(("kms://https@", "https://")) for u in uris):
        yield passed("the KMS is reached over HTTPS", conf.where(key))


@rule(
    id="KMS-003",
    slug="kms-authentication-simple",
    title="The KMS does not authenticate clients with Kerberos",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="With hadoop.kms.authentication.type=simple the caller names itself, so KMS "
    "ACLs protect nothing.",
    remediation="Set hadoop.kms.authentication.type=kerberos with a HTTP/ principal keytab.",
    references=(KMS_DOC + "#KMS_HTTP_Authentication",),
)
def kms_authentication(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_word(
        conf,
        "hadoop.kms.authentication.type",
        "kerberos",
        "the KMS authentication",
        KMS,
        "the KMS requires Kerberos (SPNEGO)",
        "KMS callers are not authenticated",
    )


@rule(
    id="KMS-004",
    slug="kms-ssl-off",
    title="The KMS serves HTTP without TLS (hadoop.kms.ssl.enabled)",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Decrypted data encryption keys travel in KMS responses; without TLS they can "
    "be read on the network.",
    remediation="Set hadoop.kms.ssl.enabled=true and configure ssl-server.xml for the KMS.",
    references=(KMS_DOC + "#KMS_over_HTTPS_.28SSL.29",),
)
def kms_ssl(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(conf, "hadoop.kms.ssl.enabled", True, "KMS TLS", KMS)


def _open_to_all(
    key: str, value: Value, what: str, replacement: str, severity: Severity | None = None
) -> Outcome:
    """Fail an ACL written as `*`, fixed by naming `replacement` instead."""
    return fail(
        f"{key}=*: {what}",
        value.location,
        *evidence_of(value),
        fix=Fix(FixAction.SET, key, replacement, value.location.path),
        severity=severity,
    )


def _acl_users(text: str) -> tuple[set[str], set[str]]:
    """AccessControlList's "users groups" syntax."""
    users, _, groups = text.strip().partition(" ")
    return (
        {u.strip() for u in users.split(",") if u.strip()},
        {g.strip() for g in groups.split(",") if g.strip()},
    )


@rule(
    id="KMS-005",
    slug="kms-acl-wildcard",
    title="A KMS operation is open to everyone (hadoop.kms.acl.* is * or unset)",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="kms-acls.xml ships with `*` for every operation, and an operation without an "
    "entry defaults to `*`: any authenticated user may create, roll, delete keys or decrypt "
    "encrypted keys.",
    remediation="Name the users and groups of each hadoop.kms.acl.OPERATION in kms-acls.xml: "
    "hdfs for GENERATE_EEK and GET_METADATA (the NameNode), the readers of the encryption "
    "zones for DECRYPT_EEK, key admins (or nobody, a single space) for CREATE, DELETE, "
    "ROLLOVER, GET, GET_KEYS and SET_KEY_MATERIAL.",
    references=(KMS_DOC + "#KMS_Access_Control",),
)
def kms_acl_wildcard(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    if not conf.has(Role.KMS_ACLS) and not conf.names("hadoop.kms.acl."):
        return
    acls_file = role_file(conf, Role.KMS_ACLS)
    for op in KMS_OPERATIONS:
        key = f"hadoop.kms.acl.{op}"
        value = conf.get(key)
        severity = Severity.MEDIUM if op in _METADATA_OPERATIONS else None
        if value is not None and value.templated:
            yield templated(conf, key, f"who may {op}", Role.KMS_ACLS)
        elif value is None:
            yield fail(
                f"{key} is unset, so it defaults to *: everyone may {op}",
                Location(path=acls_file, object=key),
                fix=Fix(FixAction.SET, key, _ACL_FIX.get(op, DENY), acls_file),
                severity=severity,
            )
        elif (value.text or "").strip() == "*":
            yield _open_to_all(key, value, f"everyone may {op}", _ACL_FIX.get(op, DENY), severity)
        else:
            yield passed(f"{op} is limited to named users and groups", value.location)


@rule(
    id="KMS-006",
    slug="kms-key-acl-wildcard",
    title="A key ACL lets everyone decrypt or manage keys",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="key.acl.*, default.key.acl.* and whitelist.key.acl.* decide per key who may "
    "decrypt encrypted data keys or manage the key; `*` on DECRYPT_EEK or MANAGEMENT gives "
    "every user the data of every encryption zone using the key.",
    remediation="Replace `*` with the users and groups that own the encryption zone for "
    "DECRYPT_EEK, hdfs for READ and GENERATE_EEK (the NameNode), and key admins (or nobody, "
    "a single space) for MANAGEMENT.",
    references=(KMS_DOC + "#Key_Access_Control",),
)
def key_acl_wildcard(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    seen = False
    for key in conf.names():
        m = _KEY_ACL.match(key)
        if not m:
            continue
        seen = True
        value = conf.get(key)
        if value is None:
            continue
        if value.templated:
            yield templated(conf, key, "who the key ACL admits", Role.KMS_ACLS)
            continue
        op = m.group(2)
        if (value.text or "").strip() == "*":
            severity = None if op in _DANGEROUS_KEY_OPS else Severity.MEDIUM
            fixed = _KEY_ACL_FIX.get(op, DENY)
            yield _open_to_all(key, value, f"everyone may {op}", fixed, severity)
    if not seen and conf.has(Role.KMS_ACLS):
        yield passed(
            "no key ACLs: keys without an ACL deny every operation",
            Location(path=role_file(conf, Role.KMS_ACLS)),
        )
    elif seen and not any((conf.text(k) or "") == "*" for k in conf.names() if _KEY_ACL.match(k)):
        yield passed("key ACLs name their users", Location(path=role_file(conf, Role.KMS_ACLS)))


@rule(
    id="KMS-007",
    slug="kms-hdfs-may-decrypt",
    title="The hdfs user is not blacklisted from DECRYPT_EEK",
    control="keys.management",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="HDFS must only ever handle encrypted data keys; if the hdfs superuser may call "
    "DECRYPT_EEK, an HDFS administrator (or a compromised NameNode) can read every "
    "encryption zone, defeating the separation transparent encryption is for.",
    remediation="Set hadoop.kms.blacklist.DECRYPT_EEK=hdfs in kms-acls.xml.",
    references=(KMS_DOC + "#KMS_Access_Control",),
)
def hdfs_may_decrypt(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "hadoop.kms.blacklist.DECRYPT_EEK"
    if not conf.has(Role.KMS_ACLS) and not conf.is_set(key):
        return
    value = conf.get(key)
    loc = where(conf, key, Role.KMS_ACLS)
    if value is not None and value.templated:
        yield templated(conf, key, "who is blacklisted", Role.KMS_ACLS)
        return
    users, _ = _acl_users(value.text or "") if value else (set(), set())
    if "hdfs" in users or (value is not None and (value.text or "").strip() == "*"):
        yield passed("hdfs is blacklisted from DECRYPT_EEK", loc)
    else:
        yield fail(
            f"{key} is {stated(value)}: the hdfs user may decrypt data encryption keys",
            loc,
            *evidence_of(value),
            fix=Fix(FixAction.SET, key, "hdfs", loc.path),
        )


_PROXYUSER = re.compile(r"^hadoop\.kms\.proxyuser\.[^.]+\.(users|groups|hosts)$")


@rule(
    id="KMS-008",
    slug="kms-proxyuser-wildcard",
    title="A KMS proxy user may impersonate anyone, or from any host",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="hadoop.kms.proxyuser.U.* set to `*` let service U "
    "act as any user (including key admins) from anywhere; a compromise of U becomes a "
    "compromise of every key and file.",
    remediation="List the users or groups U may impersonate and the hosts it runs on.",
    references=(KMS_DOC + "#KMS_Proxyuser_Configuration",),
)
def proxyuser_wildcard(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    for key in conf.names("hadoop.kms.proxyuser."):
        if not _PROXYUSER.match(key):
            continue
        value = conf.get(key)
        if value is None:
            continue
        if value.templated:
            yield templated(conf, key, "whom the proxy user may impersonate", Role.CORE)
        elif (value.text or "").strip() == "*":
            yield _open_to_all(
                key, value, "the proxy user is unrestricted", "<users, groups or hosts>"
            )
        else:
            yield passed(f"{key} is restricted", value.location)
