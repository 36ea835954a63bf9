"""The bundled example deployments: the insecure one trips rules across the checklist, the
hardened one has no failure at medium or above."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.helpers import EXAMPLES, ROOT, need_module, run_cli, write

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


# Kinds no Kubernetes release has a schema for: a custom resource, the API server's own file.
_NOT_API = {"SparkApplication", "EncryptionConfiguration"}


def test_example_manifests_pass_kubernetes_validate() -> None:
    """Every Kubernetes object of both examples validates against the schemas of the examples'
    Kubernetes version (the RoleBinding once lacked roleRef.apiGroup, which the schema requires)."""
    kubernetes_validate = need_module("kubernetes_validate")
    validated = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") not in _NOT_API:
                kubernetes_validate.validate(doc, "1.30.0", strict=True)
                validated.append(doc["kind"])
    assert {"RoleBinding", "ClusterRoleBinding", "Role", "ClusterRole", "Pod"} <= set(validated)


def test_a_binding_without_roleref_apigroup_is_judged_like_one_with_it(tmp_path: Path) -> None:
    """The API server defaults a missing roleRef.apiGroup of an rbac/v1 binding to
    rbac.authorization.k8s.io (pkg/apis/rbac/v1/defaults.go) before it validates, so such a
    binding is accepted and grants its role: neither an input error nor a finding of its own."""
    rbac = (INSECURE / "k8s" / "spark-rbac.yaml").read_text(encoding="utf-8")
    bare = rbac.replace(
        "  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n", "  kind: ClusterRole\n"
    )
    assert (
        bare.count("apiGroup: rbac.authorization.k8s.io")
        == rbac.count("apiGroup: rbac.authorization.k8s.io") - 2
    )
    judged = []
    for name, text in (("with.yaml", rbac), ("without.yaml", bare)):
        result = run_cli("audit", str(write(tmp_path, name, text)), "--format", "json")
        assert result.json()["errors"] == []
        judged.append(
            sorted(
                (f["rule_id"], f["status"], f["location"]["object"])
                for f in result.json()["findings"]
            )
        )
    assert judged[0] == judged[1]
    assert ("K8S-106", "fail", "RoleBinding/spark-jobs/data-team") in judged[1]
