"""`triplock fix`: a diff by default, atomic idempotent writes with --write, a re-audit of
what is left; waivers and --only/--exclude respected; refusals leave files untouched."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.helpers import run_cli, write
from triplock.fix import apply, planner
from triplock.fix.select import Selection
from triplock.fix.write import WriteRefused, write_atomic
from triplock.interrupt import Terminated

SECRET = "CANARYs3cr3tV4lu3xQ9zW"
CONF = f"""# demo conf, crypto off
spark.master                  local[2]
spark.authenticate            true
spark.authenticate.secret     {SECRET}

# was too slow
spark.network.crypto.enabled  false
spark.io.encryption.enabled   false
spark.authenticate.enableSaslEncryption true
spark.hadoop.fs.s3a.secret.key {SECRET}
"""


def _tree(tmp_path: Path, text: str = CONF) -> Path:
    conf = write(tmp_path / "deploy", "conf/spark-defaults.conf", text, mode=0o640)
    return conf


def test_default_prints_a_diff_changes_nothing_and_exits_1(tmp_path: Path) -> None:
    conf = _tree(tmp_path)
    result = run_cli("fix", str(tmp_path / "deploy"))
    assert result.code == 1
    assert conf.read_text() == CONF
    assert "-spark.network.crypto.enabled  false\n" in result.out
    assert "+spark.network.crypto.enabled  true\n" in result.out
    assert "-spark.authenticate.enableSaslEncryption true\n" in result.out
    assert SECRET not in result.out + result.err
    assert "run with --write" in result.err


def test_write_applies_keeps_mode_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    conf = _tree(tmp_path)
    witness = tmp_path / "witness"  # outside the audited tree
    os.link(conf, witness)  # a second name of the original inode
    first = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert first.code == 0, first.err
    text = conf.read_text()
    assert "spark.network.crypto.enabled  true\n" in text
    assert "spark.io.encryption.enabled   true\n" in text
    assert "enableSaslEncryption" not in text
    # A literal credential stays until it is in a credential store: removed alone, S3A
    # could no longer authenticate.
    assert f"spark.hadoop.fs.s3a.secret.key {SECRET}\n" in text
    assert text.startswith("# demo conf, crypto off\nspark.master                  local[2]\n")
    assert conf.stat().st_mode & 0o7777 == 0o640
    assert witness.read_text() == CONF  # renamed over, not rewritten in place
    assert os.listdir(conf.parent) == ["spark-defaults.conf"]  # no temporary file left
    report = first.json()
    by_rule = {(c["rule_id"], c["action"]): c for c in report["changes"]}
    assert by_rule[("SPARK-010", "set")]["before_line"] == 7
    assert by_rule[("SPARK-010", "set")]["after_line"] == 7
    assert by_rule[("SPARK-014", "unset")]["after_line"] is None
    assert SECRET not in first.out
    left = {r["rule_id"] for r in report["remaining"]}
    assert "SPARK-010" not in left and "SPARK-020" not in left
    assert "SPARK-002" in left  # the literal secret needs a Secret: a manual step
    why = {r["rule_id"]: r["why"] for r in report["remaining"]}
    assert why["S3-002"].startswith("manual step: store fs.s3a.secret.key in a credential store")
    assert all(r["why"] for r in report["remaining"])
    second = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert second.json()["changes"] == []
    assert conf.read_text() == text
    assert run_cli("fix", str(tmp_path / "deploy")).code == 0


def test_a_waived_finding_is_not_fixed(tmp_path: Path) -> None:
    waived = CONF.replace(
        "spark.io.encryption.enabled",
        '# triplock: ignore SPARK-020 reason="benchmark rig"\nspark.io.encryption.enabled',
    )
    conf = _tree(tmp_path, waived)
    result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert "spark.io.encryption.enabled   false\n" in conf.read_text()
    assert "spark.network.crypto.enabled  true\n" in conf.read_text()
    why = {r["rule_id"]: r["why"] for r in result.json()["remaining"]}
    assert why["SPARK-020"] == "waived: benchmark rig"


def test_only_and_exclude_select_findings(tmp_path: Path) -> None:
    _tree(tmp_path)
    only = run_cli("fix", "--format", "json", "--only", "spark.encryption", str(tmp_path))
    changed = {c["key"] for c in only.json()["changes"]}
    # Enabling network crypto makes its companion settings due in the next round.
    assert "spark.network.crypto.enabled" in changed
    assert "spark.io.encryption.enabled" not in changed  # rest.spark-local, not selected
    assert {c["rule_id"][:6] for c in only.json()["changes"]} == {"SPARK-"}
    exclude = run_cli("fix", "--format", "json", "--exclude", "SPARK-010,SPARK-014", str(tmp_path))
    rules = {c["rule_id"] for c in exclude.json()["changes"]}
    assert "SPARK-010" not in rules and "SPARK-014" not in rules and "SPARK-020" in rules
    assert run_cli("fix", "--only", "no-such-rule", str(tmp_path)).code == 2


def test_a_file_changed_since_it_was_read_is_refused(tmp_path: Path) -> None:
    conf = _tree(tmp_path)
    from triplock.audit import AuditOptions, audit

    roots = [str(tmp_path)]
    prepared = apply.prepare(planner.plan(audit(AuditOptions(paths=roots)), Selection()), roots)
    assert prepared.files
    conf.write_text(CONF + "spark.app.name edited-meanwhile\n")
    errors = apply.write(prepared)
    assert [e.reason for e in errors] == [
        "not changed: it changed since it was read; run fix again"
    ]
    assert conf.read_text().endswith("edited-meanwhile\n")


def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", "real.conf", CONF)
    tree = tmp_path / "deploy" / "conf"
    tree.mkdir(parents=True)
    (tree / "spark-defaults.conf").symlink_to(outside)
    result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert outside.read_text() == CONF
    assert any("outside the audited tree" in e["reason"] for e in result.json()["errors"])
    assert result.code == 1


def test_an_unparseable_file_is_not_touched(tmp_path: Path) -> None:
    conf = _tree(tmp_path, CONF + "spark.bad \\u12\n")
    result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert conf.read_text() == CONF + "spark.bad \\u12\n"
    assert result.json()["changes"] == []


def test_sigterm_during_a_write_leaves_the_original_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = write(tmp_path, "spark-defaults.conf", CONF)
    data = conf.read_bytes()
    real_fsync = os.fsync

    def fsync_then_terminated(fd: int) -> None:
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal, delivered mid-write

    monkeypatch.setattr(os, "fsync", fsync_then_terminated)
    with pytest.raises(Terminated):
        write_atomic(str(conf), b"new", apply.digest(data))
    monkeypatch.undo()
    assert conf.read_bytes() == data
    assert os.listdir(tmp_path) == ["spark-defaults.conf"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_write_refuses_a_file_gone_since_it_was_read(tmp_path: Path) -> None:
    with pytest.raises(WriteRefused):
        write_atomic(str(tmp_path / "gone.conf"), b"x", "0" * 64)


def test_chmod_fix_in_diff_and_write(tmp_path: Path) -> None:
    key = tmp_path / "deploy" / "certs" / "server.key"
    key.parent.mkdir(parents=True)
    example = Path(__file__).parents[2] / "examples/spark-on-k8s/insecure/certs/server.key"
    key.write_bytes(example.read_bytes())
    key.chmod(0o644)
    shown = run_cli("fix", str(tmp_path / "deploy"))
    assert f"chmod 0600 {key}\n" in shown.out and shown.code == 1
    assert key.stat().st_mode & 0o777 == 0o644
    run_cli("fix", "--write", str(tmp_path / "deploy"))
    assert key.stat().st_mode & 0o777 == 0o600
    assert run_cli("fix", "-f", "json", str(tmp_path)).json()["changes"] == []


def test_without_write_a_linked_tree_is_not_changed(tmp_path: Path) -> None:
    conf = _tree(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path / "deploy")
    result = run_cli("fix", str(tmp_path / "link"))
    assert result.code == 1 and "+spark.network.crypto.enabled  true" in result.out
    assert conf.read_text() == CONF
