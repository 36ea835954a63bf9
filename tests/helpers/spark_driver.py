"""A real Spark application for the tests that look at its web UI: a local-master pyspark
driver in its own Python process (so that its SSL settings cannot clash with a SparkSession
other tests share), started with the settings given and stopped when the block ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import need, need_command, need_module

_DRIVER = textwrap.dedent(
    """
    import sys
    from pyspark.sql import SparkSession
    conf = dict(arg.split("=", 1) for arg in sys.argv[1:])
    builder = SparkSession.builder.master("local[1]").appName("triplock-ui-tls")
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    print("ready", flush=True)
    sys.stdin.read()
    spark.stop()
    """
)
LOOPBACK = {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1"}


@contextmanager
def spark_driver(conf: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """The running driver, its SparkContext (and so its UI) up; it stops when stdin closes."""
    need_module("pyspark")
    need_command("java")
    process = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, *(f"{k}={v}" for k, v in {**LOOPBACK, **conf}.items())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        need(process.stdout.readline().startswith(b"ready"), "a Spark driver that starts")
        yield process
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
