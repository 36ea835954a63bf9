"""Hadoop core and HDFS rules: Kerberos, authorization, RPC / block transfer / HTTP
confidentiality, web authentication, literal secrets and keytab modes
(../shared/reference/config-keys.md, Hadoop core and HDFS table).

A rule judges a key when the configuration sets it, or when a conf directory holds the file
the key belongs in (then Hadoop's default counts). A Spark application's spark.hadoop.* overlay
is judged only on what it sets: the cluster's own files may set the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock import secret_classifier
from triplock.facts.hadoop import HadoopConf, HadoopScope, Role, Value
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.redact import show
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

SECURE_MODE_DOC = (
    "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/SecureMode.html"
)
HTTP_AUTH_DOC = "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/HttpAuthentication.html"
CREDENTIAL_DOC = (
    "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/"
    "CredentialProviderAPI.html"
)
CORE = (Role.CORE,)
HDFS = (Role.HDFS,)
CLUSTER = (Role.CORE, Role.HDFS)


def judged(conf: HadoopConf, key: str, roles: tuple[Role, ...]) -> bool:
    """Whether this configuration speaks to `key`: it sets it, or it is a conf directory (or a
    daemon's /conf) holding a file of one of `roles`, so that Hadoop's default applies."""
    if conf.is_set(key):
        return True
    if conf.scope is HadoopScope.SPARK:
        return False
    return conf.scope is HadoopScope.SERVED or conf.has(*roles)


def role_file(conf: HadoopConf, role: Role) -> str | None:
    """The file of this configuration where a key of `role` belongs."""
    for path in conf.files:
        if path.replace("\\", "/").rsplit("/", 1)[-1] == role.value:
            return path
    return conf.files[0] if conf.files else conf.origin.path


def where(conf: HadoopConf, key: str, role: Role) -> Location:
    """The line that sets `key`, else the file it belongs in."""
    if conf.is_set(key):
        return conf.where(key)
    path = role_file(conf, role)
    return Location(path=path, object=key) if path else conf.origin


def evidence(value: Value | None) -> tuple[Evidence, ...]:
    if value is None:
        return ()
    text = value.text if value.text is not None else value.raw
    return (Evidence.of(value.key, text, by_key_only=True),)


def set_fix(conf: HadoopConf, key: str, value: str, role: Role) -> Fix:
    return Fix(FixAction.SET, key, value, where(conf, key, role).path)


def unset_fix(conf: HadoopConf, key: str) -> Fix:
    return Fix(FixAction.UNSET, key, None, conf.where(key).path)


def stated(value: Value | None) -> str:
    if value is None:
        return "unset"
    text = repr(None if value.text is None else show(value.key, value.text, by_key_only=True))
    return f"unset (Hadoop default {text})" if value.default else text


def templated(conf: HadoopConf, key: str, what: str, role: Role) -> Outcome:
    value = conf.get(key)
    return unknown(
        f"{key} holds an unresolved variable; cannot tell {what}",
        where(conf, key, role),
        *evidence(value),
    )


def expect_flag(
    conf: HadoopConf,
    key: str,
    want: bool,
    what: str,
    roles: tuple[Role, ...],
    severity: Severity | None = None,
) -> Iterator[Outcome]:
    """The common shape: a boolean whose secure value is `want`."""
    if not judged(conf, key, roles):
        return
    role = roles[0]
    value = conf.get(key)
    flag = conf.flag(key)
    if value is not None and value.templated:
        yield templated(conf, key, f"whether {what}", role)
    elif flag is None and value is not None:
        yield unknown(
            f"{key} is not a boolean; cannot tell whether {what}",
            where(conf, key, role),
            *evidence(value),
        )
    elif flag == want:
        yield passed(f"{what}: {key}={str(want).lower()}", where(conf, key, role))
    else:
        yield fail(
            f"{key} is {stated(value)}: {what} not in force",
            where(conf, key, role),
            *evidence(value),
            fix=set_fix(conf, key, str(want).lower(), role),
            severity=severity,
        )


def expect_word(
    conf: HadoopConf,
    key: str,
    want: str,
    what: str,
    roles: tuple[Role, ...],
    passing: str,
    failing: str,
    severity: Severity | None = None,
) -> Iterator[Outcome]:
    """The common shape: a word whose secure value is `want` (compared in want's case).
    Unknown when templated (cannot tell `what`), else `passing`, or "KEY is VALUE: `failing`"
    with a fix setting `want`."""
    if not judged(conf, key, roles):
        return
    role = roles[0]
    value = conf.get(key)
    fold = str.upper if want.isupper() else str.lower
    loc = where(conf, key, role)
    if value is not None and value.templated:
        yield templated(conf, key, what, role)
    elif fold(conf.text(key) or "") == want:
        yield passed(passing, loc)
    else:
        yield fail(
            f"{key} is {stated(value)}: {failing}",
            loc,
            *evidence(value),
            fix=set_fix(conf, key, want, role),
            severity=severity,
        )


def words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


@rule(
    id="HADOOP-001",
    slug="hadoop-authentication-simple",
    title="Hadoop authentication is not Kerberos (hadoop.security.authentication)",
    control="hdfs.authentication",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="With `simple` authentication a client is whoever it says it is (HADOOP_USER_NAME): "
    "any host that reaches the NameNode can act as the hdfs superuser.",
    remediation="Set hadoop.security.authentication=kerberos in core-site.xml with principals and "
    "keytabs for every daemon.",
    references=(SECURE_MODE_DOC,),
)
def authentication_simple(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_word(
        conf,
        "hadoop.security.authentication",
        "kerberos",
        "the authentication method",
        CLUSTER,
        "Kerberos authentication: hadoop.security.authentication=kerberos",
        "RPC callers are not authenticated",
    )


@rule(
    id="HADOOP-002",
    slug="hadoop-authorization-off",
    title="Hadoop service-level authorization is off (hadoop.security.authorization)",
    control="hdfs.access-control",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Without service-level authorization every authenticated user may call every "
    "protocol (admin, refresh, datanode); it also gates the admin checks of /jmx and /conf.",
    remediation="Set hadoop.security.authorization=true and restrict hadoop-policy.xml ACLs.",
    references=(SECURE_MODE_DOC,),
)
def authorization_off(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(
        conf, "hadoop.security.authorization", True, "service-level authorization", CLUSTER
    )


@rule(
    id="HADOOP-003",
    slug="hadoop-rpc-not-private",
    title="Hadoop RPC is not encrypted (hadoop.rpc.protection is not privacy)",
    control="hdfs.confidentiality",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Only `privacy` encrypts SASL RPC; `authentication` and `integrity` send file "
    "names, block tokens and delegation tokens in clear text. A list with weaker values lets "
    "a client negotiate them.",
    remediation="Set hadoop.rpc.protection=privacy on servers and clients.",
    references=(SECURE_MODE_DOC + "#Data_confidentiality",),
)
def rpc_protection(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "hadoop.rpc.protection"
    if not judged(conf, key, CLUSTER):
        return
    value = conf.get(key)
    text = conf.text(key)
    loc = where(conf, key, Role.CORE)
    fix = set_fix(conf, key, "privacy", Role.CORE)
    if value is not None and value.templated:
        yield templated(conf, key, "the RPC protection", Role.CORE)
        return
    levels = {w.lower() for w in words(text or "")}
    if levels == {"privacy"}:
        yield passed("RPC is encrypted: hadoop.rpc.protection=privacy", loc)
    elif "privacy" in levels:
        yield fail(
            f"{key} also accepts {', '.join(sorted(levels - {'privacy'}))}: clients may "
            "negotiate unencrypted RPC",
            loc,
            *evidence(value),
            fix=fix,
            severity=Severity.MEDIUM,
        )
    else:
        yield fail(
            f"{key} is {stated(value)}: RPC is not encrypted", loc, *evidence(value), fix=fix
        )


@rule(
    id="HADOOP-004",
    slug="hadoop-fallback-to-simple-auth",
    title="Hadoop clients may fall back to simple authentication",
    control="hdfs.authentication",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="ipc.client.fallback-to-simple-auth-allowed=true lets a Kerberos client talk to "
    "an insecure (or impersonated) server without authentication.",
    remediation="Set ipc.client.fallback-to-simple-auth-allowed=false (the default).",
    references=(SECURE_MODE_DOC,),
)
def fallback_to_simple(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(
        conf,
        "ipc.client.fallback-to-simple-auth-allowed",
        False,
        "refusal of simple-auth fallback",
        CLUSTER,
    )


@rule(
    id="HADOOP-005",
    slug="hdfs-block-access-token-off",
    title="HDFS block access tokens are disabled (dfs.block.access.token.enable)",
    control="hdfs.access-control",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Without block access tokens a DataNode serves any block to anyone who knows "
    "its id, bypassing the NameNode's permissions.",
    remediation="Set dfs.block.access.token.enable=true in hdfs-site.xml.",
    references=(SECURE_MODE_DOC + "#DataNode",),
)
def block_access_token(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(conf, "dfs.block.access.token.enable", True, "block access tokens", HDFS)


def _port(address: str | None) -> int | None:
    if not address:
        return None
    _, _, port = address.rpartition(":")
    return int(port) if port.isdigit() else None


def _privileged(conf: HadoopConf, key: str) -> bool | None:
    port = _port(conf.text(key))
    return None if port is None else 0 < port < 1024


@rule(
    id="HADOOP-006",
    slug="hdfs-block-transfer-unencrypted",
    title="HDFS block transfer (DataNode data transfer protocol) is not encrypted",
    control="hdfs.confidentiality",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Block data crosses the network in clear text unless dfs.encrypt.data.transfer=true "
    "or SASL data transfer protection is `privacy`. SASL is skipped when the DataNode "
    "listens on a privileged port (root/jsvc mode) and needs Kerberos; "
    "dfs.encrypt.data.transfer supersedes dfs.data.transfer.protection.",
    remediation="Set dfs.data.transfer.protection=privacy with a non-privileged "
    "dfs.datanode.address and dfs.http.policy=HTTPS_ONLY, or dfs.encrypt.data.transfer=true "
    "with dfs.encrypt.data.transfer.cipher.suites=AES/CTR/NoPadding.",
    references=(SECURE_MODE_DOC + "#Data_Encryption_on_Block_data_transfer.",),
)
def block_transfer(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    encrypt_key, protection_key = "dfs.encrypt.data.transfer", "dfs.data.transfer.protection"
    if not (judged(conf, encrypt_key, HDFS) or judged(conf, protection_key, HDFS)):
        return
    encrypt = conf.flag(encrypt_key)
    encrypt_value = conf.get(encrypt_key)
    protection = conf.get(protection_key)
    if any(v is not None and v.templated for v in (encrypt_value, protection)):
        yield templated(
            conf,
            encrypt_key if encrypt_value and encrypt_value.templated else protection_key,
            "whether block transfer is encrypted",
            Role.HDFS,
        )
        return
    if encrypt:
        yield passed(
            "block transfer is encrypted: dfs.encrypt.data.transfer=true",
            where(conf, encrypt_key, Role.HDFS),
        )
        return
    levels = {w.lower() for w in words(protection.text or "")} if protection else set()
    fix = set_fix(conf, protection_key, "privacy", Role.HDFS)
    if "privacy" not in levels:
        shown = stated(protection) if protection else "unset"
        yield fail(
            f"{protection_key} is {shown} and {encrypt_key} is not true: block data is sent "
            "in clear text",
            where(conf, protection_key if protection else encrypt_key, Role.HDFS),
            *evidence(protection),
            fix=fix,
        )
        return
    loc = where(conf, protection_key, Role.HDFS)
    if _privileged(conf, "dfs.datanode.address"):
        yield fail(
            "dfs.data.transfer.protection=privacy is ignored: dfs.datanode.address is a "
            "privileged port, where HDFS skips the SASL handshake",
            where(conf, "dfs.datanode.address", Role.HDFS),
            Evidence.of("dfs.datanode.address", conf.text("dfs.datanode.address")),
            fix=Fix(FixAction.SET, "dfs.datanode.address", "0.0.0.0:9866", loc.path),
        )
    elif conf.text("hadoop.security.authentication") not in (None, "kerberos"):
        yield fail(
            "dfs.data.transfer.protection=privacy has no effect without Kerberos "
            "(hadoop.security.authentication is not kerberos)",
            loc,
            *evidence(protection),
        )
    else:
        yield passed(
            "block transfer is encrypted by SASL: dfs.data.transfer.protection includes privacy",
            loc,
        )


@rule(
    id="HADOOP-007",
    slug="hdfs-sasl-transfer-needs-https",
    title="SASL data transfer protection without HTTPS_ONLY or privileged HTTP port",
    control="hdfs.confidentiality",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="A secure DataNode using SASL data transfer must serve its web endpoint over "
    "HTTPS only (or bind it to a privileged port); otherwise it refuses to start, and an "
    "HTTP endpoint would leak block tokens.",
    remediation="With dfs.data.transfer.protection set, also set dfs.http.policy=HTTPS_ONLY.",
    references=(SECURE_MODE_DOC + "#Secure_DataNode",),
)
def sasl_needs_https(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "dfs.data.transfer.protection"
    if not conf.is_set(key) or conf.flag("dfs.encrypt.data.transfer"):
        return
    policy_key = "dfs.http.policy"
    policy = conf.get(policy_key)
    if policy is not None and policy.templated:
        yield templated(conf, policy_key, "the HTTP policy", Role.HDFS)
    elif (conf.text(policy_key) or "").upper() == "HTTPS_ONLY":
        yield passed(
            "SASL data transfer with dfs.http.policy=HTTPS_ONLY", where(conf, policy_key, Role.HDFS)
        )
    elif _privileged(conf, "dfs.datanode.http.address"):
        yield passed(
            "SASL data transfer with a privileged DataNode HTTP port",
            where(conf, "dfs.datanode.http.address", Role.HDFS),
        )
    elif policy is not None:
        yield fail(
            f"{key} is set but {policy_key} is {stated(policy)}: a secure DataNode "
            "refuses to start, or serves HTTP in clear text",
            where(conf, policy_key, Role.HDFS),
            *evidence(policy),
            fix=set_fix(conf, policy_key, "HTTPS_ONLY", Role.HDFS),
        )


@rule(
    id="HADOOP-008",
    slug="hdfs-http-not-https-only",
    title="HDFS web endpoints are not HTTPS only (dfs.http.policy)",
    control="hdfs.confidentiality",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="The NameNode and DataNode web UIs and WebHDFS carry file data, delegation "
    "tokens and SPNEGO exchanges; HTTP_ONLY sends them in clear text and HTTP_AND_HTTPS "
    "keeps a clear-text port open.",
    remediation="Set dfs.http.policy=HTTPS_ONLY and configure ssl-server.xml.",
    references=(SECURE_MODE_DOC + "#Data_Encryption_on_HTTP",),
)
def http_policy(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "dfs.http.policy"
    both = (conf.text(key) or "").upper() == "HTTP_AND_HTTPS"
    yield from expect_word(
        conf,
        key,
        "HTTPS_ONLY",
        "the HTTP policy",
        HDFS,
        "HDFS web endpoints are HTTPS only",
        "HDFS web endpoints accept clear-text HTTP",
        severity=Severity.MEDIUM if both else None,
    )


_AES_SUITE = "AES/CTR/NoPadding"


@rule(
    id="HADOOP-009",
    slug="hdfs-block-encryption-weak-cipher",
    title="HDFS block encryption uses 3DES or RC4 (no AES cipher suite)",
    control="hdfs.confidentiality",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="With dfs.encrypt.data.transfer=true and no dfs.encrypt.data.transfer.cipher.suites, "
    "block data is encrypted with dfs.encrypt.data.transfer.algorithm: 3DES (64-bit blocks, "
    "SWEET32) by default, or RC4 (broken). With AES the algorithm only protects key exchange.",
    remediation="Set dfs.encrypt.data.transfer.cipher.suites=AES/CTR/NoPadding and "
    "dfs.encrypt.data.transfer.cipher.key.bitlength=256.",
    references=(SECURE_MODE_DOC + "#Data_Encryption_on_Block_data_transfer.",),
)
def block_cipher(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    if not conf.flag("dfs.encrypt.data.transfer"):
        return
    suites_key = "dfs.encrypt.data.transfer.cipher.suites"
    algorithm_key = "dfs.encrypt.data.transfer.algorithm"
    suites = conf.get(suites_key)
    if suites is not None and suites.templated:
        yield templated(conf, suites_key, "the block cipher", Role.HDFS)
        return
    if _AES_SUITE in words(conf.text(suites_key) or ""):
        bits_key = "dfs.encrypt.data.transfer.cipher.key.bitlength"
        bits = conf.text(bits_key)
        if bits == "256":
            yield passed(
                f"block encryption uses {_AES_SUITE} with 256-bit keys",
                where(conf, suites_key, Role.HDFS),
            )
        else:
            yield fail(
                f"block encryption uses {_AES_SUITE} with {bits or 'default'}-bit keys "
                "(256 recommended)",
                where(conf, bits_key, Role.HDFS),
                *evidence(conf.get(bits_key)),
                fix=set_fix(conf, bits_key, "256", Role.HDFS),
                severity=Severity.LOW,
            )
        return
    algorithm = (conf.text(algorithm_key) or "3des").lower()
    yield fail(
        f"no AES cipher suite: block data is encrypted with {algorithm}",
        where(conf, suites_key, Role.HDFS),
        *evidence(conf.get(algorithm_key)),
        fix=set_fix(conf, suites_key, _AES_SUITE, Role.HDFS),
        severity=Severity.HIGH if algorithm == "rc4" else None,
    )


@rule(
    id="HADOOP-010",
    slug="hdfs-trusted-channel-resolver",
    title="A trusted-channel resolver exempts connections from block encryption",
    control="hdfs.confidentiality",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="dfs.trustedchannel.resolver.class marks some peers as trusted: their block "
    "transfers are not encrypted even with dfs.encrypt.data.transfer=true.",
    remediation="Remove dfs.trustedchannel.resolver.class unless every 'trusted' network is "
    "physically protected.",
    references=(SECURE_MODE_DOC,),
)
def trusted_channel(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "dfs.trustedchannel.resolver.class"
    if conf.text(key):
        yield fail(
            f"{key} is set: connections it trusts skip block encryption",
            conf.where(key),
            *evidence(conf.get(key)),
            fix=unset_fix(conf, key),
        )
    elif conf.flag("dfs.encrypt.data.transfer"):
        yield passed(
            "no trusted-channel resolver: every block transfer is encrypted",
            where(conf, key, Role.HDFS),
        )


@rule(
    id="HADOOP-011",
    slug="hdfs-permissions-off",
    title="HDFS permission checking is disabled (dfs.permissions.enabled)",
    control="hdfs.access-control",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="With dfs.permissions.enabled=false every user can read, write and delete "
    "every file.",
    remediation="Set dfs.permissions.enabled=true (the default).",
    references=(
        "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/"
        "HdfsPermissionsGuide.html",
    ),
)
def permissions_off(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(conf, "dfs.permissions.enabled", True, "permission checking", HDFS)


@rule(
    id="HADOOP-012",
    slug="hdfs-acls-off",
    title="HDFS ACLs are disabled (dfs.namenode.acls.enabled)",
    control="hdfs.access-control",
    severity=Severity.LOW,
    target=HadoopConf,
    rationale="Without ACLs, access can only be granted through owner/group/other bits, which "
    "pushes operators towards world-readable data.",
    remediation="Set dfs.namenode.acls.enabled=true (default since Hadoop 3.3).",
    references=(
        "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/"
        "HdfsPermissionsGuide.html#ACLs_Access_Control_Lists",
    ),
)
def acls_off(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(conf, "dfs.namenode.acls.enabled", True, "HDFS ACLs", HDFS)


@rule(
    id="HADOOP-013",
    slug="hdfs-datanode-dir-permissive",
    title="DataNode block directories are group or world accessible",
    control="rest.storage",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="dfs.datanode.data.dir.perm sets the mode of the block directories on each "
    "storage node; anything wider than 700 lets local users read block files directly.",
    remediation="Set dfs.datanode.data.dir.perm=700 (the default).",
    references=(SECURE_MODE_DOC,),
)
def data_dir_perm(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "dfs.datanode.data.dir.perm"
    if not judged(conf, key, HDFS):
        return
    value = conf.get(key)
    text = conf.text(key)
    loc = where(conf, key, Role.HDFS)
    if value is not None and value.templated:
        yield templated(conf, key, "the block directory mode", Role.HDFS)
    elif text is None or not re.fullmatch(r"[0-7]{1,4}", text):
        yield unknown(f"{key} is not an octal mode", loc, *evidence(value))
    elif int(text, 8) & 0o077:
        yield fail(
            f"{key}={text}: block files are readable beyond the hdfs user",
            loc,
            *evidence(value),
            fix=set_fix(conf, key, "700", Role.HDFS),
        )
    else:
        yield passed(f"block directories are private: {key}={text}", loc)


_AUTH_INITIALIZERS = (
    "org.apache.hadoop.security.AuthenticationFilterInitializer",
    "org.apache.hadoop.security.authentication.server.ProxyUserAuthenticationFilterInitializer",
)


@rule(
    id="HADOOP-014",
    slug="hadoop-web-unauthenticated",
    title="Hadoop web UIs do not require authentication",
    control="hdfs.authentication",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="By default (StaticUserWebFilter) the NameNode and DataNode web UIs, WebHDFS "
    "browsing, /logs, /jmx and /conf serve anyone; the simple HTTP authenticator trusts a "
    "user.name parameter.",
    remediation="Add org.apache.hadoop.security.AuthenticationFilterInitializer to "
    "hadoop.http.filter.initializers, set hadoop.http.authentication.type=kerberos and "
    "hadoop.http.authentication.simple.anonymous.allowed=false.",
    references=(HTTP_AUTH_DOC,),
)
def web_unauthenticated(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    init_key = "hadoop.http.filter.initializers"
    type_key = "hadoop.http.authentication.type"
    anon_key = "hadoop.http.authentication.simple.anonymous.allowed"
    if not (judged(conf, init_key, CORE) or judged(conf, type_key, CORE)):
        return
    init = conf.get(init_key)
    if init is not None and init.templated:
        yield templated(conf, init_key, "the web filters", Role.CORE)
        return
    if init is None and conf.scope is HadoopScope.SPARK:
        return
    if not any(w in _AUTH_INITIALIZERS for w in words(conf.text(init_key) or "")):
        yield fail(
            f"{init_key} is {stated(init)}: no authentication filter guards the web UIs",
            where(conf, init_key, Role.CORE),
            *evidence(init),
            fix=set_fix(conf, init_key, _AUTH_INITIALIZERS[0], Role.CORE),
        )
        return
    kind = conf.get(type_key)
    text = (conf.text(type_key) or "").lower()
    if kind is not None and kind.templated:
        yield templated(conf, type_key, "the web authentication type", Role.CORE)
    elif text == "simple" or (kind is None and conf.uses_defaults):
        anonymous = conf.flag(anon_key)
        yield fail(
            f"{type_key} is simple: the user is whatever the user.name parameter says"
            + (" and anonymous access is allowed" if anonymous is not False else ""),
            where(conf, type_key, Role.CORE),
            *evidence(kind),
            fix=set_fix(conf, type_key, "kerberos", Role.CORE),
            severity=Severity.HIGH if anonymous is not False else Severity.MEDIUM,
        )
    else:
        yield passed(
            f"web UIs require {text or 'custom'} authentication", where(conf, type_key, Role.CORE)
        )


@rule(
    id="HADOOP-015",
    slug="hadoop-instrumentation-open",
    title="/jmx, /conf and /stacks do not require admin rights",
    control="hdfs.access-control",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="hadoop.security.instrumentation.requires.admin=false lets any web user read "
    "the effective configuration and metrics (with authorization also on, only admins may).",
    remediation="Set hadoop.security.instrumentation.requires.admin=true together with "
    "hadoop.security.authorization=true.",
    references=(HTTP_AUTH_DOC,),
)
def instrumentation_open(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(
        conf,
        "hadoop.security.instrumentation.requires.admin",
        True,
        "admin-only /jmx and /conf",
        CLUSTER,
    )


_OLD_PROTOCOLS = {"sslv2", "sslv2hello", "sslv3", "tlsv1", "tlsv1.1"}


@rule(
    id="HADOOP-016",
    slug="hadoop-ssl-old-protocols",
    title="Hadoop enables obsolete TLS/SSL protocol versions (hadoop.ssl.enabled.protocols)",
    control="transit.tls.protocol",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="SSLv3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996) and have practical attacks.",
    remediation="Set hadoop.ssl.enabled.protocols=TLSv1.2,TLSv1.3.",
    references=(HTTP_AUTH_DOC,),
)
def ssl_protocols(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "hadoop.ssl.enabled.protocols"
    if not judged(conf, key, (Role.CORE, Role.SSL_SERVER, Role.SSL_CLIENT)):
        return
    value = conf.get(key)
    loc = where(conf, key, Role.CORE)
    if value is not None and value.templated:
        yield templated(conf, key, "the TLS versions", Role.CORE)
        return
    enabled = words(conf.text(key) or "")
    old = [p for p in enabled if p.lower() in _OLD_PROTOCOLS]
    if old:
        yield fail(
            f"{key} enables {', '.join(old)}",
            loc,
            *evidence(value),
            fix=set_fix(conf, key, "TLSv1.2,TLSv1.3", Role.CORE),
        )
    elif enabled:
        yield passed(f"only current TLS versions: {', '.join(enabled)}", loc)


@rule(
    id="HADOOP-017",
    slug="hadoop-ssl-hostname-verifier-off",
    title="Hadoop TLS clients skip hostname verification (ALLOW_ALL)",
    control="hdfs.confidentiality",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="hadoop.ssl.hostname.verifier=ALLOW_ALL accepts any certificate name, so any "
    "holder of a certificate from the same CA can intercept WebHDFS and KMS traffic.",
    remediation="Set hadoop.ssl.hostname.verifier=DEFAULT (or STRICT).",
    references=(HTTP_AUTH_DOC,),
)
def hostname_verifier(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "hadoop.ssl.hostname.verifier"
    if not judged(conf, key, (Role.CORE, Role.SSL_CLIENT)):
        return
    value = conf.get(key)
    loc = where(conf, key, Role.CORE)
    if value is not None and value.templated:
        yield templated(conf, key, "the hostname verifier", Role.CORE)
    elif (conf.text(key) or "").upper() == "ALLOW_ALL":
        yield fail(
            f"{key}=ALLOW_ALL: server names are not checked",
            loc,
            *evidence(value),
            fix=set_fix(conf, key, "DEFAULT", Role.CORE),
        )
    elif value is not None:
        yield passed(f"hostnames are verified ({key}={value.text})", loc)


_SSL_PASSWORD = re.compile(r"^ssl\.(server|client)\.(keystore|truststore)\.(password|keypassword)$")


def _credential_provider(conf: HadoopConf) -> bool:
    return bool(conf.text("hadoop.security.credential.provider.path"))


@rule(
    id="HADOOP-018",
    slug="hadoop-ssl-literal-password",
    title="Keystore or truststore password written in ssl-server.xml / ssl-client.xml",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Hadoop reads ssl.*.password through Configuration.getPassword(), which asks "
    "the credential providers first; a literal password in the XML is readable by whoever "
    "reads the file and is shown by /conf unless redacted.",
    remediation="Store the passwords in a JCEKS credential store (hadoop credential create "
    "ssl.server.keystore.password -provider jceks://file/...) named by "
    "hadoop.security.credential.provider.path, and remove them from the XML.",
    references=(CREDENTIAL_DOC,),
)
def ssl_literal_password(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    for key in conf.names("ssl."):
        if not _SSL_PASSWORD.match(key):
            continue
        value = conf.get(key)
        if value is None or not value.text:
            continue
        if value.templated:
            yield templated(conf, key, "whether the password is literal", Role.SSL_SERVER)
            continue
        truststore = ".truststore." in key
        yield fail(
            f"{key} is a literal password in the configuration",
            conf.where(key),
            *evidence(value),
            fix=unset_fix(conf, key),
            severity=Severity.MEDIUM if truststore else None,
        )
    if conf.has(Role.SSL_SERVER, Role.SSL_CLIENT) and not any(
        _SSL_PASSWORD.match(k) for k in conf.names("ssl.")
    ):
        path = role_file(conf, Role.SSL_SERVER)
        how = "a credential provider" if _credential_provider(conf) else "no literal"
        yield passed(
            f"no literal keystore passwords in the SSL configuration ({how})", Location(path=path)
        )


# S3A credentials and encryption keys, global or per bucket (judged by rules/storage.py).
S3A_CREDENTIAL = re.compile(
    r"^fs\.s3a\.(?:bucket\.[^.]+\.)?"
    r"(secret\.key|access\.key|session\.token|encryption\.key|server-side-encryption\.key)$"
)

# Keys Hadoop reads through getPassword(), so a credential provider can hold them. S3A
# credentials are judged by rules/storage.py.
PROVIDER_SECRETS = re.compile(
    r"^(hadoop\.security\.group\.mapping\.ldap\.(bind\.password|ssl\.keystore\.password|"
    r"ssl\.truststore\.password)|fs\.azure\.account\.key\..+|fs\.azure\.account\.oauth2\."
    r"client\.secret(\..+)?|fs\.adl\.oauth2\.credential|fs\.gs\.auth\.client\.secret|"
    r"fs\.gs\.auth\.service\.account\.private\.key|dfs\.webhdfs\.oauth2\.credential|"
    r"hadoop\.http\.authentication\.signature\.secret|fs\.oss\.accessKeySecret|"
    r"fs\.cosn\.userinfo\.secretKey|fs\.obs\.secret\.key|"
    r"hadoop\.security\.keystore\.java-keystore-provider\.password)$"
)


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
            *evidence(value),
            fix=unset_fix(conf, key),
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
    id="HADOOP-021",
    slug="hadoop-zookeeper-acl-open",
    title="HA failover state in ZooKeeper is world-writable (ha.zookeeper.acl)",
    control="hdfs.access-control",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="With automatic failover, the ZKFC keeps the active NameNode's lock in ZooKeeper; "
    "the default ACL world:anyone:rwcda lets anyone who reaches ZooKeeper trigger or block "
    "failover.",
    remediation="Set ha.zookeeper.acl=sasl:hdfs:rwcda (with ZooKeeper Kerberos) or a digest "
    "ACL read from a file (@/path).",
    references=(
        "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/"
        "HDFSHighAvailabilityWithQJM.html#Securing_access_to_ZooKeeper",
    ),
)
def zookeeper_acl(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    if not (conf.flag("dfs.ha.automatic-failover.enabled") or conf.is_set("ha.zookeeper.quorum")):
        return
    key = "ha.zookeeper.acl"
    value = conf.get(key)
    loc = where(conf, key, Role.CORE)
    if value is not None and value.templated:
        yield templated(conf, key, "the ZooKeeper ACL", Role.CORE)
    elif any(w.lower().startswith("world:anyone") for w in words(conf.text(key) or "")):
        yield fail(
            f"{key} is {stated(value)}: anyone can change failover state",
            loc,
            *evidence(value),
            fix=set_fix(conf, key, "sasl:hdfs:rwcda", Role.CORE),
        )
    else:
        yield passed("ZooKeeper failover state is access-controlled", loc)


@rule(
    id="HADOOP-022",
    slug="hadoop-ssl-conf-readable",
    title="ssl-server.xml / ssl-client.xml holds literal passwords and is readable by others",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="The SSL configuration should be readable by the service user only; with literal "
    "keystore passwords in it, a group- or world-readable file hands the keystore's private "
    "key to every local user.",
    remediation="Move the passwords into a credential provider; until then chmod 0600 (or 0400) "
    "the file, owned by the service user.",
    references=(SECURE_MODE_DOC,),
)
def ssl_conf_readable(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    holders: dict[str, str] = {}
    for key in conf.names("ssl."):
        value = conf.get(key)
        if _SSL_PASSWORD.match(key) and value is not None and value.text and not value.templated:
            holders.setdefault(conf.where(key).path or "", key)
    for path, key in sorted(holders.items()):
        mode = conf.file_modes.get(path)
        if mode is None:
            continue
        shown_mode = f"{mode:04o}"
        if mode & 0o077:
            yield fail(
                f"{path} holds {key} and has mode {shown_mode}",
                Location(path=path),
                Evidence.of("mode", shown_mode),
                fix=Fix(FixAction.CHMOD, path, "0600"),
                severity=Severity.HIGH if mode & 0o007 else Severity.MEDIUM,
            )
        else:
            yield passed(
                f"{path} holds passwords but only its owner can read it ({shown_mode})",
                Location(path=path),
            )


def _secret_keys(conf: HadoopConf) -> list[str]:
    """Keys holding a literal secret that /conf would show unless redacted (an access key id is
    the public half of the pair: Hadoop's defaults do not redact it)."""
    found = []
    for key in conf.names():
        value = conf.get(key)
        if value is None or not value.text or value.templated or secret_classifier.key_id(key):
            continue
        if secret_classifier.literal_secret(key, value.text) is not None:
            found.append(key)
    return found


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
            re.compile(p.strip()) for p in re.split(r"[,\n]", value.text or "") if p.strip()
        ]
    except re.error:
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
