"""Baselines: record today's failures, then fail only on new ones (lines may move)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli
from triplock import __version__

CONF = """# spark defaults
spark.authenticate false
spark.network.crypto.enabled false
"""


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    """A deployment in a temporary directory that is also the working directory (fingerprints
    hold paths relative to it)."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "spark-defaults.conf").write_text(CONF)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def _audit(*args: str) -> tuple[int, dict[str, object]]:
    result = run_cli("audit", "deploy", "--format", "json", *args)
    return result.code, result.json()


def _statuses(report: dict[str, object]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:  # type: ignore[attr-defined]
        out.setdefault(f["status"], set()).add(f["rule_id"])
    return out


def test_baselined_failures_never_fail_and_new_ones_do(tree: Path) -> None:
    code, before = _audit("--write-baseline", ".triplock-baseline.json")
    assert code == 1
    failing = _statuses(before)["fail"]
    assert failing

    code, report = _audit("--baseline", ".triplock-baseline.json")
    assert code == 0
    assert "fail" not in _statuses(report)
    assert _statuses(report)["baselined"] == failing
    assert report["baseline_fixed"] == []

    # Lines move (a comment block on top) and a new failure appears.
    conf = tree / "deploy" / "spark-defaults.conf"
    conf.write_text("# moved\n# down\n" + CONF + "spark.ssl.keyStorePassword changeit\n")
    code, report = _audit("--baseline", ".triplock-baseline.json")
    assert code == 1
    statuses = _statuses(report)
    assert statuses["baselined"] == failing
    assert statuses["fail"] and not statuses["fail"] & failing


def test_fixed_findings_are_listed_so_the_baseline_can_shrink(tree: Path) -> None:
    _audit("--write-baseline", "base.json")
    conf = tree / "deploy" / "spark-defaults.conf"
    conf.write_text(CONF.replace("crypto.enabled false", "crypto.enabled true"))
    _, report = _audit("--baseline", "base.json")
    fixed = report["baseline_fixed"]
    assert any("deploy/spark-defaults.conf" in item for item in fixed)  # type: ignore[attr-defined]
    table = run_cli("audit", "deploy", "--format", "table", "--baseline", "base.json").out
    assert "Fixed since the baseline" in table


def test_the_checklist_counts_baselined_failures_apart(tree: Path) -> None:
    _audit("--write-baseline", "base.json")
    _, report = _audit("--baseline", "base.json")
    counts = [c["counts"] for c in report["checklist"]]  # type: ignore[attr-defined]
    assert sum(c["baselined"] for c in counts) > 0
    assert sum(c["fail"] for c in counts) == 0


def test_every_format_shows_baselined_findings_apart(tree: Path) -> None:
    _audit("--write-baseline", "base.json")
    for fmt, marker in [
        ("table", "Baselined (known failures, not counted)"),
        ("markdown", "baselined (known failures, not counted)"),
        ("html", 'data-status="baselined"'),
        ("junit", "baselined (known failure)"),
        ("sarif", '"baselineState":"unchanged"'),
    ]:
        out = run_cli("audit", "deploy", "--format", fmt, "--baseline", "base.json").out
        assert marker in out, fmt


def test_the_baseline_holds_no_value_or_secret(tmp_path: Path) -> None:
    canary = EXAMPLES.parent / "tests" / "fixtures" / "canary"
    if not canary.is_dir():
        canary = Path(__file__).parent / "fixtures" / "canary"
    tree = tmp_path / "canary"
    shutil.copytree(canary, tree)
    out = tmp_path / "base.json"
    run_cli("audit", str(tree), "--format", "json", "--write-baseline", str(out))
    text = out.read_text()
    assert json.loads(text)["findings"], "the canary tree has failures to record"
    assert "CANARY" not in text
    entry_keys = {k for e in json.loads(text)["findings"] for k in e}
    assert entry_keys == {"fingerprint", "rule_id", "path"}


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such baseline file"),
        ("{not json", "invalid JSON"),
        ('{"format": ' + "9" * 5000 + "}", "not a triplock baseline (a number too long)"),
        ('{"format": "other"}', "not a triplock baseline"),
        (
            json.dumps(
                {
                    "format": "triplock-baseline",
                    "version": 1,
                    "fingerprint": "triplock/v1",
                    "tool_version": "0.0.1-old",
                    "findings": [],
                }
            ),
            "write it again with --write-baseline",
        ),
    ],
)
def test_an_unusable_baseline_is_a_usage_error(
    tree: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tree / "base.json").write_text(content)
    result = run_cli("audit", "deploy", "--format", "json", "--baseline", "base.json")
    assert result.code == 2
    assert message in result.err and result.out == ""
    assert __version__  # the version a baseline must match
