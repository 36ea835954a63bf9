from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write

TEE = ROOT / "tests" / "fixtures" / "tee"
MANIFESTS = TEE / "manifests"
PODS = TEE / "pods"


def audit(path: Path) -> Any:
    result = run_cli("audit", str(path), "--format", "json", "--fail-on", "critical")
    assert not result.json()["errors"], result.json()["errors"]
    return result


def statuses(path: Path, rule_id: str) -> list[tuple[str, int | None]]:
    return sorted((f["status"], f["location"]["line"]) for f in findings_of(audit(path), rule_id))


# ---- manifests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture,rule_id,expected",
    [
        # TEE-001 debug enclaves
        ("spark-insecure.manifest.template", "TEE-001", [("fail", 23)]),
        ("spark-hardened.manifest.template", "TEE-001", [("pass", 24)]),
        ("graphene-legacy.manifest.template", "TEE-001", [("fail", None)]),
        ("templated.manifest.template", "TEE-001", [("unknown", 6)]),
        ("occlum-insecure/Occlum.json", "TEE-001", [("fail", 30)]),
        ("occlum-hardened/Occlum.json", "TEE-001", [("pass", 27)]),
        # TEE-002 insecure__ options
        (
            "spark-insecure.manifest.template",
            "TEE-002",
            [("fail", 6), ("fail", 7), ("fail", 11), ("fail", 21)],
        ),
        ("graphene-legacy.manifest.template", "TEE-002", [("fail", 6)]),
        ("spark-hardened.manifest.template", "TEE-002", [("pass", None)]),
        # TEE-003 file check policy
        ("spark-insecure.manifest.template", "TEE-003", [("fail", 27)]),
        ("spark-hardened.manifest.template", "TEE-003", [("pass", 29)]),
        ("templated.manifest.template", "TEE-003", [("unknown", 8)]),
        # TEE-004 code in allowed files
        ("spark-insecure.manifest.template", "TEE-004", [("fail", 35), ("fail", 36), ("fail", 37)]),
        ("graphene-legacy.manifest.template", "TEE-004", [("fail", 21)]),
        ("occlum-insecure/Occlum.json", "TEE-004", [("fail", 53)]),
        ("spark-hardened.manifest.template", "TEE-004", [("pass", None)]),
        ("templated.manifest.template", "TEE-004", [("unknown", 12)]),
        # TEE-005 secrets from the host
        ("spark-insecure.manifest.template", "TEE-005", [("fail", 9), ("fail", 38), ("fail", 39)]),
        ("occlum-insecure/Occlum.json", "TEE-005", [("fail", 22), ("fail", 23), ("fail", 54)]),
        ("occlum-hardened/Occlum.json", "TEE-005", [("pass", None)]),
        # TEE-006 remote attestation
        ("spark-insecure.manifest.template", "TEE-006", [("fail", 26)]),
        ("graphene-legacy.manifest.template", "TEE-006", [("fail", None)]),
        ("gramine-epid.manifest", "TEE-006", [("fail", 6)]),
        ("spark-hardened.manifest.template", "TEE-006", [("pass", 28)]),
        ("templated.manifest.template", "TEE-006", [("unknown", 7)]),
        # TEE-007 encrypted mount keys
        ("spark-insecure.manifest.template", "TEE-007", [("fail", 19)]),
        ("graphene-legacy.manifest.template", "TEE-007", [("fail", 25)]),
        ("occlum-insecure/Occlum.json", "TEE-007", [("fail", 55), ("pass", 47), ("pass", 48)]),
        ("spark-hardened.manifest.template", "TEE-007", [("pass", 20), ("pass", 21)]),
        # TEE-008 literal secrets
        ("spark-insecure.manifest.template", "TEE-008", [("fail", 10), ("fail", 21)]),
        ("occlum-insecure/Occlum.json", "TEE-008", [("fail", 55)]),
        ("spark-hardened.manifest.template", "TEE-008", [("pass", None)]),
    ],
)
def test_manifest_rules(fixture: str, rule_id: str, expected: list[tuple[str, int | None]]) -> None:
    assert statuses(MANIFESTS / fixture, rule_id) == sorted(expected)


def test_epid_is_medium_and_fix_is_dcap() -> None:
    (f,) = findings_of(audit(MANIFESTS / "gramine-epid.manifest"), "TEE-006")
    assert f["severity"] == "medium"
    assert f["fix"]["target"] == "sgx.remote_attestation" and f["fix"]["value"] == "dcap"


@pytest.mark.parametrize(
    "text,status",
    [
        ('sgx.remote_attestation = "dcap"\n', "pass"),
        ("sgx.remote_attestation = true\n", "pass"),  # Gramine < 1.4 without a SPID: DCAP
        ('sgx.remote_attestation = "epid"\n', "fail"),
        ("sgx.remote_attestation = false\n", "fail"),
        ("sgx.debug = false\n", "fail"),  # unset
    ],
)
def test_attestation_values(tmp_path: Path, text: str, status: str) -> None:
    path = write(tmp_path, "app.manifest", text)
    assert [f["status"] for f in findings_of(audit(path), "TEE-006")] == [status]


def test_unset_debug_passes_for_gramine(tmp_path: Path) -> None:
    path = write(tmp_path, "app.manifest", 'sgx.enclave_size = "1G"\n')
    assert [f["status"] for f in findings_of(audit(path), "TEE-001")] == ["pass"]


