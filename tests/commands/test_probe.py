from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli

HOSTS = ROOT / "tests" / "fixtures" / "tee" / "hosts"


def test_json_report_of_a_recorded_host() -> None:
    result = run_cli("probe", "--root", str(HOSTS / "tdx"), "--format", "json")
    assert result.code == 0
    report = result.json()
    assert report["kind"] == "triplock-probe" and report["schema_version"] == "1.0"
    (host,) = report["hosts"]
    assert host["hostname"] == "tdx-guest-1" and host["tees"] == ["tdx"]


def test_jsonl_is_one_line() -> None:
    result = run_cli("probe", "--root", str(HOSTS / "sgx"), "--format", "jsonl")
    assert result.out.count("\n") == 1
    assert json.loads(result.out)["hosts"][0]["sgx"]["enclave_device"] == "/dev/sgx_enclave"


def test_table_says_no_tee_honestly() -> None:
    result = run_cli("probe", "--root", str(HOSTS / "plain"), "--format", "table")
    assert result.code == 0
    assert "plain-node-1" in result.out
    assert "No TEE present on 1 of 1 host(s)" in result.out


def test_hostname_override_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    result = run_cli(
        "probe",
        "--root",
        str(HOSTS / "sgx"),
        "--hostname",
        "node-7",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.code == 0 and result.out == ""
    assert json.loads(out.read_text())["hosts"][0]["hostname"] == "node-7"


def test_this_machine() -> None:
    result = run_cli("probe", "--format", "json")
    assert result.code == 0
    (host,) = result.json()["hosts"]
    assert set(host) >= {"hostname", "tees", "sgx", "tdx_guest", "sev_snp_guest", "libos"}


def test_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("probe", "--root", str(tmp_path / "nope"))
    assert result.code == 2
    assert "not a directory" in result.err


def test_bad_conf_is_a_usage_error() -> None:
    result = run_cli("probe", "--spark-master", "local[1]", "--conf", "novalue")
    assert result.code == 2
    assert "KEY=VALUE" in result.err


# A local master's executors are this host: probed directly (issue 16 §5: it used to start
# Spark, take minutes and print hundreds of WARN lines).
@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]"])
def test_local_master_is_this_host(master: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "triplock", "probe", "--spark-master", master, "-f", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (host,) = json.loads(proc.stdout)["hosts"]
    assert host["hostname"] == socket.gethostname()
    assert "probed directly" in proc.stderr
    assert "WARN" not in proc.stderr  # no Spark was started


def test_auth_secret_file_must_be_readable(tmp_path: Path) -> None:
    missing = run_cli("probe", "--spark-master", "local[1]", "--auth-secret-file", "/nonexistent")
    assert missing.code == 2 and "--auth-secret-file /nonexistent" in missing.err
    empty = tmp_path / "secret"
    empty.write_text("\n")
    result = run_cli("probe", "--spark-master", "local[1]", "--auth-secret-file", str(empty))
    assert result.code == 2 and "empty" in result.err


def test_secret_on_the_command_line_is_warned_about_and_not_echoed() -> None:
    secret = "CANARY-probe-conf-secret"
    result = run_cli(
        "probe", "--spark-master", "local[1]", "--conf", f"spark.authenticate.secret={secret}",
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "shows in ps" in result.err and "--auth-secret-file" in result.err
    assert secret not in result.err and secret not in result.out


def test_spark_failure_shows_the_executors_python_error() -> None:
    from triplock.commands.probe import _cause

    spark_text = (
        "An exception was thrown from the Python worker:\n"
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/worker.py", line 1, in main\n'
        "ModuleNotFoundError: No module named 'triplock'\n"
        "\tat org.apache.spark.api.python.BasePythonRunner.handlePythonException(Runner.scala:1)\n"
    )
    assert _cause(Exception(spark_text)) == "ModuleNotFoundError: No module named 'triplock'"
    assert _cause(Exception("An error occurred while calling None.x\n\tat y")) == (
        "An error occurred while calling None.x"
    )
