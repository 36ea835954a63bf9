"""Findings with one root cause: one binding granting many permissions is reported together,
and a waiver of one of them covers the cause."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings_of, run_cli, write

RBAC = """apiVersion: v1
kind: ServiceAccount
metadata: {name: spark, namespace: jobs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: spark-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: ServiceAccount, name: spark, namespace: jobs}
"""
RBAC_RULES = ("K8S-102", "K8S-103", "K8S-104", "K8S-105", "K8S-108")


def _failing(result: object) -> dict[str, dict[str, object]]:
    return {
        f["rule_id"]: f
        for f in result.json()["findings"]  # type: ignore[attr-defined]
        if f["status"] == "fail" and f["rule_id"] in RBAC_RULES
    }


def test_findings_of_one_binding_share_a_cause(tmp_path: Path) -> None:
    write(tmp_path, "rbac.yaml", RBAC)
    failing = _failing(run_cli("audit", str(tmp_path), "--format", "json"))
    assert set(failing) == set(RBAC_RULES)
    causes = {f["cause"] for f in failing.values()}
    assert causes == {"ClusterRoleBinding/spark-admin -> ClusterRole/cluster-admin"}


def test_a_waiver_of_one_finding_covers_the_cause(tmp_path: Path) -> None:
    write(tmp_path, "rbac.yaml", RBAC)
    waivers = write(
        tmp_path,
        "waivers.yaml",
        "waivers:\n  - rule: K8S-108\n    object: ClusterRoleBinding/spark-admin\n"
        "    reason: break-glass account (SEC-4)\n",
    )
    result = run_cli(
        "audit", str(tmp_path / "rbac.yaml"), "--format", "json", "--waivers", str(waivers)
    )
    failing = _failing(result)
    assert all(f["waiver"] is not None for f in failing.values()), failing
    assert "break-glass account (SEC-4)" in failing["K8S-104"]["waiver"]["reason"]  # type: ignore[index]
    assert result.code == 0
    assert findings_of(result, "K8S-108", "fail")[0]["waiver"]["reason"] == (
        "break-glass account (SEC-4)"
    )


def test_the_table_reports_the_cause_once(tmp_path: Path) -> None:
    write(tmp_path, "rbac.yaml", RBAC)
    out = run_cli("audit", str(tmp_path), "--format", "table").out
    assert out.count("[ClusterRoleBinding/spark-admin]") == 1
    assert (
        "the same cause (ClusterRoleBinding/spark-admin -> ClusterRole/cluster-admin) also:" in out
    )
    for rule_id in RBAC_RULES:
        assert rule_id in out
