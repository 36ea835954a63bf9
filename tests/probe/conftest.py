from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import need_command, need_module

MASTER = "local-cluster[2,1,1024]"


@pytest.fixture(scope="session")
def spark_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A SparkContext on local-cluster[2,1,1024]: two executor JVMs, each with Python workers
    that import triplock from this venv. One JVM holds one SparkContext, so a session another
    test package already started on the same master (tests/keys) is joined, not replaced."""
    need_command("java")
    pyspark = need_module("pyspark")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master != MASTER:
            pytest.fail(f"a SparkSession on {active.sparkContext.master} is active; need {MASTER}")
        yield active.sparkContext
        return
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # local-cluster workers run executors in SPARK_HOME/work: a private SPARK_HOME (links to
    # the real one) keeps that scratch space ours, away from other test runs in this tree.
    home = tmp_path_factory.mktemp("spark-home")
    real = Path(pyspark.__file__).parent
    for entry in real.iterdir():
        if entry.name != "work":
            (home / entry.name).symlink_to(entry)
    old_home = os.environ.get("SPARK_HOME")
    os.environ["SPARK_HOME"] = str(home)
    session = (
        SparkSession.builder.master(MASTER)
        .appName("triplock-probe-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.executor.memory", "512m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session.sparkContext
    session.stop()
    if old_home is None:
        os.environ.pop("SPARK_HOME", None)
    else:
        os.environ["SPARK_HOME"] = old_home
