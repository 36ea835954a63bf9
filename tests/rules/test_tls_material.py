"""K8S-007 / CERT-014: keystores and private keys that come from ConfigMaps."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, findings_of, run_cli, write

FIXTURE = ROOT / "tests" / "fixtures" / "kube" / "tls-from-configmap.yaml"


def test_keystore_mounted_from_configmap_and_key_in_configmap() -> None:
    result = run_cli("audit", str(FIXTURE), "--format", "json")
    cases = (
        ("K8S-007", "k8s.secrets", [12, 25, 47]),
        ("CERT-014", "keys.tls-material", [12, 47]),  # line 25 is XLAYER-002's under that control
        ("XLAYER-002", "keys.tls-material", [25, 26]),
    )
    for rule, control, lines in cases:
        fails = findings_of(result, rule, "fail")
        assert sorted(f["location"]["line"] for f in fails) == lines, rule
        assert {f["control"] for f in fails} == {control}
    assert "MIIEvQ" not in result.out


def test_truststores_ca_certs_and_secret_volumes_are_fine(tmp_path: Path) -> None:
    text = FIXTURE.read_text().split(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nginx"
    )[0]
    text = text.replace(
        "configMap:\n        name: spark-tls", "secret:\n        secretName: spark-tls"
    )
    text = text.replace('binaryData:\n  keystore.jks: "AAECAw=="\n', "")
    write(tmp_path, "app.yaml", text)
    write(
        tmp_path,
        "ca.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-root-ca.crt}\n"
        "data:\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n"
        "    -----END CERTIFICATE-----\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert not findings_of(result, "K8S-007", "fail")
    assert not findings_of(result, "CERT-014", "fail")
