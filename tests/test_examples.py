"""The bundled example deployments: the insecure one trips rules across the checklist, the
hardened one has no failure at medium or above."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import EXAMPLES, ROOT, run_cli

INSECURE = EXAMPLES / "spark-on-k8s" / "insecure"
HARDENED = EXAMPLES / "spark-on-k8s" / "hardened"


def test_insecure_example_fails_many_rules() -> None:
    result = run_cli("audit", str(INSECURE), "--format", "json")
    assert result.code == 1
    failing = {f["rule_id"] for f in result.json()["findings"] if f["status"] == "fail"}
    assert len(failing) >= 10, failing
    assert not result.json()["errors"]


def test_hardened_example_has_no_failure_at_medium_or_above() -> None:
    result = run_cli("audit", str(HARDENED), "--format", "json", "--fail-on", "medium")
    bad = [
        (f["rule_id"], f["message"], f["location"])
        for f in result.json()["findings"]
        if f["status"] == "fail" and f["severity"] in ("medium", "high", "critical")
    ]
    assert bad == []
    assert result.code == 0
    assert not result.json()["errors"]


GOLDEN = Path(__file__).parent / "golden" / "examples-findings.tsv"


def _finding_rows() -> list[str]:
    rows = []
    for example in (INSECURE, HARDENED):
        result = run_cli("audit", str(example), "--format", "json")
        for f in result.json()["findings"]:
            where = f["location"]
            path = Path(where["path"]).relative_to(ROOT).as_posix()
            rows.append(f"{f['rule_id']}\t{path}\t{where['line']}\t{f['status']}")
    return sorted(rows)


def test_example_findings_match_the_golden_file() -> None:
    """Refactors keep behaviour: every (rule, path, line, status) of both examples is as recorded.
    A change that means to alter findings regenerates the file with TRIPLOCK_UPDATE_GOLDEN=1
    and the diff shows, in review, exactly which findings moved."""
    rows = _finding_rows()
    if os.environ.get("TRIPLOCK_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    assert rows == GOLDEN.read_text(encoding="utf-8").splitlines()
