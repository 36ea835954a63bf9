"""Hadoop rule for control rest.storage: the DataNodes' block directories (HADOOP-013)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role
from triplock.model import Severity
from triplock.rules._hadoop_common import (
    HDFS,
    SECURE_MODE_DOC,
    judged,
    set_fix,
    templated,
    where,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule, unknown


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
        yield unknown(f"{key} is not an octal mode", loc, *evidence_of(value))
    elif int(text, 8) & 0o077:
        yield fail(
            f"{key}={text}: block files are readable beyond the hdfs user",
            loc,
            *evidence_of(value),
            fix=set_fix(conf, key, "700", Role.HDFS),
        )
    else:
        yield passed(f"block directories are private: {key}={text}", loc)
