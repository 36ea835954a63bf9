"""Scale-out: encrypt or decrypt a directory tree on a Spark cluster, one partition of files per
task, with the same format and KMS as one machine.

The driver lists the tree and balances files across partitions by size; each task opens the KMS
from a picklable KmsSpec (which names the passphrase or PIN file, never its value) and processes
its files. The tree must be on a file system that every executor mounts at the same path (NFS,
a shared volume); the KMS keyring or HSM must be reachable from every executor too.

Python API:
    from triplock.keys.spark import spark_session, run_tree
    with spark_session("spark://master:7077") as spark:
        results = run_tree(spark, spec, Path("/data/in"), Path("/data/out"), encrypt=True)
"""

from __future__ import annotations

import heapq
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triplock.keys.envelope import Job, JobResult, plan_tree, run_jobs
from triplock.keys.kms import open_kms
from triplock.keys.kms.interface import KmsError, KmsSpec

EXECUTOR_WAIT_SECONDS = 120.0


class ClusterError(Exception):
    """A Spark cluster that gives no executor to run on."""


@contextmanager
def spark_session(
    master: str, app_name: str = "triplock-encrypt", wait: float = EXECUTOR_WAIT_SECONDS
) -> Iterator[Any]:
    """A SparkSession whose Python workers run this interpreter (so they import triplock).

    An active session of this process is reused (and left running); one created here is
    stopped on exit. A cluster master that has given no executor after `wait` seconds raises
    ClusterError: Spark itself would wait for one forever."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return

    builder = SparkSession.builder.master(master).appName(app_name)
    if master.startswith(("local", "local-cluster")):
        # Keep a local run on loopback; a real cluster decides its own addresses.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    try:
        session = builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    except Exception as e:  # Py4JJavaError and friends: Spark's own message, not a traceback
        reason = next((line for line in str(e).splitlines() if "Exception:" in line), str(e))
        raise ClusterError(f"cannot start Spark on {master}: {reason.strip()}") from None
    try:
        wait_for_executors(session, master, wait)
        yield session
    finally:
        session.stop()


def wait_for_executors(session: Any, master: str, seconds: float) -> None:
    """Return once an executor has registered; local[N] masters run tasks in the driver."""
    if master == "local" or master.startswith("local["):
        return
    deadline = time.monotonic() + seconds
    status = session.sparkContext._jsc.sc().getExecutorMemoryStatus
    while status().size() < 2:  # the driver's block manager, and one executor's
        if time.monotonic() >= deadline:
            raise ClusterError(
                f"no Spark executor started on {master} within {seconds:g} s: no worker has "
                "the cores and memory an executor asks for (spark.executor.cores, "
                "spark.executor.memory), or the workers cannot reach this driver "
                "(spark.driver.host); the master's web UI says which (raise the bound with "
                "--spark-wait)"
            )
        time.sleep(0.5)


def balance(jobs: list[Job], partitions: int) -> list[list[Job]]:
    """Greedy longest-processing-time split: biggest files first, each to the lightest group."""
    groups: list[list[Job]] = [[] for _ in range(max(1, min(partitions, len(jobs))))]
    heap = [(0, i) for i in range(len(groups))]
    for job in sorted(jobs, key=lambda j: -j.size):
        load, i = heapq.heappop(heap)
        groups[i].append(job)
        heapq.heappush(heap, (load + job.size + 1, i))
    return groups


def _task(
    spec: KmsSpec, src: str, dst: str, encrypt: bool, force: bool
) -> Callable[[Iterable[list[Job]]], Iterator[tuple[str, int, str | None]]]:
    def run(groups: Iterable[list[Job]]) -> Iterator[tuple[str, int, str | None]]:
        jobs = [job for group in groups for job in group]
        if not jobs:
            return
        try:
            kms = open_kms(spec)
        except KmsError as e:
            for job in jobs:
                yield job.relative, 0, f"KMS on executor: {e}"
            return
        # Spark already runs one task per executor core: one encryption thread per task.
        for r in run_jobs(kms, Path(src), Path(dst), jobs, encrypt, force, workers=1):
            yield r.relative, r.bytes, r.error

    return run


def run_tree(
    spark: Any,
    spec: KmsSpec,
    src: Path,
    dst: Path,
    encrypt: bool,
    force: bool = False,
    partitions: int | None = None,
) -> list[JobResult]:
    """Encrypt (or decrypt) every file under `src` into `dst` on the cluster behind `spark`."""
    src, dst = Path(src).resolve(), Path(dst).resolve()
    jobs = plan_tree(src, dst, encrypt, force)
    if not jobs:
        return []
    sc = spark.sparkContext
    groups = balance(jobs, partitions or sc.defaultParallelism)
    rdd = sc.parallelize(groups, len(groups))
    rows = rdd.mapPartitions(_task(spec, str(src), str(dst), encrypt, force)).collect()
    return sorted((JobResult(rel, n, err) for rel, n, err in rows), key=lambda r: r.relative)
