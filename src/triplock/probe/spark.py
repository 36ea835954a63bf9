"""Run the host probe inside every executor of a Spark cluster and aggregate by host.

Each task runs in an executor's Python worker, probes the host it lands on and says which
executor (and JVM) it ran in. Tasks are spread over all registered executors; rounds repeat
until every executor the driver knows has reported, and the ones that never did are listed.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from triplock.facts.tee import Executor, HostTee
from triplock.probe.host import probe_host

_LOG_URL_EXECUTOR = re.compile(r"[?&]executorId=([^&]+)")
_TASK_SECONDS = 0.3  # long enough that the scheduler hands tasks to every free executor


@dataclass(frozen=True, slots=True)
class ClusterProbe:
    hosts: list[HostTee]
    missing_executors: tuple[str, ...]


def probe_cluster(master: str, conf: dict[str, str] | None = None, rounds: int = 3) -> ClusterProbe:
    """Start (or join) a Spark application on `master` and probe every executor's host."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master != master:
            # getOrCreate() would hand back that application, and stopping it is not ours to do
            raise RuntimeError(
                f"this process already runs a Spark application on {active.sparkContext.master}"
            )
        return probe_with(active.sparkContext, rounds)
    if master.startswith("local"):
        # Local executors fork workers from PYSPARK_PYTHON (read by the driver's SparkContext,
        # not from spark.pyspark.python): this interpreter, the one that has triplock.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("triplock-probe")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        with tempfile.TemporaryDirectory(prefix="triplock-probe-") as scratch:
            spark.sparkContext.addPyFile(package_zip(scratch))
            return probe_with(spark.sparkContext, rounds)
    finally:
        spark.stop()


def package_zip(directory: str) -> str:
    """triplock's own modules in a zip for the executors' Python workers, which may run an
    interpreter without triplock (spark.pyspark.python): the probe needs only the standard
    library besides them."""
    package = Path(__file__).resolve().parent.parent
    path = os.path.join(directory, "triplock.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(package.rglob("*.py")):
            archive.write(source, Path("triplock") / source.relative_to(package))
    return path


def probe_with(sc: Any, rounds: int = 3, wait_seconds: float = 120.0) -> ClusterProbe:
    """Probe through an existing SparkContext."""
    expected = _wait_for_executors(sc, wait_seconds)
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        slots = max(int(sc.defaultParallelism), len(expected), 1)
        rows = sc.parallelize(range(slots * 2), slots * 2).mapPartitions(_probe_task).collect()
        for row in rows:
            seen.setdefault(row["executor"]["executor_id"], row)
        expected |= _executor_ids(sc)
        if expected <= seen.keys():
            break
    return ClusterProbe(_by_host(seen.values()), tuple(sorted(expected - seen.keys())))


def _executor_ids(sc: Any) -> set[str]:
    ids = sc._jsc.sc().getExecutorIds()
    return {str(ids.apply(i)) for i in range(ids.size())}


def _wanted(sc: Any) -> int | None:
    """How many executors the application asked for, where the master or conf says."""
    m = re.match(r"local-cluster\[\s*(\d+)", sc.master)
    if m:
        return int(m.group(1))
    instances = sc.getConf().get("spark.executor.instances")
    return int(instances) if instances and instances.isdigit() else None


def _wait_for_executors(sc: Any, seconds: float) -> set[str]:
    """The executors once as many as requested registered (or, when the number is unknown,
    once at least one did and none joined for a few seconds), or when time runs out."""
    wanted = _wanted(sc)
    deadline = time.monotonic() + seconds
    ids, stable_since = _executor_ids(sc), time.monotonic()
    while time.monotonic() < deadline:
        if wanted is not None and len(ids) >= wanted:
            break
        if wanted is None and ids and time.monotonic() - stable_since > 3:
            break
        time.sleep(0.2)
        now = _executor_ids(sc)
        if now != ids:
            ids, stable_since = now, time.monotonic()
    return ids


def _probe_task(_: Iterable[int]) -> Iterator[dict[str, Any]]:
    """Runs in an executor's Python worker."""
    time.sleep(_TASK_SECONDS)
    host = probe_host("/", hostname=os.environ.get("TRIPLOCK_NODE_NAME"))
    yield {"host": host.to_dict(), "executor": _this_executor().to_dict()}


def _this_executor() -> Executor:
    jvm = _ancestor("java")
    executor_id = os.environ.get("SPARK_EXECUTOR_ID")  # set in Kubernetes executor pods
    if not executor_id:
        url = os.environ.get("SPARK_LOG_URL_STDERR", "")  # set by standalone workers
        m = _LOG_URL_EXECUTOR.search(url)
        executor_id = m.group(1) if m else f"jvm-{jvm or os.getppid()}"
    return Executor(executor_id, os.getpid(), jvm)


def _ancestor(command: str, depth: int = 4) -> int | None:
    """The pid of the nearest ancestor process named `command` (the executor JVM)."""
    pid = os.getpid()
    for _ in range(depth):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            return None
        pid = int(stat.rpartition(")")[2].split()[1])
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
                if handle.read().strip() == command:
                    return pid
        except OSError:
            return None
    return None


def _by_host(rows: Iterable[dict[str, Any]]) -> list[HostTee]:
    hosts: dict[str, HostTee] = {}
    for row in rows:
        host = HostTee.from_dict(row["host"])
        executor = Executor.from_dict(row["executor"])
        known = hosts.get(host.hostname, host)
        hosts[host.hostname] = replace(known, executors=(*known.executors, executor))
    return [
        replace(h, executors=tuple(sorted(h.executors, key=lambda e: e.executor_id)))
        for _, h in sorted(hosts.items())
    ]
