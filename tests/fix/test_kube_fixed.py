"""The insecure example's Kubernetes files after `fix --write`: they parse, keep every comment,
pass kubernetes-validate (strict, offline schemas) for the example's Kubernetes version, and the
re-audit no longer fails the rules whose fixes the YAML editor applied."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.helpers import EXAMPLES, need_module, run_cli

EXAMPLE = EXAMPLES / "spark-on-k8s" / "insecure"
KUBE_VERSION = "1.30.0"  # the example's kube-apiserver image is v1.30.2
# Kinds no Kubernetes release has a schema for: a custom resource, the API server's own file.
NOT_API = {"SparkApplication", "EncryptionConfiguration"}
FIXED = {
    "K8S-006",
    "K8S-210",
    "TEE-020",
    "TEE-022",
    "SPARK-010",
    "SPARK-020",
    "S3-002",
    "XLAYER-004",
}


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.lstrip().startswith("#")]


def test_fixed_manifests_parse_keep_comments_validate_and_pass(tmp_path: Path) -> None:
    kubernetes_validate = need_module("kubernetes_validate")
    tree = tmp_path / "insecure"
    for part in ("k8s", "tee"):
        shutil.copytree(EXAMPLE / part, tree / part)
    run = run_cli("fix", "--write", "--format", "json", str(tree))
    assert run.code == 0, run.err
    report = run.json()
    assert report["errors"] == []
    changed = {c["path"] for c in report["changes"]}
    yamls = sorted(tree.rglob("*.yaml"))
    assert {str(p) for p in yamls if "rbac" not in p.name and "encryption" not in p.name} <= changed
    validated = 0
    for path in yamls:
        original = (EXAMPLE / path.relative_to(tree)).read_text()
        fixed = path.read_text()
        assert _comments(fixed) == _comments(original), path
        for doc in yaml.safe_load_all(fixed):
            if doc["kind"] in NOT_API:
                continue
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
            validated += 1
    assert validated >= 6
    left = {
        (r["rule_id"], r["location"]["object"])
        for r in report["remaining"]
        if r["rule_id"] in FIXED and not r["why"].startswith(("no automatic fix", "manual step"))
    }
    assert left == set()
    manual = {(r["rule_id"], r["location"]["object"]) for r in report["remaining"]}
    # The Spark custom resource has no automountServiceAccountToken field: a manual step.
    assert ("K8S-006", "SparkApplication/spark-jobs/etl") in manual
    again = run_cli("fix", "--format", "json", str(tree))
    assert again.code == 0 and again.json()["changes"] == []
