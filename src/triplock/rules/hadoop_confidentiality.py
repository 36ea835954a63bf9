"""Hadoop rules for control hdfs.confidentiality: RPC protection, block transfer (SASL or
dfs.encrypt.data.transfer) and its cipher, HTTPS, trusted channels and hostname verification
(HADOOP-003, 006-010, 017)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._hadoop_common import (
    CLUSTER,
    HDFS,
    HTTP_AUTH_DOC,
    SECURE_MODE_DOC,
    expect_word,
    judged,
    set_fix,
    stated,
    templated,
    unset_fix,
    where,
    words,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule


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
            *evidence_of(value),
            fix=fix,
            severity=Severity.MEDIUM,
        )
    else:
        yield fail(
            f"{key} is {stated(value)}: RPC is not encrypted", loc, *evidence_of(value), fix=fix
        )


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
            *evidence_of(protection),
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
            *evidence_of(protection),
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
            *evidence_of(policy),
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
    "SWEET32) by default, or RC4 (broken). With AES the algorithm only protects key exchange. "
    "SASL protection `privacy` (dfs.data.transfer.protection) negotiates AES only when the "
    "cipher suites are set too (SaslDataTransferClient); otherwise DIGEST-MD5 encrypts with "
    "3DES or RC4.",
    remediation="Set dfs.encrypt.data.transfer.cipher.suites=AES/CTR/NoPadding and "
    "dfs.encrypt.data.transfer.cipher.key.bitlength=256.",
    references=(SECURE_MODE_DOC + "#Data_Encryption_on_Block_data_transfer.",),
)
def block_cipher(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    protection = {w.lower() for w in words(conf.text("dfs.data.transfer.protection") or "")}
    sasl = "privacy" in protection and not conf.flag("dfs.encrypt.data.transfer")
    if not (sasl or conf.flag("dfs.encrypt.data.transfer")):
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
                *evidence_of(conf.get(bits_key)),
                fix=set_fix(conf, bits_key, "256", Role.HDFS),
                severity=Severity.LOW,
            )
        return
    algorithm = "DIGEST-MD5's 3des or rc4" if sasl else (conf.text(algorithm_key) or "3des").lower()
    yield fail(
        f"no AES cipher suite: block data is encrypted with {algorithm}",
        where(conf, suites_key, Role.HDFS),
        *evidence_of(conf.get(algorithm_key)),
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
            *evidence_of(conf.get(key)),
            fix=unset_fix(conf, key),
        )
    elif conf.flag("dfs.encrypt.data.transfer"):
        yield passed(
            "no trusted-channel resolver: every block transfer is encrypted",
            where(conf, key, Role.HDFS),
        )


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
            *evidence_of(value),
            fix=set_fix(conf, key, "DEFAULT", Role.CORE),
        )
    elif value is not None:
        yield passed(f"hostnames are verified ({key}={value.text})", loc)