def test_unknown_provisioned_key_is_unknown(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "app.manifest",
        'fs.mounts = [{ type = "encrypted", path = "/d", uri = "file:d" }]\n',
    )
    (f,) = findings_of(audit(path), "TEE-007")
    assert f["status"] == "unknown" and f["location"]["line"] == 1


def test_secret_values_are_redacted() -> None:
    result = audit(MANIFESTS / "spark-insecure.manifest.template")
    assert "CANARY" not in result.out
    assert "ffeeddccbbaa99887766554433221100" not in result.out


# ---- pods, Secrets and Spark settings -------------------------------------------------------


@pytest.mark.parametrize(
    "fixture,rule_id,expected",
    [
        ("sgx-insecure.yaml", "TEE-020", [("fail", 17), ("fail", 35), ("fail", 38), ("pass", 72)]),
        ("sgx-hardened.yaml", "TEE-020", [("pass", 29)]),
        ("tdx.yaml", "TEE-021", [("fail", 15), ("pass", 36)]),
        ("sgx-insecure.yaml", "TEE-022", [("fail", 20), ("fail", 22), ("pass", 24)]),
        ("sgx-hardened.yaml", "TEE-022", [("pass", 24), ("pass", 26)]),
        ("sgx-insecure.yaml", "TEE-024", [("fail", 52)]),
        ("sgx-hardened.yaml", "TEE-024", []),
        ("sgx-insecure.yaml", "TEE-025", [("fail", 69), ("fail", 74)]),
        ("sgx-hardened.yaml", "TEE-025", []),
    ],
)
def test_pod_rules(fixture: str, rule_id: str, expected: list[tuple[str, int | None]]) -> None:
    assert statuses(PODS / fixture, rule_id) == sorted(expected)


def test_pods_without_tee_signals_get_no_tee_findings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "web.yaml",
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
            "    - name: web\n      image: nginx:1.27\n      securityContext:\n"
            "        privileged: true\n      env:\n        - name: DEBUG\n          value: 'true'\n"
        ),
    )
    result = audit(path)
    assert not [f for f in result.json()["findings"] if f["rule_id"].startswith("TEE-02")]


@pytest.mark.parametrize(
    "conf,status",
    [
        ("spark.kubernetes.driverEnv.ATTESTATION=false\n", "fail"),
        ("spark.executorEnv.SGX_ENABLED=true\n", "pass"),
        ("spark.kubernetes.sgx.enabled=false\n", "fail"),
        ("spark.executorEnv.ATTESTATION=${ATTEST}\n", "unknown"),
    ],
)
def test_spark_switches(tmp_path: Path, conf: str, status: str) -> None:
    path = write(tmp_path, "spark-defaults.conf", conf)
    (f,) = findings_of(audit(path), "TEE-023")
    assert (f["status"], f["location"]["line"]) == (status, 1)


# ---- hosts (probe reports) ------------------------------------------------------------------


def probe_report(tmp_path: Path, host: str) -> Path:
    result = run_cli("probe", "--root", str(TEE / "hosts" / host), "--format", "json")
    assert result.code == 0, result.err
    return write(tmp_path, f"{host}.json", result.out)


@pytest.mark.parametrize(
    "host,tee040,tee041",
    [
        ("sgx", ["pass"], ["pass"]),
        ("sgx-legacy", ["pass"], ["fail"]),
        ("tdx", ["pass"], []),
        ("plain", ["fail"], []),
        ("gramine-enclave", ["pass"], []),
    ],
)
def test_host_rules(tmp_path: Path, host: str, tee040: list[str], tee041: list[str]) -> None:
    result = audit(probe_report(tmp_path, host))
    assert [f["status"] for f in findings_of(result, "TEE-040")] == tee040
    assert [f["status"] for f in findings_of(result, "TEE-041")] == tee041


def test_legacy_sgx_host_names_what_is_missing(tmp_path: Path) -> None:
    (f,) = findings_of(audit(probe_report(tmp_path, "sgx-legacy")), "TEE-041", "fail")
    for part in ("sgx_lc", "/dev/isgx", "/dev/sgx_provision", "AESM"):
        assert part in f["message"]
    assert f["location"]["object"] == "host sgx-desktop"


def test_spark_operator_parts_are_judged_like_pods(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sparkapp.yaml",
        (
            "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\n"
            "metadata:\n  name: ppml\nspec:\n  type: Python\n  mode: cluster\n"
            "  image: intelanalytics/bigdl-ppml-trusted-big-data-ml-python-gramine:2.4.0\n"
            "  mainApplicationFile: local:///ppml/train.py\n  sparkVersion: 3.1.3\n"
            "  driver:\n    securityContext:\n      privileged: true\n"
            "    volumeMounts:\n      - {name: enclave, mountPath: /dev/sgx_enclave}\n"
            "  executor:\n    instances: 2\n"
            "  volumes:\n    - name: enclave\n      hostPath: {path: /dev/sgx_enclave}\n"
        ),
    )
    found = [
        (f["status"], f["location"]["line"])
        for f in audit(path).json()["findings"]
        if f["rule_id"] == "TEE-020"
    ]
    assert ("fail", 13) in found


def test_data_dirs_in_allowed_files_are_reported() -> None:
    from tests.helpers import ROOT, findings_of, run_cli

    result = run_cli("audit", str(ROOT / "tests/fixtures/tee/data-dirs"), "--format", "json")
    fails = findings_of(result, "TEE-009", "fail")
    assert [(f["location"]["line"], "spark.local.dir" in f["message"]) for f in fails] == [
        (21, False),
        (23, True),
    ]
