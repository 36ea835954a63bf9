from __future__ import annotations

from typing import Any

import yaml

from tests.helpers import run_cli
from triplock.probe.daemonset import manifests


def docs() -> dict[str, Any]:
    result = run_cli("probe", "--k8s-manifest", "--image", "registry.example.com/triplock:1")
    assert result.code == 0
    return {d["kind"]: d for d in yaml.safe_load_all(result.out)}


def test_prints_namespace_serviceaccount_and_daemonset() -> None:
    assert set(docs()) == {"Namespace", "ServiceAccount", "DaemonSet"}


def test_least_privilege() -> None:
    d = docs()
    assert d["ServiceAccount"]["automountServiceAccountToken"] is False
    spec = d["DaemonSet"]["spec"]["template"]["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["serviceAccountName"] == d["ServiceAccount"]["metadata"]["name"]
    assert not spec["hostNetwork"] and not spec["hostPID"] and not spec["hostIPC"]
    for c in spec["initContainers"] + spec["containers"]:
        sc = c["securityContext"]
        assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
        assert sc["readOnlyRootFilesystem"] is True and sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["runAsNonRoot"] is True
    mounts = spec["initContainers"][0]["volumeMounts"]
    assert mounts and all(m["readOnly"] for m in mounts)
    assert {v["hostPath"]["path"] for v in spec["volumes"]} == {
        "/proc/cpuinfo",
        "/proc/sys/kernel/osrelease",
        "/dev",
        "/var/run/aesmd",
    }


def test_no_rbac_objects() -> None:
    kinds = {d["kind"] for d in manifests("img")}
    assert not kinds & {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def test_probe_command_reads_the_mounted_host() -> None:
    probe = docs()["DaemonSet"]["spec"]["template"]["spec"]["initContainers"][0]
    assert probe["image"] == "registry.example.com/triplock:1"
    assert probe["command"][:4] == ["triplock", "probe", "--root", "/host"]
    assert "jsonl" in probe["command"]


def test_triplock_audits_its_own_daemonset_without_tee_failures(tmp_path: Any) -> None:
    path = tmp_path / "probe.yaml"
    path.write_text(run_cli("probe", "--k8s-manifest").out)
    result = run_cli("audit", str(path), "--format", "json")
    assert not result.json()["errors"]
    assert not [
        f
        for f in result.json()["findings"]
        if f["rule_id"].startswith("TEE") and f["status"] == "fail"
    ]
