"""How a run uses the material providers: their failures go to them, what they create is written
atomically (secrets 0600 under --secrets-dir, never over a different file) and reported by path
and kind, never by value; a dry run generates into a scratch directory and writes nothing.

The provider here is a small real implementation of the Provider protocol written for these
tests (the shipped providers are tested beside their modules), so that the wiring is proven
whatever the shipped providers answer."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import ClassVar

import pytest

from tests.helpers import run_cli, write
from triplock.fix import apply
from triplock.fix.interface import Edit
from triplock.fix.material.interface import (
    NEEDS_SECRETS_DIR,
    Generated,
    MaterialOptions,
    Provided,
)
from triplock.fix.planner import Created, Plan
from triplock.model import AuditResult, Finding, FixAction

CONF = "# auth off\nspark.master local-cluster[2,1,512]\nspark.authenticate false\n"


class _SecretFile:
    """Answers SPARK-001 with a secret file under --secrets-dir and a setting naming it."""

    rules: ClassVar[frozenset[str]] = frozenset({"SPARK-001"})

    def provide(
        self, failures: list[Finding], result: AuditResult, options: MaterialOptions
    ) -> Provided:
        out = Provided()
        if options.secrets_dir is None:
            out.left.extend((f, NEEDS_SECRETS_DIR) for f in failures)
            return out
        secret = os.path.join(options.secrets_dir, "spark-auth.secret")
        if not os.path.exists(secret):
            out.created[secret] = secrets.token_hex(32)
            out.generated.append(Generated(secret, "Spark authentication secret"))
        for finding in failures:
            path = finding.location.path
            assert path is not None
            out.edits.setdefault(path, []).extend(
                [
                    Edit(finding, FixAction.SET, "spark.authenticate", "true"),
                    Edit(finding, FixAction.SET, "spark.authenticate.secret.file", secret),
                ]
            )
        return out


@pytest.fixture(autouse=True)
def _only_this_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("triplock.fix.planner.all_providers", lambda: [_SecretFile()])


def _tree(tmp_path: Path) -> Path:
    return write(tmp_path / "deploy", "spark-defaults.conf", CONF)


def test_dry_run_writes_nothing_and_says_what_it_would_generate_where(tmp_path: Path) -> None:
    conf, secrets_dir = _tree(tmp_path), tmp_path / "secrets"
    result = run_cli("fix", "--only", "SPARK-001", "--secrets-dir", str(secrets_dir), str(conf))
    assert result.code == 1
    assert conf.read_text() == CONF and not secrets_dir.exists()
    wanted = secrets_dir / "spark-auth.secret"
    assert f"would generate: {wanted}: Spark authentication secret" in result.err
    assert f"+spark.authenticate.secret.file {wanted}\n" in result.out  # the real path
    assert "triplock-fix-" not in result.out + result.err  # no scratch path shows


def test_write_creates_the_secret_0600_reports_it_without_value_and_is_idempotent(
    tmp_path: Path,
) -> None:
    conf, secrets_dir = _tree(tmp_path), tmp_path / "secrets"
    args = ("fix", "--write", "-f", "json", "--only", "SPARK-001", "--secrets-dir")
    first = run_cli(*args, str(secrets_dir), str(conf))
    assert first.code == 0, first.err
    secret = secrets_dir / "spark-auth.secret"
    value = secret.read_text()
    assert len(value) == 64
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    report = json.loads(first.out)
    assert report["generated"] == [{"path": str(secret), "what": "Spark authentication secret"}]
    assert value not in first.out + first.err + conf.read_text()
    assert f"spark.authenticate.secret.file {secret}\n" in conf.read_text()
    fixed = conf.read_text()
    second = run_cli(*args, str(secrets_dir), str(conf))
    assert second.code == 0, second.err
    assert json.loads(second.out)["generated"] == []
    assert json.loads(second.out)["changes"] == []
    assert conf.read_text() == fixed and secret.read_text() == value


def test_without_secrets_dir_the_fix_is_left_saying_so(tmp_path: Path) -> None:
    conf = _tree(tmp_path)
    result = run_cli("fix", "--write", "--only", "SPARK-001", str(conf))
    assert conf.read_text() == CONF
    assert f"SPARK-001: {NEEDS_SECRETS_DIR}" in result.err


def test_a_created_file_never_replaces_a_different_one(tmp_path: Path) -> None:
    tree = tmp_path / "deploy"
    there = write(tree, "pod-template.yaml", "kind: Pod\n# the user's own\n")
    same = write(tree, "same.yaml", "kind: Pod\n")
    plan = Plan(
        created={
            str(there): Created(b"kind: Pod\n", secret=False),
            str(same): Created(b"kind: Pod\n", secret=False),
            str(tree / "new.yaml"): Created(b"kind: Pod\n", secret=False),
            str(tmp_path / "outside.yaml"): Created(b"kind: Pod\n", secret=False),
        }
    )
    prepared = apply.prepare(plan, [str(tree)])
    assert list(prepared.created) == [str(tree / "new.yaml")]
    reasons = {e.path: e.reason for e in prepared.errors}
    assert reasons == {
        str(there): "not created: a different file is there",
        str(tmp_path / "outside.yaml"): "not created: outside the tree and --secrets-dir",
    }
    assert apply.write(prepared) == []
    assert (tree / "new.yaml").read_text() == "kind: Pod\n"
    assert there.read_text() == "kind: Pod\n# the user's own\n"


def test_bad_material_flags_are_usage_errors(tmp_path: Path) -> None:
    conf = _tree(tmp_path)
    assert run_cli("fix", "--ca", str(conf), str(conf)).code == 2
    assert run_cli("fix", "--kms-plugin", "tcp://1.2.3.4:1", str(conf)).code == 2
    assert run_cli("fix", "--secrets-dir", str(conf), str(conf)).code == 2
