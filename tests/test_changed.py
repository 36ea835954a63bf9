"""--changed-since: the whole tree is read, only findings in changed files are reported."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import need_command, run_cli

CONF = "spark.authenticate false\n"
SUBMIT = "#!/bin/sh\ncurl -k https://kms.example:9600/kms/v1/keys\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    need_command("git")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "spark-defaults.conf").write_text(CONF)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "submit.sh").write_text(SUBMIT)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def _paths(*args: str) -> set[str]:
    result = run_cli("audit", ".", "--format", "json", *args)
    return {Path(f["location"]["path"]).name for f in result.json()["findings"]}


def test_only_findings_in_changed_files_are_reported(repo: Path) -> None:
    assert _paths() >= {"spark-defaults.conf", "submit.sh"}
    assert _paths("--changed-since", "HEAD") == set()
    (repo / "bin" / "submit.sh").write_text(SUBMIT + "curl --insecure https://a.example\n")
    assert _paths("--changed-since", "HEAD") == {"submit.sh"}


def test_untracked_and_committed_changes_count(repo: Path) -> None:
    (repo / "conf" / "extra.conf").write_text("spark.network.crypto.enabled false\n")
    assert _paths("--changed-since", "HEAD") == {"extra.conf"}
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "more")
    assert _paths("--changed-since", "HEAD~1") == {"extra.conf"}


def test_the_whole_tree_is_still_read_for_context(repo: Path) -> None:
    (repo / "bin" / "submit.sh").write_text(SUBMIT + "\n")
    result = run_cli("audit", ".", "--format", "json", "--changed-since", "HEAD")
    inputs = {Path(i["path"]).name for i in result.json()["inputs"]}
    assert inputs == {"spark-defaults.conf", "submit.sh"}


@pytest.mark.parametrize("ref", ["no-such-ref", "--output=x"])
def test_a_bad_ref_is_a_usage_error(repo: Path, ref: str) -> None:
    result = run_cli("audit", ".", "--format", "json", f"--changed-since={ref}")
    assert result.code == 2
    assert "--changed-since" in result.err and result.out == ""


def test_outside_a_git_work_tree_is_a_usage_error(tmp_path: Path) -> None:
    need_command("git")
    (tmp_path / "spark-defaults.conf").write_text(CONF)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run_cli("audit", ".", "--changed-since", "HEAD")
    finally:
        os.chdir(old)
    assert result.code == 2
    assert "--changed-since" in result.err
