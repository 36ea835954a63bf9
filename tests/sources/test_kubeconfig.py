"""kubeconfig files: embedded credentials, the identity a client certificate names, clusters
reached without TLS verification; the identity's power from the inputs' RBAC."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.kubeconfig import Kubeconfig
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover

FIXTURES = ROOT / "tests" / "fixtures" / "kubeconfig"


def client_cert(cn: str, org: str | None) -> tuple[str, str]:
    """A throwaway self-signed client certificate and key, base64 as kubeconfigs embed them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    name = x509.Name(attrs)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(pem).decode(), base64.b64encode(key_pem).decode()


def admin_conf(tmp_path: Path, cn: str, org: str | None) -> Path:
    """A kubeadm admin.conf shape (kubernetes/kubernetes cmd/kubeadm kubeconfig phase)."""
    cert, key = client_cert(cn, org)
    return write(
        tmp_path,
        "admin.conf",
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        "    server: https://10.0.0.1:6443\n  name: kubernetes\n"
        f"users:\n- name: {cn}\n  user:\n    client-certificate-data: {cert}\n"
        f"    client-key-data: {key}\n"
        "contexts:\n- context: {cluster: kubernetes, user: x}\n  name: x\n",
    )


def test_users_clusters_and_lines() -> None:
    inv = Inventory()
    discover([str(FIXTURES)], all_sources(), inv)
    assert not inv.errors
    (config,) = inv.of(Kubeconfig)
    users = {u.name: u for u in config.users}
    assert [c.field for c in users["ci-deployer"].credentials] == ["token"]
    assert users["ci-deployer"].credentials[0].line == 18
    assert users["oidc"].credentials == ()
    (refresh,) = users["oidc-legacy"].credentials
    assert refresh.field == "auth-provider.refresh-token" and refresh.line == 31
    clusters = {c.name: c for c in config.clusters}
    assert clusters["kind-kind"].insecure_line == 10
    assert clusters["staging"].insecure_line is None


def test_token_and_skip_verify_are_findings_without_the_token() -> None:
    result = run_cli("audit", str(FIXTURES), "--format", "json")
    token, refresh = findings_of(result, "KCFG-001", "fail")
    assert token["severity"] == "high" and token["location"]["line"] == 18
    assert refresh["location"]["line"] == 31
    (tls,) = findings_of(result, "KCFG-002", "fail")
    assert tls["location"]["line"] == 10
    assert "static-token-value" not in result.out and "ChlvaWRj" not in result.out


def test_system_masters_key_is_critical(tmp_path: Path) -> None:
    admin_conf(tmp_path, "kubernetes-admin", "system:masters")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (cred,) = findings_of(result, "KCFG-001", "fail")
    assert cred["severity"] == "critical"
    assert "system:masters" in cred["message"]
    assert "PRIVATE KEY" not in result.out


def test_power_comes_from_rbac_in_the_inputs(tmp_path: Path) -> None:
    admin_conf(tmp_path, "jane", "platform")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert findings_of(result, "KCFG-001", "fail")[0]["severity"] == "high"
    write(
        tmp_path,
        "binding.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: platform-admins}\nroleRef: {kind: ClusterRole, name: cluster-admin, "
        "apiGroup: rbac.authorization.k8s.io}\nsubjects:\n- {kind: Group, name: platform}\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (cred,) = findings_of(result, "KCFG-001", "fail")
    assert cred["severity"] == "critical" and "Group platform" in cred["message"]


def test_malformed_kubeconfig_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "config", "kind: Config\nusers:\n- name: a\n  user: {token: CANARYx\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    (error,) = result.json()["errors"]
    assert error["reason"].startswith("kubeconfig:")
    assert "CANARY" not in result.out
