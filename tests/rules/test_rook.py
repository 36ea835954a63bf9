"""Rook rules on tests/fixtures/ceph/{insecure,hardened}/rook.yaml, at their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write
from tests.helpers.ceph_audit import HARDENED, INSECURE, errors, lines

INSECURE_YAML = INSECURE / "rook.yaml"
HARDENED_YAML = HARDENED / "rook.yaml"


@pytest.mark.parametrize(
    ("rule_id", "failing", "passing"),
    [
        ("ROOK-001", [14], [15]),
        ("ROOK-002", [13], [13]),
        ("ROOK-003", [16], [17]),
        ("ROOK-004", [20, 22], [21, 25]),
        ("ROOK-005", [28, 29, 30, 134, 136], [27, 52, 113]),  # and the CSI KMS ConfigMap
        ("ROOK-006", [40, 50, 60], [48]),
        ("ROOK-007", [73, 74, 83, 84], [75, 84]),
        ("ROOK-008", [31, 92], [32, 49, 58]),
    ],
)
def test_rule_fails_and_passes_at_its_lines(
    rule_id: str, failing: list[int], passing: list[int]
) -> None:
    assert lines(rule_id, "fail", INSECURE_YAML) == failing
    assert lines(rule_id, "pass", HARDENED_YAML) == passing
    assert lines(rule_id, "fail", HARDENED_YAML) == []


def test_fixtures_read_without_errors() -> None:
    assert errors(INSECURE_YAML) == errors(HARDENED_YAML) == []


CLUSTER = """apiVersion: ceph.rook.io/v1
kind: CephCluster
metadata:
  name: c
  namespace: rook-ceph
spec:
{spec}"""


def test_unset_fields_fail_at_the_spec(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", CLUSTER.format(spec="  dataDirHostPath: /var/lib/rook\n"))
    # nothing to point at: the spec's first field
    assert lines("ROOK-001", "fail", tmp_path) == [7]
    assert lines("ROOK-002", "fail", tmp_path) == [7]
    assert lines("ROOK-004", "fail", tmp_path) == [7]
    assert lines("ROOK-003", "fail", tmp_path) == []  # no compression: nothing to say


def test_encrypted_osds_without_kms(tmp_path: Path) -> None:
    spec = '  storage:\n    config:\n      encryptedDevice: "true"\n'
    write(tmp_path, "c.yaml", CLUSTER.format(spec=spec))
    assert lines("ROOK-005", "fail", tmp_path) == [7]


def test_external_cluster_is_not_judged_for_daemon_settings(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", CLUSTER.format(spec="  external:\n    enable: true\n"))
    assert lines("ROOK-001", "fail", tmp_path) == lines("ROOK-004", "fail", tmp_path) == []


def test_per_node_device_encryption(tmp_path: Path) -> None:
    spec = (
        "  storage:\n    nodes:\n      - name: n1\n        devices:\n"
        '          - name: sdb\n            config:\n              encryptedDevice: "false"\n'
    )
    write(tmp_path, "c.yaml", CLUSTER.format(spec=spec))
    assert lines("ROOK-004", "fail", tmp_path) == [13]


def test_missing_referenced_secret_is_unknown() -> None:
    assert lines("ROOK-008", "unknown", INSECURE_YAML) == [62]


def test_openshift_serving_certificate_counts(tmp_path: Path) -> None:
    write(
        tmp_path,
        "store.yaml",
        "apiVersion: ceph.rook.io/v1\nkind: CephObjectStore\nmetadata:\n  name: s\nspec:\n"
        "  gateway:\n    securePort: 443\n    service:\n      annotations:\n"
        "        service.beta.openshift.io/serving-cert-secret-name: s-tls\n",
    )
    assert lines("ROOK-006", "pass", tmp_path) == [7]
    assert lines("ROOK-008", "unknown", tmp_path) == [10]  # OpenShift creates that Secret
