"""RBAC made imperatively in scripts (`kubectl create clusterrolebinding|rolebinding|role`) is
read as the manifest kubectl sends, on the command's line."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings_of, run_cli


def test_binding_to_edit_from_the_spark_guide_is_reported(tmp_path: Path) -> None:
    script = tmp_path / "rbac.sh"
    script.write_text(
        "#!/bin/sh\nkubectl create serviceaccount spark\n"
        "kubectl create clusterrolebinding spark-role --clusterrole=edit \\\n"
        "  --serviceaccount=default:spark --namespace=default\n"
    )
    result = run_cli("audit", str(script), "--format", "json")
    (fail,) = findings_of(result, "K8S-108", "fail")
    assert fail["location"]["line"] == 3
    assert "default/spark" in fail["message"]


def test_imperative_role_with_narrow_verbs_is_not_a_wildcard(tmp_path: Path) -> None:
    script = tmp_path / "rbac.sh"
    script.write_text(
        "#!/bin/sh\n"
        "kubectl create role pod-reader -n jobs --verb=get,list,watch --resource=pods\n"
        "kubectl create role all -n jobs --verb='*' --resource=pods\n"
        "kubectl -n jobs create rolebinding r --role=pod-reader --user=jane\n"
    )
    result = run_cli("audit", str(script), "--format", "json")
    assert [f["location"]["line"] for f in findings_of(result, "K8S-101", "fail")] == [3]
    assert not result.json()["errors"]
