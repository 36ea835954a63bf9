"""HELM-001..004: a chart's values file judged as the defaults every install gets."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, findings_of, run_cli, write

CHART = ROOT / "tests" / "fixtures" / "helm" / "spark-chart"


def test_builtin_shared_secret_is_critical_and_not_shown() -> None:
    result = run_cli("audit", str(CHART), "--format", "json")
    (fail,) = findings_of(result, "HELM-001", "fail")
    assert fail["severity"] == "critical"
    assert fail["location"]["line"] == 17
    assert "spark-rpc-shared-default" not in result.out


def test_empty_and_reference_values_are_no_builtin_secret(tmp_path: Path) -> None:
    write(tmp_path, "Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
    write(
        tmp_path,
        "values.yaml",
        "auth:\n  password: ''\n  existingSecret: my-db-credentials\n  passwordSecretName: creds\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert not findings_of(result, "HELM-001", "fail")
    assert findings_of(result, "HELM-001", "pass")


def test_switched_off_defaults_are_reported_per_line() -> None:
    result = run_cli("audit", str(CHART), "--format", "json")
    lines = {
        rule: sorted(f["location"]["line"] for f in findings_of(result, rule, "fail"))
        for rule in ("HELM-002", "HELM-003", "HELM-004")
    }
    assert lines == {"HELM-002": [15], "HELM-003": [20], "HELM-004": [16, 18]}


def test_defaults_switched_on_pass_silently(tmp_path: Path) -> None:
    write(tmp_path, "Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
    write(tmp_path, "values.yaml", "auth:\n  enabled: true\ntls:\n  enabled: true\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    for rule in ("HELM-002", "HELM-003", "HELM-004"):
        assert not findings_of(result, rule, "fail")
