"""Each traceback of issue 12 item 5, as a whole audit: the bad input is one `errors` entry
naming the file, and the rest of the audit goes on (exit 1 from the good input's finding)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli, write
from triplock.probe.report import KIND

GOOD = "spark.authenticate false\n"  # SPARK-001 fails at high: proof the audit went on
LONG = "9" * 5000  # Python refuses to convert integers of more than 4,300 digits
GRAMINE = 'loader.entrypoint = "file:{{ gramine.libos }}"\nlibos.entrypoint = "/app"\n'

CASES = {
    "probe-hosts-not-a-list": (
        "probe.json",
        json.dumps({"kind": KIND, "hosts": 5}),
        "probe-json: line 1: hosts must be a list, not int",
    ),
    "probe-devices-not-a-list": (
        "probe.json",
        json.dumps({"kind": KIND, "hosts": [{"hostname": "a", "devices": 7}]}),
        "probe-json: line 1: host a: devices must be a list, not int",
    ),
    "probe-long-integer": (
        "probe.json",
        f'{{"kind": "{KIND}", "hosts": [{{"hostname": "a", "n": {LONG}}}]}}',
        "probe-json: a number of 5,000 digits (more than 4,300)",
    ),
    "occlum-long-integer": (
        "Occlum.json",
        f'{{"resource_limits": {{"user_space_size": {LONG}}}}}',
        "enclave-manifest: a number of 5,000 digits (more than 4,300)",
    ),
    "gramine-long-integer": (
        "app.manifest.template",
        f"{GRAMINE}sgx.enclave_size = {LONG}\n",
        "enclave-manifest: not a valid TOML manifest: an integer too long to convert (over "
        "4,300 digits)",
    ),
    "occlum-untrusted-env-not-a-list": (
        "Occlum.json",
        '{"env": {"untrusted": 1.5}}',
        "enclave-manifest: env.untrusted must be a list, not float",
    ),
    "xml-bogus-encoding": (
        "hdfs-site.xml",
        '<?xml version="1.0" encoding="bogus"?>\n<configuration/>\n',
        "hadoop-xml: the XML declaration names an unknown encoding",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_input_is_an_error_entry_and_the_audit_goes_on(tmp_path: Path, case: str) -> None:
    name, text, reason = CASES[case]
    bad = write(tmp_path, f"bad/{name}", text)
    write(tmp_path, "good/spark-defaults.conf", GOOD)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.code == 1, result.err
    report = result.json()
    assert report["errors"] == [{"path": str(bad), "reason": reason}]
    assert [f["rule_id"] for f in report["findings"] if f["status"] == "fail"].count("SPARK-001")


def test_a_nul_in_a_keystore_path_is_no_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.ssl.enabled true\nspark.ssl.keyStore /etc/ks\\u0000.jks\n" + GOOD,
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.code == 1, result.err
    report = result.json()
    assert report["errors"] == []
    assert any(f["rule_id"] == "SPARK-001" for f in report["findings"])


def test_closed_stdin_is_an_error_entry() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "triplock", "audit", "-", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=120,
        preexec_fn=lambda: os.close(0),  # `triplock audit - <&-`
    )
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["errors"] == [
        {"path": "<stdin>", "reason": "standard input is closed"}
    ]


def test_stdin_over_the_limit_is_an_error_entry() -> None:
    result = run_cli("audit", "-", "--max-file-size", "10", "--format", "json", stdin=GOOD)
    assert result.code == 2
    assert result.json()["errors"] == [
        {
            "path": "<stdin>",
            "reason": "too large (more than 10 bytes; limit 10), see --max-file-size",
        }
    ]


@pytest.mark.parametrize("size", ["1e11", "100000000000", "0", "-5"])
def test_an_impossible_max_file_size_is_a_usage_error(size: str) -> None:
    result = run_cli("audit", "-", "--max-file-size", size, stdin=GOOD)
    assert result.code == 2
    assert "argument --max-file-size:" in result.err
