"""Control-plane static pods mount the node's PKI by design: they are judged as kubeadm and
kube-bench expect (manifest modes, the API server's flags), not as workloads."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT, findings_of, run_cli

CONTROL_PLANE = ROOT / "tests" / "fixtures" / "kube" / "control-plane"


def test_static_pod_is_not_judged_as_a_workload(tmp_path: Path) -> None:
    manifest = tmp_path / "kube-controller-manager.yaml"
    shutil.copy(CONTROL_PLANE / manifest.name, manifest)
    manifest.chmod(0o600)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    for rule in ("K8S-005", "K8S-006"):
        assert not findings_of(result, rule), rule
    (ok,) = findings_of(result, "K8S-212", "pass")
    assert "600" in ok["message"]


def test_same_mounts_in_a_workload_are_still_reported(tmp_path: Path) -> None:
    text = (CONTROL_PLANE / "kube-controller-manager.yaml").read_text()
    workload = tmp_path / "cm.yaml"
    workload.write_text(text.replace("tier: control-plane", "tier: backend"))
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert findings_of(result, "K8S-005", "fail")


def test_loose_manifest_mode_fails_with_the_cis_item(tmp_path: Path) -> None:
    manifest = tmp_path / "kube-controller-manager.yaml"
    shutil.copy(CONTROL_PLANE / manifest.name, manifest)
    manifest.chmod(0o644)
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (fail,) = findings_of(result, "K8S-212", "fail")
    assert "644" in fail["message"] and "1.1.3" in fail["message"]
    assert fail["fix"]["action"] == "chmod" and fail["fix"]["value"] == "600"


def test_apiserver_kubelet_client_holds_nodes_proxy_by_design() -> None:
    fixture = ROOT / "tests" / "fixtures" / "kube" / "apiserver-kubelet-client.yaml"
    result = run_cli("audit", str(fixture), "--format", "json")
    fails = findings_of(result, "K8S-106", "fail")
    assert [f["message"].split(" can ")[0] for f in fails] == [
        "ServiceAccount monitoring/node-exporter"
    ]
    (ok,) = [
        f
        for f in findings_of(result, "K8S-106", "pass")
        if "kube-apiserver-kubelet" in f["message"]
    ]
    assert "upstream" in ok["message"]
