"""Hadoop rules for control hdfs.access-control: service authorization, block access tokens,
HDFS permissions and ACLs, open instrumentation servlets and the ZooKeeper failover ACL
(HADOOP-002, 005, 011, 012, 015, 021)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role
from triplock.model import Severity
from triplock.rules._hadoop_common import (
    CLUSTER,
    HDFS,
    HTTP_AUTH_DOC,
    SECURE_MODE_DOC,
    expect_flag,
    set_fix,
    stated,
    templated,
    where,
    words,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule


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
            *evidence_of(value),
            fix=set_fix(conf, key, "sasl:hdfs:rwcda", Role.CORE),
        )
    else:
        yield passed("ZooKeeper failover state is access-controlled", loc)
