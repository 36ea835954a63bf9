"""A chart's values file after `fix --write`: the switched-off security values are on, the
built-in secret is emptied (the chart then generates one per install), nothing else moves, and
the re-audit passes the HELM rules."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT, run_cli

CHART = ROOT / "tests" / "fixtures" / "helm" / "spark-chart"


def test_values_file_is_fixed_in_place(tmp_path: Path) -> None:
    chart = tmp_path / "spark-chart"
    shutil.copytree(CHART, chart)
    run = run_cli("fix", "--write", "--format", "json", str(chart))
    assert run.code == 0, run.err
    report = run.json()
    assert report["errors"] == []
    original = (CHART / "values.yaml").read_text()
    want = (
        original.replace("    authenticationEnabled: false", "    authenticationEnabled: true")
        .replace("    encryptionEnabled: false", "    encryptionEnabled: true")
        .replace(
            'authenticationSecret: "spark-rpc-shared-default-4f1c"', 'authenticationSecret: ""'
        )
        .replace("  storageEncryptionEnabled: false", "  storageEncryptionEnabled: true")
        .replace("  ssl:\n    enabled: false", "  ssl:\n    enabled: true")
    )
    assert want != original
    assert (chart / "values.yaml").read_text() == want
    assert "spark-rpc-shared-default-4f1c" not in run.out
    assert not [r for r in report["remaining"] if r["rule_id"].startswith("HELM-")]
    again = run_cli("fix", "--format", "json", str(chart))
    assert again.code == 0 and again.json()["changes"] == []
