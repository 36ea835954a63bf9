"""The bundled kms-acls.xml (every operation `*`) after `fix --write`, read by Hadoop's own
Configuration and AccessControlList (tests/fixtures/hadoop/AclCheck.java on pyspark's Hadoop
jars): the KMS keeps serving HDFS transparent encryption (the NameNode's hdfs may read key
metadata and generate encrypted keys, and is blacklisted from decrypting them), key
administration is denied to everyone, and who decrypts is left to the user, not locked out."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.helpers import ROOT, need, need_command, run_cli
from tests.helpers.jvm import HADOOP_JARS

ACLS = ROOT / "examples" / "spark-on-k8s" / "insecure" / "hadoop" / "kms-acls.xml"
PROGRAM = ROOT / "tests" / "fixtures" / "hadoop" / "AclCheck.java"
ADMIN_OPERATIONS = ("CREATE", "DELETE", "ROLLOVER", "GET", "GET_KEYS", "SET_KEY_MATERIAL")


def _allowed(path: Path, questions: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    java = need_command("java")
    need(any(HADOOP_JARS.glob("hadoop-client-api-*.jar")), "pyspark's hadoop-client-api jar")
    spec = "".join(f"{key} {user}\n" for key, user in questions)
    out = subprocess.run(
        [java, "-cp", f"{HADOOP_JARS}/*", str(PROGRAM), str(path)],
        input=spec,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines() if line.count("\t") == 2]
    return {(key, user): result for key, user, result in rows}


def test_fixed_kms_acls_keep_the_namenode_working_and_deny_administration(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "hadoop"
    tree.mkdir()
    acls = tree / "kms-acls.xml"
    shutil.copy(ACLS, acls)
    result = run_cli("fix", "--write", "--format", "json", str(tree))
    assert result.json()["errors"] == []
    questions = [
        (f"{prefix}{op}", user)
        for prefix, ops in (
            ("hadoop.kms.acl.", (*ADMIN_OPERATIONS, "GENERATE_EEK", "GET_METADATA", "DECRYPT_EEK")),
            ("default.key.acl.", ("MANAGEMENT", "GENERATE_EEK", "READ", "DECRYPT_EEK")),
            ("hadoop.kms.blacklist.", ("DECRYPT_EEK",)),
        )
        for op in ops
        for user in ("hdfs", "alice")
    ]
    before, after = _allowed(ACLS, questions), _allowed(acls, questions)
    assert before[("hadoop.kms.acl.CREATE", "alice")] == "true"  # the reader sees `*` as all
    for op in ADMIN_OPERATIONS:  # unset would default to `*`: each is written as nobody
        assert after[(f"hadoop.kms.acl.{op}", "hdfs")] == "false", op
        assert after[(f"hadoop.kms.acl.{op}", "alice")] == "false", op
    assert after[("default.key.acl.MANAGEMENT", "alice")] == "false"
    for key in ("hadoop.kms.acl.GENERATE_EEK", "hadoop.kms.acl.GET_METADATA"):
        assert (after[(key, "hdfs")], after[(key, "alice")]) == ("true", "false"), key
    for key in ("default.key.acl.GENERATE_EEK", "default.key.acl.READ"):
        assert (after[(key, "hdfs")], after[(key, "alice")]) == ("true", "false"), key
    assert after[("hadoop.kms.blacklist.DECRYPT_EEK", "hdfs")] == "true"
    assert after[("hadoop.kms.blacklist.DECRYPT_EEK", "alice")] == "false"
    # Who reads the encryption zones only the user knows: left as it was, and said why.
    for key in ("hadoop.kms.acl.DECRYPT_EEK", "default.key.acl.DECRYPT_EEK"):
        assert after[(key, "alice")] == before[(key, "alice")] == "true"
    why = {
        r["location"].get("object"): r["why"]
        for r in result.json()["remaining"]
        if r["rule_id"] in ("KMS-005", "KMS-006")
    }
    assert why == {
        key: f"needs a value only you know: {key} = "
        "<users and groups that read the encryption zones>"
        for key in ("hadoop.kms.acl.DECRYPT_EEK", "default.key.acl.DECRYPT_EEK")
    }
