"""Bad input for `triplock fix --write`: an unparseable file is not touched and is listed under
errors while the rest is fixed; a read-only file or directory is a clear error and nothing is
written anywhere (fixes in different files depend on each other); SIGTERM and SIGINT during a
write, or during the diff's scratch rounds, end the run with its exit code and leave nothing
behind."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

from tests.helpers import run_cli, write
from triplock.fix import apply

CONF = "spark.authenticate true\nspark.network.crypto.enabled false\n"
SITE = """<?xml version="1.0"?>
<configuration>
  <property>
    <name>hadoop.rpc.protection</name>
    <value>authentication</value>
  </property>
</configuration>
"""


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    conf = write(tmp_path / "deploy", "conf/spark-defaults.conf", CONF)
    site = write(tmp_path / "deploy", "hadoop/core-site.xml", SITE)
    return conf, site


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.name.startswith(".triplock-fix-")]


def test_an_unparseable_file_is_listed_untouched_and_the_rest_is_fixed(tmp_path: Path) -> None:
    conf, site = _tree(tmp_path)
    broken = SITE.replace("</configuration>", "<property><name>x</name>")
    site.write_text(broken)
    result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert site.read_text() == broken
    assert [e["path"] for e in result.json()["errors"]] == [str(site)]
    assert "spark.network.crypto.enabled true\n" in conf.read_text()
    assert result.code == 1  # an error is reported in the exit code


@pytest.mark.parametrize("what", ["file", "directory"])
def test_a_read_only_file_or_directory_is_an_error_and_nothing_is_written(
    tmp_path: Path, what: str
) -> None:
    conf, site = _tree(tmp_path)
    locked = conf if what == "file" else conf.parent
    locked.chmod(0o444 if what == "file" else 0o555)
    try:
        result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    finally:
        conf.parent.chmod(0o755)
    reasons = {e["path"]: e["reason"] for e in result.json()["errors"]}
    expected = (
        "not changed: the file is read-only (mode 0444)"
        if what == "file"
        else f"not changed: its directory {conf.parent} is read-only (mode 0555)"
    )
    assert reasons[str(conf)] == expected
    assert reasons[str(site)] == (
        "not changed: another file cannot be written, so nothing was (see its error)"
    )
    assert result.code == 1
    assert conf.read_text() == CONF and site.read_text() == SITE
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGTERM, 143, "terminated by SIGTERM"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_during_a_write_ends_the_run_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int, code: int, said: str
) -> None:
    conf, site = _tree(tmp_path)
    real_fsync = os.fsync

    def fsync_then_signal(fd: int) -> None:
        real_fsync(fd)
        os.kill(os.getpid(), signum)  # a real signal, delivered mid-write

    monkeypatch.setattr(os, "fsync", fsync_then_signal)
    result = run_cli("fix", "--write", str(tmp_path / "deploy"))
    monkeypatch.undo()
    assert result.code == code and said in result.err
    assert "Traceback" not in result.err
    assert _leftovers(tmp_path) == []
    # The first file written was interrupted before its rename: both are as they were.
    assert conf.read_text() == CONF and site.read_text() == SITE
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_during_the_diffs_scratch_rounds_removes_the_scratch_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    real_prepare = apply.prepare

    def prepare_then_terminated(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert os.listdir(scratch)  # the copy of the tree (with its secrets) exists here
        os.kill(os.getpid(), signal.SIGTERM)
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(apply, "prepare", prepare_then_terminated)
    result = run_cli("fix", str(tmp_path / "deploy"))
    assert result.code == 143
    assert os.listdir(scratch) == []


def test_material_is_not_created_when_an_edit_cannot_be_written(tmp_path: Path) -> None:
    """A generated secret without the edit that puts it to use (or the reverse) is half a
    fix: a created file waits for every edited file, like the edits wait for each other."""
    from triplock.audit import AuditOptions, audit
    from triplock.fix import planner
    from triplock.fix.planner import Created
    from triplock.fix.select import Selection

    conf, _ = _tree(tmp_path)
    roots = [str(tmp_path / "deploy")]
    prepared = apply.prepare(planner.plan(audit(AuditOptions(paths=roots)), Selection()), roots)
    secret = tmp_path / "secrets" / "spark-auth"
    prepared.created[str(secret)] = Created(b"generated", secret=True)
    conf.chmod(0o444)
    errors = {e.path: e.reason for e in apply.write(prepared)}
    assert errors[str(secret)].startswith("not changed: another file cannot be written")
    assert not secret.exists()
