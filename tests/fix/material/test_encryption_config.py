"""The EncryptionConfiguration provider on the insecure example's kube-apiserver static pod,
through the real `triplock fix --write --secrets-dir`: the generated file (0600, secretbox or
kms v2, identity last) is audited as good by triplock itself, the static pod edited with the
flag, volume and mount is valid for its Kubernetes version (kubernetes-validate, offline
schemas), the re-audit passes K8S-211, and a second run keeps the key and changes nothing."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import EXAMPLES, need_module, run_cli
from triplock.audit import AuditOptions, audit
from triplock.fix.material.encryption_config import PROVIDER
from triplock.fix.material.interface import NEEDS_SECRETS_DIR, MaterialOptions
from triplock.model import AuditResult, Status

APISERVER = EXAMPLES / "spark-on-k8s" / "insecure" / "k8s" / "kube-apiserver.yaml"
KUBE_VERSION = "1.30.0"  # the example's image: registry.k8s.io/kube-apiserver:v1.30.2
PLUGIN = "unix:///var/run/kmsplugin/socket.sock"


def _statuses(result: AuditResult, *rules: str) -> dict[str, set[Status]]:
    out: dict[str, set[Status]] = {r: set() for r in rules}
    for f in result.findings:
        if f.rule.id in out:
            out[f.rule.id].add(f.status)
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    shutil.copy(APISERVER, root / "kube-apiserver.yaml")
    return root


def _fix(tree: Path, secrets: Path, *extra: str) -> dict[str, object]:
    run = run_cli(
        "fix", "--write", "--format", "json", "--secrets-dir", str(secrets), *extra, str(tree)
    )
    assert run.code == 0, run.err
    report: dict[str, object] = run.json()
    assert report["errors"] == []
    return report


@pytest.mark.parametrize("kms", [None, PLUGIN])
def test_generated_configuration_is_private_and_audited_as_good(
    tree: Path, tmp_path: Path, kms: str | None
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    report = _fix(tree, secrets, *(["--kms-plugin", kms] if kms else []))
    config = secrets / "encryption-config.yaml"
    assert config.stat().st_mode & 0o777 == 0o600
    doc = yaml.safe_load(config.read_text())
    providers = doc["resources"][0]["providers"]
    assert doc["resources"][0]["resources"] == ["secrets"] and providers[-1] == {"identity": {}}
    if kms:
        assert providers[0]["kms"]["apiVersion"] == "v2" and providers[0]["kms"]["endpoint"] == kms
    else:
        key = providers[0]["secretbox"]["keys"][0]["secret"]
        assert len(base64.b64decode(key, validate=True)) == 32
        assert key not in str(report)
    assert [g["path"] for g in report["generated"]] == [str(config)]  # type: ignore[index]
    verdicts = _statuses(audit(AuditOptions(paths=[str(config)])), "K8S-201", "K8S-202", "K8S-203")
    assert verdicts == {r: {Status.PASS} for r in verdicts}


def test_static_pod_edits_are_valid_pass_the_reaudit_and_are_idempotent(
    tree: Path, tmp_path: Path
) -> None:
    kubernetes_validate = need_module("kubernetes_validate")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    manifest = tree / "kube-apiserver.yaml"
    _fix(tree, secrets)
    text = manifest.read_text()
    assert text.startswith(APISERVER.read_text().split("spec:")[0])  # comment and header kept
    pod = yaml.safe_load(text)
    container = pod["spec"]["containers"][0]
    assert (
        "--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml"
        in (container["command"])
    )
    assert "--authorization-mode=Node,RBAC" in container["command"]  # K8S-210, the plain fix
    assert container["volumeMounts"] == [
        {"name": "encryption-config", "mountPath": "/etc/kubernetes/enc", "readOnly": True}
    ]
    assert pod["spec"]["volumes"] == [
        {
            "name": "encryption-config",
            "hostPath": {"path": "/etc/kubernetes/enc", "type": "DirectoryOrCreate"},
        }
    ]
    kubernetes_validate.validate(pod, KUBE_VERSION, strict=True)
    verdicts = _statuses(audit(AuditOptions(paths=[str(tree)])), "K8S-210", "K8S-211")
    assert verdicts == {"K8S-210": {Status.PASS}, "K8S-211": {Status.PASS}}
    key = (secrets / "encryption-config.yaml").read_bytes()
    again = _fix(tree, secrets)
    assert again["changes"] == [] and manifest.read_text() == text
    assert (secrets / "encryption-config.yaml").read_bytes() == key


def test_without_a_secrets_dir_or_with_a_bad_plugin_nothing_is_generated(tree: Path) -> None:
    result = audit(AuditOptions(paths=[str(tree)]))
    failures = [f for f in result.findings if f.rule.id == "K8S-211" and f.status is Status.FAIL]
    assert failures
    for options, why in (
        (MaterialOptions(None), NEEDS_SECRETS_DIR),
        (MaterialOptions(str(tree), kms_plugin="http://kms:80"), "not a unix://"),
    ):
        provided = PROVIDER.provide(failures, result, options)
        assert not provided.edits and not provided.created and not provided.generated
        assert len(provided.left) == 1 and why in provided.left[0][1]
    run = run_cli("fix", "--format", "json", str(tree))
    left = [r for r in run.json()["remaining"] if r["rule_id"] == "K8S-211"]
    assert [r["why"] for r in left] == [NEEDS_SECRETS_DIR]


def test_a_volume_of_that_name_mounting_something_else_is_not_reused(tree: Path) -> None:
    manifest = tree / "kube-apiserver.yaml"
    manifest.write_text(
        APISERVER.read_text()
        + "    volumeMounts:\n    - {name: encryption-config, mountPath: /etc/ssl}\n"
    )
    result = audit(AuditOptions(paths=[str(tree)]))
    failures = [f for f in result.findings if f.rule.id == "K8S-211" and f.status is Status.FAIL]
    provided = PROVIDER.provide(failures, result, MaterialOptions(str(tree / "secrets")))
    assert not provided.edits
    assert [why for _, why in provided.left] == [
        "the pod's volume encryption-config is not /etc/kubernetes/enc: add the mount by hand"
    ]
