"""The bundled insecure example, copied and fixed with --write: every file's diff is reviewed
in tests/fix/golden/insecure.diff (regenerate with TRIPLOCK_GOLDEN=write after reviewing), the
re-audit leaves nothing that an editor could have applied, and a second run changes nothing."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path
from typing import Any

from tests.helpers import ROOT, run_cli
from triplock.fix import editor_for

EXAMPLE = ROOT / "examples" / "spark-on-k8s" / "insecure"
GOLDEN = Path(__file__).parent / "golden" / "insecure.diff"
_SECRETS = ("8f2b1d7e9c3a4f6b0e5d2c1a9b8e7f6d", "password123", "wJalrXUtnFEMI")


def _diff(before: Path, after: Path) -> str:
    out: list[str] = []
    for path in sorted(p for p in before.rglob("*") if p.is_file()):
        rel = path.relative_to(before).as_posix()
        new = after / rel
        old_mode, new_mode = path.stat().st_mode & 0o777, new.stat().st_mode & 0o777
        if old_mode != new_mode:
            out.append(f"mode {rel}: {old_mode:04o} -> {new_mode:04o}\n")
        if path.read_bytes() == new.read_bytes():
            continue
        out.extend(
            difflib.unified_diff(
                path.read_text().splitlines(keepends=True),
                new.read_text().splitlines(keepends=True),
                f"a/{rel}",
                f"b/{rel}",
            )
        )
    return "".join(out)


# Why a failure may be left: the only reasons that are not "triplock could have done it".
_LEFT_FOR_THE_USER = ("manual step: ", "needs a value only you know: ", "no automatic fix: ")


def _left_for_the_user(why: str, kind: str) -> bool:
    """A why the user must act on: a manual step, an unknown value, or a format no editor
    handles yet (derived from the editors there are, so a new editor narrows it)."""
    if why.startswith(_LEFT_FOR_THE_USER):
        return True
    return editor_for(kind) is None and why == f"no editor for {kind} files yet"


def _key(finding: dict[str, Any]) -> tuple[str, str, int | None, str | None]:
    where = finding["location"]
    return (finding["rule_id"], where["path"], where["line"], where["object"])


def test_after_write_every_failure_at_high_or_above_is_left_for_the_user(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "insecure"
    shutil.copytree(EXAMPLE, tree)
    secrets = str(tmp_path / "secrets")  # generated material (K8S-211's EncryptionConfiguration)
    report = run_cli(
        "fix", "--write", "--format", "json", "--secrets-dir", secrets, str(tree)
    ).json()
    audit = run_cli("audit", "--format", "json", str(tree)).json()
    kinds = {i["path"]: i["kind"] for i in audit["inputs"]}
    failing = {
        _key(f)
        for f in audit["findings"]
        if f["status"] == "fail" and f["severity"] in ("high", "critical")
    }
    remaining = {_key(r): r["why"] for r in report["remaining"]}
    # The re-audit fix prints is the audit's own: exactly its high failures, each with why.
    high = {_key(r) for r in report["remaining"] if r["severity"] in ("high", "critical")}
    assert high == failing
    not_for_the_user = {
        key: remaining[key]
        for key in failing
        if not _left_for_the_user(remaining[key], kinds.get(key[1], ""))
    }
    assert not_for_the_user == {}
    # What fix does reach leaves nothing high behind in the files it edits.
    edited = {p for p in kinds if editor_for(kinds[p]) is not None}
    left_in_edited = {k[0] for k in failing if k[1] in edited}
    assert left_in_edited >= {"SPARK-002", "HADOOP-018", "KMS-005"}  # manual, unknown value
    assert "SPARK-010" not in left_in_edited
    assert not {"SHELL-001", "HADOOP-006", "KMS-002", "KMS-007", "K8S-210", "K8S-211"} & {
        k[0] for k in failing
    }


def test_fix_write_on_the_insecure_example(tmp_path: Path) -> None:
    tree = tmp_path / "insecure"
    shutil.copytree(EXAMPLE, tree)
    for path in tree.rglob("*"):  # the checkout's modes, whatever the umask of the clone
        path.chmod((EXAMPLE / path.relative_to(tree)).stat().st_mode & 0o777)
    first = run_cli("fix", "--write", "--format", "json", str(tree))
    assert first.code == 0, first.err
    report = first.json()
    assert report["errors"] == []
    assert not any(s in first.out for s in _SECRETS)
    assert not [r for r in report["remaining"] if r["why"] == "not applied"]
    edited = [r for r in report["remaining"] if r["location"]["path"].endswith((".conf", ".xml"))]
    # Left in these files: manual steps, values only the user knows, and fixes the rules
    # address to another file (a setting the submit script overrides); never an editor's.
    assert edited
    assert not [
        r for r in edited if r["why"].startswith(("no editor for spark", "no editor for hadoop"))
    ]
    left_rules = {r["rule_id"] for r in edited}
    assert not {"SPARK-010", "SPARK-020", "HADOOP-003", "HADOOP-006", "KMS-002"} & left_rules
    got = _diff(EXAMPLE, tree)
    if os.environ.get("TRIPLOCK_GOLDEN") == "write":
        GOLDEN.write_text(got)
    assert got == GOLDEN.read_text()
    second = run_cli("fix", "--write", "--format", "json", str(tree))
    assert second.json()["changes"] == []
