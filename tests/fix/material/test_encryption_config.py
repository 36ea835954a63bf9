"""The EncryptionConfiguration provider on the insecure example's kube-apiserver static pod: the
generated file (0600, secretbox or kms v2, identity last) is audited as good by triplock itself,
the static pod edited with the flag, volume and mount is valid for its Kubernetes version
(kubernetes-validate, offline schemas), and the re-audit passes K8S-211."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import EXAMPLES, need_module
from triplock.audit import AuditOptions, audit
from triplock.fix.material.encryption_config import PROVIDER
from triplock.fix.material.interface import MaterialOptions
from triplock.fix.yaml_kube import EDITOR
from triplock.model import AuditResult, Finding, Status

APISERVER = EXAMPLES / "spark-on-k8s" / "insecure" / "k8s" / "kube-apiserver.yaml"
KUBE_VERSION = "1.30.0"  # the example's image: registry.k8s.io/kube-apiserver:v1.30.2


def _statuses(result: AuditResult, *rules: str) -> dict[str, set[Status]]:
    out: dict[str, set[Status]] = {r: set() for r in rules}
    for f in result.findings:
        if f.rule.id in out:
            out[f.rule.id].add(f.status)
    return out


def _failures(path: Path) -> list[Finding]:
    result = audit(AuditOptions(paths=[str(path)]))
    return [f for f in result.findings if f.rule.id == "K8S-211" and f.status is Status.FAIL]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(APISERVER, tree / "kube-apiserver.yaml")
    return tree / "kube-apiserver.yaml"


@pytest.mark.parametrize("kms", [None, "unix:///var/run/kmsplugin/socket.sock"])
def test_generated_configuration_is_private_and_audited_as_good(
    manifest: Path, tmp_path: Path, kms: str | None
) -> None:
    failures = _failures(manifest)
    assert len(failures) == 1
    secrets = tmp_path / "secrets"
    provided = PROVIDER.provide(
        failures,
        audit(AuditOptions(paths=[str(manifest)])),
        MaterialOptions(str(secrets), kms_plugin=kms),
    )
    assert not provided.left
    [generated] = provided.generated
    config = Path(generated.path)
    assert config.parent == secrets and config.stat().st_mode & 0o777 == 0o600
    doc = yaml.safe_load(config.read_text())
    providers = doc["resources"][0]["providers"]
    assert doc["resources"][0]["resources"] == ["secrets"] and providers[-1] == {"identity": {}}
    if kms:
        assert providers[0]["kms"]["apiVersion"] == "v2" and providers[0]["kms"]["endpoint"] == kms
    else:
        key = providers[0]["secretbox"]["keys"][0]["secret"]
        assert len(base64.b64decode(key, validate=True)) == 32
        assert key not in generated.what
    verdicts = _statuses(audit(AuditOptions(paths=[str(config)])), "K8S-201", "K8S-202", "K8S-203")
    assert verdicts == {r: {Status.PASS} for r in verdicts}


def test_static_pod_edits_are_valid_and_pass_the_reaudit(manifest: Path, tmp_path: Path) -> None:
    kubernetes_validate = need_module("kubernetes_validate")
    failures = _failures(manifest)
    options = MaterialOptions(str(tmp_path / "secrets"))
    provided = PROVIDER.provide(failures, audit(AuditOptions(paths=[str(manifest)])), options)
    [(path, edits)] = provided.edits.items()
    assert Path(path) == manifest
    before = manifest.read_text()
    edited = EDITOR.apply(before, "kubernetes", edits)
    assert not edited.left
    manifest.write_text(edited.text)
    assert edited.text.startswith(before.split("spec:")[0])  # the comment and header kept
    pod = yaml.safe_load(edited.text)
    container = pod["spec"]["containers"][0]
    assert (
        "--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml"
        in (container["command"])
    )
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
    assert _statuses(audit(AuditOptions(paths=[str(manifest)])), "K8S-211") == {
        "K8S-211": {Status.PASS}
    }
    # A second run keeps the key and changes nothing.
    key = Path(provided.generated[0].path).read_bytes()
    again = PROVIDER.provide(failures, audit(AuditOptions(paths=[str(manifest)])), options)
    assert Path(again.generated[0].path).read_bytes() == key
    assert EDITOR.apply(edited.text, "kubernetes", again.edits[path]).text == edited.text


def test_without_a_secrets_dir_or_with_a_bad_plugin_nothing_is_generated(manifest: Path) -> None:
    failures = _failures(manifest)
    result = audit(AuditOptions(paths=[str(manifest)]))
    for options, why in (
        (MaterialOptions(None), "needs --secrets-dir"),
        (MaterialOptions("/nonexistent/x", kms_plugin="http://kms:80"), "not a unix://"),
    ):
        provided = PROVIDER.provide(failures, result, options)
        assert not provided.edits and not provided.generated
        assert [why in w for _, w in provided.left] == [True]
