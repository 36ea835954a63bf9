"""Bad input never crashes: each unreadable input is an `errors` entry, the rest is audited."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, need, run_cli, write


def _audit_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a separate process; as root, without the capabilities that bypass file
    permissions, so that a mode-000 file is really unreadable."""
    command = [sys.executable, "-m", "triplock", "audit", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        need(setpriv is not None, "setpriv (util-linux), to drop root's file-permission bypass")
        assert setpriv is not None
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_every_bad_input_is_reported_and_the_rest_audited(tmp_path: Path) -> None:
    write(tmp_path, "good/spark-defaults.conf", "spark.authenticate false\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02binary\xff" * 100)
    with open(tmp_path / "huge.conf", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (tmp_path / "latin1").mkdir()
    (tmp_path / "latin1" / "spark-defaults.conf").write_bytes(b"spark.app.name caf\xe9\n")
    locked = write(tmp_path, "locked/spark-defaults.conf", "spark.authenticate true\n", 0o000)
    (tmp_path / "dangling.conf").symlink_to(tmp_path / "nowhere")

    proc = _audit_subprocess(str(tmp_path), "--format", "json")
    locked.chmod(0o600)

    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    reasons = {Path(e["path"]).name: e["reason"] for e in report["errors"]}
    assert "binary" in reasons["blob.bin"]
    assert "too large" in reasons["huge.conf"]
    assert (
        "UTF-8" in reasons["spark-defaults.conf"] or "permission" in reasons["spark-defaults.conf"]
    )
    by_path = {e["path"]: e["reason"] for e in report["errors"]}
    assert "UTF-8" in by_path[str(tmp_path / "latin1" / "spark-defaults.conf")]
    assert by_path[str(locked)] == "permission denied"
    assert by_path[str(tmp_path / "dangling.conf")] == "broken symbolic link"
    assert [i["path"] for i in report["inputs"]] == [str(tmp_path / "good" / "spark-defaults.conf")]
    assert any(f["status"] == "fail" for f in report["findings"])


def test_only_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    (tmp_path / "dangling.conf").symlink_to(tmp_path / "nowhere")
    result = run_cli("audit", str(tmp_path / "dangling.conf"), "--format", "json")
    assert result.code == 2
    assert result.json()["errors"][0]["reason"] == "broken symbolic link"


def test_no_deployment_files_exit_2(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# nothing to audit\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.code == 2
    assert "no deployment files" in result.err


def test_conf_named_anything_is_classified_by_content(tmp_path: Path) -> None:
    write(tmp_path, "app.conf", "# my app\nspark.authenticate   true\n")
    write(tmp_path, "nginx.conf", "server { listen 443 ssl; }\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert [(Path(i["path"]).name, i["kind"]) for i in result.json()["inputs"]] == [
        ("app.conf", "spark-conf")
    ]


def test_fail_on_threshold(tmp_path: Path) -> None:
    write(tmp_path, "spark-defaults.conf", "spark.authenticate false\n")
    assert run_cli("audit", str(tmp_path), "--format", "json").code == 1
    assert run_cli("audit", str(tmp_path), "--format", "json", "--fail-on", "critical").code == 0


def test_version_is_fast_path() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "triplock", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=True,
    )
    assert proc.stdout.startswith("triplock ")
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
    # Lazy imports: nothing heavy is loaded just to print the version.
    assert not imported & {"rich", "yaml", "cryptography", "triplock.audit", "triplock.rules"}
