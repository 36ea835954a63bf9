"""Workload rules: literal secrets in env, Secrets as env, ConfigMaps and Secret manifests
holding secrets, mounted credentials, unneeded service account tokens."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings_of, run_cli
from tests.helpers.kube_audit import findings, lines

INSECURE = "insecure-all.yaml"
HARDENED = "hardened"


def test_literal_secret_in_env_by_name_and_by_value() -> None:
    assert lines("K8S-001", "fail", INSECURE) == [63, 65]
    (fail,) = findings("K8S-001", "fail", "apache-operator.yaml")
    assert "GITHUB_TOKEN" in fail["message"]
    assert fail["evidence"] == [{"key": "GITHUB_TOKEN", "value": "****"}]


def test_no_literal_secret_passes() -> None:
    assert findings("K8S-001", "pass", HARDENED)
    assert not findings("K8S-001", "fail", HARDENED)


def test_secret_key_ref_is_a_low_warning() -> None:
    (fail,) = findings("K8S-002", "fail", INSECURE)
    assert fail["location"]["line"] == 68
    assert fail["severity"] == "low"
    assert findings("K8S-002", "pass", HARDENED)


def test_configmap_secret_top_level() -> None:
    assert lines("K8S-003", "fail", INSECURE) == [83]
    (fail,) = findings("K8S-003", "fail", "list.json")
    assert "SESSION_SECRET" in fail["message"]
    assert not findings("K8S-003", "fail", HARDENED)
    assert findings("K8S-003", "pass", HARDENED)


def test_secret_manifest_with_data_and_invalid_base64() -> None:
    fails = findings("K8S-004", "fail", INSECURE)
    assert [f["location"]["line"] for f in fails] == [96, 97]
    assert "not valid base64" in fails[1]["message"]
    assert all(e["value"] is None for f in fails for e in f["evidence"])


def test_credentials_mounted() -> None:
    assert lines("K8S-005", "fail", INSECURE) == [70, 74]
    assert not findings("K8S-005", "fail", HARDENED)
    assert findings("K8S-005", "pass", HARDENED)


def test_token_automount_where_unneeded() -> None:
    assert lines("K8S-006", "fail", INSECURE) == [58]
    (executor,) = findings("K8S-006", "fail", "sparkapp-operator.yaml")
    assert "Spark executor" in executor["message"]
    assert not findings("K8S-006", "fail", HARDENED)
    assert findings("K8S-006", "pass", HARDENED)


def test_secret_values_from_deploy_time_pass_or_are_unknown() -> None:
    (ok,) = findings("K8S-004", "pass", "secrets-deploy-time.yaml")
    assert "filled-by-external-secrets" in ok["location"]["object"]
    (templated,) = findings("K8S-004", "unknown", "secrets-deploy-time.yaml")
    assert templated["location"]["line"] == 15
    assert not findings("K8S-004", "fail", "secrets-deploy-time.yaml")


def test_kubelet_plugin_sockets_are_not_credentials(tmp_path: Path) -> None:
    """The SGX device plugin's socket directory sits under /var/lib/kubelet but holds no
    credential (a false alarm on the BigDL PPML driver template); the kubelet's own directory
    still counts."""
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: i\n  volumes:\n    - name: plugins\n      hostPath:\n"
        "        path: /var/lib/kubelet/device-plugins\n    - name: kubelet\n"
        "      hostPath:\n        path: /var/lib/kubelet\n"
    )
    result = run_cli("audit", str(pod), "--format", "json")
    (fail,) = findings_of(result, "K8S-005", "fail")
    assert fail["location"]["line"] == 13


def test_public_half_of_a_secret_manifest_is_not_a_committed_secret(tmp_path: Path) -> None:
    """basic-auth's username and a TLS certificate are public; the password and key are not."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: kubernetes.io/basic-auth\n"
        "stringData:\n  username: admin\n  password: t0p-Secret-Basic-Auth\n"
        "  tls.crt: LS0tLS1CRUdJTiBDRVJU\n"
    )
    result = run_cli("audit", str(secret), "--format", "json")
    assert [f["location"]["line"] for f in findings_of(result, "K8S-004", "fail")] == [8]


_ACCOUNTS = """apiVersion: v1
kind: ServiceAccount
metadata: {name: app}
automountServiceAccountToken: true
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: default}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: other}
automountServiceAccountToken: true
"""

_POD = """---
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: {namespace}}}
spec:
  serviceAccountName: app
  containers: [{{name: c, image: i}}]
"""


def test_token_automount_read_from_the_pods_own_service_account(tmp_path: Path) -> None:
    """The account of the pod's namespace ("default" when unset) decides, the last of its
    repeats winning, as the API server keeps the last object applied."""
    for namespace, status, line in (("default", "pass", 9), ("other", "unknown", 14)):
        path = tmp_path / f"{namespace}.yaml"
        path.write_text(_ACCOUNTS + _POD.format(namespace=namespace), encoding="utf-8")
        result = run_cli("audit", str(path), "--format", "json", "--only", "K8S-006")
        (finding,) = findings_of(result, "K8S-006")
        assert (finding["status"], finding["location"]["line"]) == (status, line)
