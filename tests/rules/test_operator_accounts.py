"""Operators that create a service account per application (Stackable's SparkApplication) do
not run the driver as `default`; the Kubeflow operator's resource without one still does."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.rules._spark_version import spark_version
from triplock.sources import all_sources
from triplock.sources.discovery import discover

STACKABLE = ROOT / "tests" / "fixtures" / "kube" / "stackable"


def test_stackable_application_has_its_own_account() -> None:
    result = run_cli("audit", str(STACKABLE), "--format", "json")
    assert not findings_of(result, "SPARK-070", "fail")
    passes = findings_of(result, "SPARK-070", "pass")
    assert len(passes) == 2 and all("Stackable" in f["message"] for f in passes)


def test_stackable_spark_version_from_the_resource() -> None:
    inv = Inventory()
    discover([str(STACKABLE)], all_sources(), inv)
    versions = {a.name: spark_version(a, None) for a in inv.of(SparkApp)}
    assert str(versions["SparkApplication/analytics/spark-ny-report"]) == "3.5.1"
    assert str(versions["SparkApplication/analytics/spark-ny-old"]) == "3.3.0"


def test_kubeflow_application_without_account_still_fails(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.yaml",
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\n"
        "metadata: {name: pi, namespace: jobs}\nspec:\n  type: Scala\n  mode: cluster\n"
        "  driver: {cores: 1}\n  executor: {instances: 1}\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert findings_of(result, "SPARK-070", "fail")
