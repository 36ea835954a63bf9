"""Bad input never crashes: each unreadable input is an `errors` entry, the rest is audited."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli, write
from tests.unprivileged import run_unprivileged
from triplock import formats

GOOD = "spark.authenticate false\n"


def test_every_bad_input_is_reported_and_the_rest_audited(tmp_path: Path) -> None:
    write(tmp_path, "good/spark-defaults.conf", "spark.authenticate false\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02binary\xff" * 100)
    with open(tmp_path / "huge.conf", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (tmp_path / "latin1").mkdir()
    (tmp_path / "latin1" / "spark-defaults.conf").write_bytes(b"spark.app.name caf\xe9\n")
    locked = write(tmp_path, "locked/spark-defaults.conf", "spark.authenticate true\n", 0o000)
    (tmp_path / "dangling.conf").symlink_to(tmp_path / "nowhere")

    proc = run_unprivileged("audit", str(tmp_path), "--format", "json")
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


def test_a_directory_without_the_execute_bit_is_an_error_not_silence(tmp_path: Path) -> None:
    write(tmp_path, "good/spark-defaults.conf", GOOD)
    write(tmp_path, "noexec/spark-defaults.conf", GOOD)
    write(tmp_path, "noexec/other.conf", GOOD)
    write(tmp_path, "noread/spark-defaults.conf", GOOD)
    (tmp_path / "noexec").chmod(0o644)  # listable, not searchable
    (tmp_path / "noread").chmod(0o311)  # searchable, not listable
    try:
        proc = run_unprivileged("audit", str(tmp_path), "--format", "json")
    finally:
        (tmp_path / "noexec").chmod(0o755)
        (tmp_path / "noread").chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == [
        {
            "path": str(tmp_path / "noexec"),
            "reason": "permission denied: the directory can be listed but not searched, so "
            "its entries (2) were not read",
        },
        {"path": str(tmp_path / "noread"), "reason": "permission denied"},
    ]
    assert [i["path"] for i in report["inputs"]] == [str(tmp_path / "good" / "spark-defaults.conf")]


@pytest.fixture
def tree_with_links_out(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    write(outside, "spark-defaults.conf", GOOD)
    write(outside, "conf/core-site.xml", "<configuration/>\n")
    tree = tmp_path / "tree"
    write(tree, "own/spark-defaults.conf", GOOD)
    (tree / "linked.conf").symlink_to(outside / "spark-defaults.conf")
    (tree / "linked-dir").symlink_to(outside / "conf")
    (tree / "own" / "inside.conf").symlink_to(tree / "own" / "spark-defaults.conf")
    (tree / "own" / "loop").symlink_to(tree)
    return tree


def test_links_out_of_the_tree_are_reported_not_followed(tree_with_links_out: Path) -> None:
    tree = tree_with_links_out
    result = run_cli("audit", str(tree), "--format", "json")
    report = result.json()
    assert report["errors"] == [
        {
            "path": str(tree / "linked-dir"),
            "reason": "link to a directory outside the audited tree; not followed "
            "(--follow-symlinks follows it)",
        },
        {
            "path": str(tree / "linked.conf"),
            "reason": "link to a file outside the audited tree; not followed "
            "(--follow-symlinks follows it)",
        },
    ]
    assert sorted(i["path"] for i in report["inputs"]) == [
        str(tree / "own" / "inside.conf"),
        str(tree / "own" / "spark-defaults.conf"),
    ]


def test_follow_symlinks_reads_them_and_walks_each_directory_once(
    tree_with_links_out: Path,
) -> None:
    tree = tree_with_links_out
    result = run_cli("audit", str(tree), "--format", "json", "--follow-symlinks")
    report = result.json()
    assert report["errors"] == []
    assert sorted(i["path"] for i in report["inputs"]) == [
        str(tree / "linked-dir" / "core-site.xml"),
        str(tree / "linked.conf"),
        str(tree / "own" / "inside.conf"),
        str(tree / "own" / "spark-defaults.conf"),
    ]


def test_a_fifo_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    # A path the user names may be a stream (`mkfifo`, `/dev/stdin`, `<(...)`).
    fifo = tmp_path / "spark-defaults.conf"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(GOOD))
    writer.start()
    result = run_cli("audit", str(fifo), "--format", "json")
    writer.join()
    assert result.code == 1, result.err
    assert [i["kind"] for i in result.json()["inputs"]] == ["spark-conf"]


def _holds_open(pid: int, path: Path) -> bool:
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


def test_an_audit_waiting_for_a_fifos_writer_ends_on_ctrl_c(tmp_path: Path) -> None:
    """A named FIFO nobody writes is waited for, as `cat` waits; Ctrl-C still ends the run."""
    fifo = tmp_path / "spark-defaults.conf"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "triplock", "audit", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        # SIGINT as a terminal delivers it (a background job may inherit it ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not _holds_open(proc.pid, fifo):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in err.decode()


def test_a_fifo_found_in_the_tree_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "spark-defaults.conf")
    write(tmp_path, "conf/spark-defaults.conf", GOOD)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert result.code == 1 and result.json()["errors"] == []


@pytest.mark.parametrize("fmt", formats.names())
def test_names_that_are_not_utf8_are_errors_every_format_can_show(tmp_path: Path, fmt: str) -> None:
    root = bytes(tmp_path)
    os.makedirs(root + b"/caf\xe9")
    with open(root + b"/caf\xe9/spark-defaults.conf", "wb") as handle:
        handle.write(GOOD.encode())
    with open(root + b"/spark\xff.conf", "wb") as handle:
        handle.write(GOOD.encode())
    write(tmp_path, "good/spark-defaults.conf", GOOD)
    result = run_cli("audit", str(tmp_path), "--format", fmt)
    assert result.code == 1, result.err
    if fmt != "summary":  # the one format that shows counts only
        assert "caf\\xe9" in result.out.replace("\\\\", "\\")
    if fmt == "json":
        assert result.json()["errors"] == [
            {"path": f"{tmp_path}/caf\\xe9", "reason": "the name is not UTF-8; not read"},
            {"path": f"{tmp_path}/spark\\xff.conf", "reason": "the name is not UTF-8; not read"},
        ]
