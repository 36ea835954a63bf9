"""A Hadoop credential store written by Hadoop's own CredentialShell without
HADOOP_CREDSTORE_PASSWORD opens with `none`: a CERT-013 finding, not `unknown`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import findings_of, need, need_command, need_module, run_cli


def test_credstore_with_hadoops_default_password_is_a_finding(tmp_path: Path) -> None:
    java = need_command("java")
    pyspark = need_module("pyspark")
    jars = Path(pyspark.__file__).parent / "jars"
    need(any(jars.glob("hadoop-client-api-*.jar")), "pyspark's hadoop-client-api jar")
    store = tmp_path / "s3.jceks"
    env = {k: v for k, v in os.environ.items() if k != "HADOOP_CREDSTORE_PASSWORD"}
    done = subprocess.run(
        [java, "-cp", f"{jars}/*", "org.apache.hadoop.security.alias.CredentialShell",
         "create", "fs.s3a.secret.key", "-value", "CANARY-credstore-6001",
         "-provider", f"jceks://file{store}"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (fail,) = findings_of(result, "CERT-013", "fail")
    assert fail["control"] == "keys.tls-material"
    assert not findings_of(result, "CERT-013", "unknown")
    assert "CANARY" not in result.out
