"""A real Spark RPC port (a standalone master started from pyspark's own JVM launcher) is
recognised and reported as Spark RPC, not TLS, with why its encryption is not TLS."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import need_command, need_module, run_cli
from tests.tlsscan.farm import free_port, wait_listening
from triplock.tlsscan.identify import is_spark_rpc_reply, spark_rpc_request

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    pyspark = need_module("pyspark")
    need_command("java")
    home = Path(pyspark.__file__).parent
    port, webui = free_port(), free_port()
    logs = tmp_path_factory.mktemp("spark-master")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(logs)}
    process = subprocess.Popen(
        [str(home / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master",
         "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(webui)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_listening(port, process, timeout=90)
        wait_listening(webui, process, timeout=90)  # the master starts its UI once RPC is up
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_scan_says_a_spark_rpc_port_speaks_spark_rpc_not_tls(spark_master: int) -> None:
    result = run_cli("scan", f"127.0.0.1:{spark_master}", "--format", "json", "--timeout", "10")
    assert result.code == 2  # no endpoint answered TLS
    (endpoint,) = result.json()["endpoints"]
    assert endpoint["error"].startswith("Spark RPC on the port, not TLS"), endpoint["error"]
    assert "spark.network.crypto.enabled" in endpoint["error"]
    assert endpoint["grade"] is None and endpoint["cipher_suites"] == {}


def test_the_rpc_probe_tells_spark_from_other_bytes() -> None:
    frame = spark_rpc_request()
    failure = frame[:8] + bytes([5]) + frame[9:17] + b"\x00\x00\x00\x05oops!"
    assert is_spark_rpc_reply(failure)
    assert not is_spark_rpc_reply(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert not is_spark_rpc_reply(failure[:8] + bytes([5]) + bytes(8))  # another request id
