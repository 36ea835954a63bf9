"""Rook custom resources into facts: the fields the Rook rules judge, with their lines."""

from __future__ import annotations

from tests.helpers.ceph_audit import HARDENED, INSECURE
from triplock.facts.ceph import RookCaps, RookCluster, RookCsiKms, RookObjectStore, Spot
from triplock.inventory import Inventory
from triplock.sources.interface import InputFile
from triplock.sources.kube_yaml import SOURCE


def _read(path: str) -> Inventory:
    inventory = Inventory()
    with open(path, "rb") as f:
        SOURCE.parse(InputFile(path, f.read(), None), inventory)
    return inventory


def test_cluster_fields() -> None:
    (cluster,) = _read(str(INSECURE / "rook.yaml")).of(RookCluster)
    assert cluster.ref.label == "CephCluster/rook-ceph/rook-ceph"
    assert cluster.encryption == Spot("false", 14)
    assert cluster.compression == Spot("true", 16)
    assert cluster.require_msgr2 is None
    assert cluster.encrypted_devices == (
        ("storage.config", Spot("false", 20)),
        ("storageClassDeviceSet set1", Spot("false", 22)),  # absent: not encrypted
    )
    assert cluster.kms is not None and cluster.kms.token_secret == Spot("rook-vault-token", 31)
    assert set(cluster.kms.details) == {
        "KMS_PROVIDER",
        "VAULT_ADDR",
        "VAULT_SKIP_VERIFY",
        "VAULT_TOKEN",
    }


def test_object_store_and_caps() -> None:
    inventory = _read(str(HARDENED / "rook.yaml"))
    (store,) = inventory.of(RookObjectStore)
    assert store.service == "rook-ceph-rgw-secure-store"
    assert (store.port, store.secure_port) == (None, Spot("443", 48))
    assert store.certificate_ref == Spot("secure-store-tls", 49)
    assert store.kms is not None and store.sse_s3 is None
    caps = {c.ref.kind: c.caps for c in inventory.of(RookCaps)}
    assert caps["CephObjectStoreUser"] == (("bucket", "read", 76),)
    assert caps["CephClient"] == (
        ("mon", "profile rbd", 85),
        ("osd", "profile rbd pool=volumes", 86),
    )


def test_csi_kms_json_lines() -> None:
    block = _read(str(INSECURE / "rook.yaml")).of(RookCsiKms)
    one_line = _read(str(HARDENED / "rook.yaml")).of(RookCsiKms)
    (insecure,) = block
    assert insecure.kms_id == "vault-test"
    assert insecure.kms.details["VAULT_ADDR"] == Spot("http://vault.vault.svc:8200", 134)
    assert insecure.kms.details["VAULT_SKIP_VERIFY"] == Spot("true", 136)  # vaultCAVerify false
    assert insecure.kms.token_secret == Spot("ceph-csi-kms-token", 137)
    (hardened,) = one_line
    assert hardened.kms.details["VAULT_ADDR"].line == 113  # a one-line value: its key's line
