"""The probe inside every executor of a real Spark cluster (local-cluster: two executor JVMs,
each forking Python workers). Runs under CI=true: it needs only the JDK and pyspark."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers import ROOT, need, run_cli
from triplock.probe.spark import probe_with

from .conftest import MASTER

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_every_executor_reports(spark_context: Any) -> None:
    result = probe_with(spark_context)
    assert result.missing_executors == ()
    executors = [e for h in result.hosts for e in h.executors]
    assert sorted(e.executor_id for e in executors) == ["0", "1"]
    # two distinct executor JVMs, each running the probe in its own Python worker
    assert len({e.jvm_pid for e in executors}) == 2
    assert all(e.jvm_pid and e.python_pid and e.python_pid != e.jvm_pid for e in executors)


def test_hosts_are_aggregated_and_honest(spark_context: Any) -> None:
    (host,) = probe_with(spark_context).hosts  # both executors run on this machine
    assert host.hostname == socket.gethostname()
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        has_sgx = any(" sgx" in line for line in handle if line.startswith("flags"))
    assert host.sgx_cpu == has_sgx
    assert len(host.executors) == 2


def test_cli_joins_the_running_application(spark_context: Any) -> None:
    result = run_cli("probe", "--spark-master", MASTER, "--format", "json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["kind"] == "triplock-probe"
    assert report["missing_executors"] == []
    ids = sorted(e["executor_id"] for h in report["hosts"] for e in h["executors"])
    assert ids == ["0", "1"]
    assert spark_context._jsc is not None  # the shared context is still alive


def test_another_master_in_this_process_is_a_clean_error(spark_context: Any) -> None:
    result = run_cli("probe", "--spark-master", "local-cluster[1,1,512]")
    assert result.code == 2
    assert "already runs a Spark application" in result.err
    assert "Traceback" not in result.err
    assert spark_context.parallelize([1, 2]).count() == 2  # and it was left running


@pytest.mark.timeout(600)
def test_recommended_pyspark_python_without_triplock_works() -> None:
    """issue 16 §5: spark.pyspark.python naming an interpreter without triplock (here the
    system's python3) used to fail with "No module named 'triplock'"; the probe now ships its
    own modules to the executors."""
    system_python = "/usr/bin/python3"
    need(os.path.exists(system_python), system_python)
    proc = subprocess.run(
        [sys.executable, "-m", "triplock", "probe", "--spark-master", "local-cluster[1,1,1024]",
         "--conf", f"spark.pyspark.python={system_python}", "--format", "json"],
        capture_output=True, text=True, timeout=500, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "SPARK_LOCAL_IP": "127.0.0.1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (host,) = json.loads(proc.stdout)["hosts"]
    assert [e["executor_id"] for e in host["executors"]] == ["0"]
