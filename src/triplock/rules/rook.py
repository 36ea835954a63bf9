"""Rook rules: the Ceph custom resources on Kubernetes. CephCluster wire encryption, msgr2,
compression, OSD encryption at rest and its KMS; CephObjectStore TLS; capabilities of
CephObjectStoreUser and CephClient; the Secrets they name (docs/ceph.md)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.ceph import (
    RookCaps,
    RookCluster,
    RookCsiKms,
    RookKms,
    RookObjectStore,
    Spot,
)
from triplock.facts.kube import KubeConfigMap, KubeSecret, ObjectRef
from triplock.inventory import Inventory
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._ceph import full_grant
from triplock.rules._kube import SECRETS_GOOD_PRACTICES
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown

ROOK_DOCS = "https://rook.io/docs/rook/latest-release"
CLUSTER_DOC = f"{ROOK_DOCS}/CRDs/Cluster/ceph-cluster-crd/"
OBJECT_STORE_DOC = f"{ROOK_DOCS}/CRDs/Object-Storage/ceph-object-store-crd/"
OBJECT_USER_DOC = f"{ROOK_DOCS}/CRDs/Object-Storage/ceph-object-store-user-crd/"
CLIENT_DOC = f"{ROOK_DOCS}/CRDs/ceph-client-crd/"
KMS_DOC = f"{ROOK_DOCS}/Storage-Configuration/Advanced/key-management-system/"


def _managed(cluster: RookCluster) -> bool:
    """An external cluster's daemons are not configured by this resource."""
    return not cluster.external


def _field(spot: Spot | None) -> Evidence:
    return Evidence.of(None, spot.value if spot else "unset")


@rule(
    id="ROOK-001",
    slug="rook-wire-encryption-off",
    title="Rook does not encrypt Ceph network traffic",
    control="transit.tls",
    severity=Severity.HIGH,
    target=RookCluster,
    applies=_managed,
    rationale="network.connections.encryption.enabled defaults to false: Ceph then uses the "
    "msgr2 crc mode, authenticating peers but carrying all data between clients, OSDs and "
    "monitors in clear text across the pod network.",
    remediation="Set spec.network.connections.encryption.enabled: true (kernel 5.11+ for "
    "kernel RBD/CephFS clients; CephFS needs ms_mode=secure in CSI mount options).",
    references=(CLUSTER_DOC + "#network-configuration-settings",),
)
def wire_encryption(cluster: RookCluster, ctx: Context) -> Iterator[Outcome]:
    yield _connection_flag(
        cluster,
        cluster.encryption,
        "encryption.enabled",
        "msgr2 secure mode is on",
        "Ceph traffic is not encrypted",
    )


def _connection_flag(
    cluster: RookCluster, spot: Spot | None, field: str, ok: str, bad: str
) -> Outcome:
    """Pass when the network.connections `field` is true, else fail where it is (or would be)
    written."""
    where = cluster.ref.at(spot.line if spot else cluster.connections_line)
    if spot is not None and spot.true:
        return passed(f"{ok} (connections.{field})", where)
    key = f"spec.network.connections.{field}"
    return fail(
        f"network.connections.{field} is {spot.value if spot else 'unset (default false)'}: {bad}",
        where,
        fix=Fix(FixAction.SET, key, "true", where.path),
    )


@rule(
    id="ROOK-002",
    slug="rook-msgr2-not-required",
    title="Rook keeps the msgr v1 port open",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=RookCluster,
    applies=_managed,
    rationale="Without network.connections.requireMsgr2 the monitors also listen on the v1 "
    "port 6789, which has no encryption: a client can bypass the secure mode.",
    remediation="Set spec.network.connections.requireMsgr2: true once clients support msgr2.",
    references=(CLUSTER_DOC + "#network-configuration-settings",),
)
def msgr2_required(cluster: RookCluster, ctx: Context) -> Iterator[Outcome]:
    yield _connection_flag(
        cluster,
        cluster.require_msgr2,
        "requireMsgr2",
        "only msgr2 is served",
        "the unencrypted v1 port stays open",
    )


@rule(
    id="ROOK-003",
    slug="rook-compression-without-encryption",
    title="Rook compresses Ceph traffic that it does not encrypt",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=RookCluster,
    applies=lambda c: c.compression is not None and c.compression.true,
    rationale="network.connections.compression.enabled makes OSD traffic compressed, which "
    "is not protection: without encryption the data is still readable on the wire. With "
    "encryption on, Ceph skips compression on secure connections (ms_compress_secure=false, "
    "against CRIME-like length leaks), so compression only helps unencrypted links.",
    remediation="Enable connections.encryption as well; do not set ms_compress_secure=true.",
    references=(CLUSTER_DOC + "#network-configuration-settings",),
)
def compression(cluster: RookCluster, ctx: Context) -> Iterator[Outcome]:
    assert cluster.compression is not None
    where = cluster.ref.at(cluster.compression.line)
    if cluster.encryption is not None and cluster.encryption.true:
        yield passed(
            "compression is on with encryption: Ceph skips it on secure connections", where
        )
    else:
        yield fail("connections.compression is on while encryption is off", where)


@rule(
    id="ROOK-004",
    slug="rook-osd-not-encrypted",
    title="Rook OSDs store data unencrypted",
    control="rest.storage",
    severity=Severity.HIGH,
    target=RookCluster,
    applies=_managed,
    rationale='Without storage.config.encryptedDevice: "true" (host OSDs) or encrypted: '
    "true on each storageClassDeviceSet (PVC OSDs), OSD disks hold object, block and file "
    "data in clear: a disk or volume snapshot taken away is readable.",
    remediation='Set spec.storage.config.encryptedDevice: "true" and encrypted: true on '
    "every storageClassDeviceSet (for new OSDs: existing OSDs must be redeployed).",
    references=(CLUSTER_DOC + "#osd-configuration-settings",),
)
def osd_encryption(cluster: RookCluster, ctx: Context) -> Iterator[Outcome]:
    if not cluster.encrypted_devices:
        where = cluster.ref.at(cluster.storage_line)
        yield fail(
            "no OSD encryption (storage.config.encryptedDevice is unset)",
            where,
            fix=Fix(FixAction.SET, "spec.storage.config.encryptedDevice", '"true"', where.path),
        )
        return
    for place, spot in cluster.encrypted_devices:
        where = cluster.ref.at(spot.line)
        if spot.true:
            yield passed(f"{place}: OSDs are encrypted", where)
        else:
            yield fail(f"{place}: OSD encryption is {spot.value}", where, _field(spot))


def _kms_outcomes(ref: ObjectRef, kms: RookKms, what: str) -> Iterator[Outcome]:
    details = kms.details
    addr = details.get("VAULT_ADDR")
    skip = details.get("VAULT_SKIP_VERIFY")
    token = details.get("VAULT_TOKEN")
    failed = False
    if addr is not None and addr.value.strip().lower().startswith("http://"):
        failed = True
        yield fail(
            f"{what}: VAULT_ADDR is plain http://",
            ref.at(addr.line),
            Evidence.of("VAULT_ADDR", addr.value),
            fix=Fix(FixAction.REPLACE, "VAULT_ADDR", "an https:// address", ref.path),
        )
    if skip is not None and skip.true:
        failed = True
        yield fail(f"{what}: VAULT_SKIP_VERIFY is true", ref.at(skip.line))
    if token is not None and token.value.strip():
        failed = True
        yield fail(
            f"{what}: a Vault token is written in connectionDetails",
            ref.at(token.line),
            Evidence.of("VAULT_TOKEN", token.value),
            fix=Fix(FixAction.MANUAL, "put the token in a Secret named by tokenSecretName"),
            severity=Severity.CRITICAL,
        )
    if not failed:
        provider = details.get("KMS_PROVIDER")
        name = provider.value if provider else "a KMS"
        yield passed(f"{what}: keys are kept in {name} over TLS", ref.at(kms.line))


@rule(
    id="ROOK-005",
    slug="rook-kms-weak",
    title="Rook encryption keys are not kept in a KMS reached over verified TLS",
    control="keys.management",
    severity=Severity.HIGH,
    target=Inventory,
    rationale="Without security.kms Rook stores each OSD's dm-crypt key as a Kubernetes "
    "Secret next to the cluster, readable by anyone who can read Secrets there. With Vault, "
    "an http:// VAULT_ADDR, VAULT_SKIP_VERIFY or a token written in connectionDetails (or in "
    "Ceph-CSI's csi-kms-connection-details ConfigMap: vaultAddress, vaultCAVerify) expose the "
    "keys that protect every OSD, object or encrypted volume.",
    remediation="Configure security.kms with KMS_PROVIDER: vault, an https:// VAULT_ADDR, "
    "VAULT_CACERT, and the token in a Secret named by tokenSecretName (or Vault "
    "Kubernetes auth).",
    references=(KMS_DOC,),
)
def kms_weak(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    for cluster in inventory.of(RookCluster):
        encrypted = any(spot.true for _, spot in cluster.encrypted_devices)
        if cluster.kms is not None:
            yield from _kms_outcomes(cluster.ref, cluster.kms, "OSD encryption keys")
        elif encrypted and not cluster.external:
            yield fail(
                "OSD encryption keys are stored as Kubernetes Secrets (no security.kms)",
                cluster.ref.at(cluster.storage_line),
                severity=Severity.MEDIUM,
            )
    for store in inventory.of(RookObjectStore):
        for kms, what in ((store.kms, "SSE-KMS keys"), (store.sse_s3, "SSE-S3 keys")):
            if kms is not None:
                yield from _kms_outcomes(store.ref, kms, what)
    for csi in inventory.of(RookCsiKms):
        yield from _kms_outcomes(csi.ref, csi.kms, f"CSI volume keys ({csi.kms_id})")


@rule(
    id="ROOK-006",
    slug="rook-object-store-no-tls",
    title="A Rook object store gateway serves S3 without TLS",
    control="transit.tls",
    severity=Severity.HIGH,
    target=RookObjectStore,
    rationale="A CephObjectStore gateway without securePort and sslCertificateRef serves S3 "
    "over plain HTTP on its port; with both a port and a securePort, the plain port stays "
    "open beside TLS and clients can use it.",
    remediation="Set gateway.securePort: 443 and gateway.sslCertificateRef to a kubernetes.io"
    "/tls Secret, and remove gateway.port.",
    references=(OBJECT_STORE_DOC + "#gateway-settings",),
)
def object_store_tls(store: RookObjectStore, ctx: Context) -> Iterator[Outcome]:
    secure, cert, port = store.secure_port, store.certificate_ref, store.port
    if secure is None:
        where = store.ref.at(port.line if port else store.gateway_line)
        yield fail(
            "gateway has no securePort: S3 is served over HTTP"
            + (f" on port {port.value}" if port else ""),
            where,
            fix=Fix(FixAction.SET, "spec.gateway.securePort", "443", where.path),
        )
    elif cert is None:
        yield fail("gateway.securePort is set without sslCertificateRef", store.ref.at(secure.line))
    elif port is not None:
        yield fail(
            f"gateway keeps plain port {port.value} beside securePort {secure.value}",
            store.ref.at(port.line),
            fix=Fix(FixAction.UNSET, "spec.gateway.port", None, store.ref.path),
            severity=Severity.MEDIUM,
        )
    else:
        yield passed(
            f"gateway serves TLS only (securePort {secure.value})", store.ref.at(secure.line)
        )


@rule(
    id="ROOK-007",
    slug="rook-caps-too-wide",
    title="A Rook object store user or Ceph client is allowed everything",
    control="rest.storage",
    severity=Severity.MEDIUM,
    target=RookCaps,
    rationale='CephObjectStoreUser capabilities set to "*" make the user an RGW '
    "administrator (all users, buckets, metadata); CephClient caps of `allow *` make an "
    "application key a cluster administrator. A leaked key then exposes all data.",
    remediation="Grant only what the application needs (e.g. bucket: read; osd: profile rbd "
    "pool=NAME).",
    references=(OBJECT_USER_DOC, CLIENT_DOC),
)
def caps_too_wide(caps: RookCaps, ctx: Context) -> Iterator[Outcome]:
    wide = [(cap, grant, line) for cap, grant, line in caps.caps if full_grant(grant)]
    for cap, grant, line in wide:
        yield fail(f"{cap}: {grant!r} grants everything", caps.ref.at(line))
    if not wide:
        yield passed("capabilities are limited", caps.ref.at(caps.line))


def _named(
    objects: list[KubeSecret] | list[KubeConfigMap], name: str, namespace: str | None
) -> bool:
    return any(
        o.ref.name == name and (namespace is None or o.ref.namespace in (None, namespace))
        for o in objects
    )


def _references(inventory: Inventory) -> Iterator[tuple[ObjectRef, str, Spot]]:
    for cluster in inventory.of(RookCluster):
        if cluster.kms is not None and cluster.kms.token_secret is not None:
            yield cluster.ref, "tokenSecretName", cluster.kms.token_secret
    for store in inventory.of(RookObjectStore):
        if store.certificate_ref is not None:
            yield store.ref, "sslCertificateRef", store.certificate_ref
        for kms in (store.kms, store.sse_s3):
            if kms is not None and kms.token_secret is not None:
                yield store.ref, "tokenSecretName", kms.token_secret


@rule(
    id="ROOK-008",
    slug="rook-secret-in-configmap",
    title="A Rook KMS token or certificate is kept in a ConfigMap",
    control="keys.management",
    severity=Severity.HIGH,
    target=Inventory,
    rationale="Rook reads a KMS token (tokenSecretName) and the gateway's key and certificate "
    "(sslCertificateRef) from Secrets. Kept in a ConfigMap instead (or a VAULT_TOKEN in any "
    "ConfigMap), they are readable by everyone allowed to read ConfigMaps and are never "
    "encrypted at rest by the API server.",
    remediation="Store the token and certificate in Secrets (type kubernetes.io/tls for the "
    "certificate) and delete the ConfigMap copy.",
    references=(KMS_DOC, SECRETS_GOOD_PRACTICES),
)
def secret_in_configmap(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    for ref, field, spot in _references(inventory):
        name = spot.value.strip()
        if _named(inventory.of(KubeSecret), name, ref.namespace):
            yield passed(f"{field} {name} is a Secret in the inputs", ref.at(spot.line))
        elif _named(inventory.of(KubeConfigMap), name, ref.namespace):
            yield fail(f"{field} {name} is a ConfigMap, not a Secret", ref.at(spot.line))
        else:
            yield unknown(f"{field} {name} is not among the inputs", ref.at(spot.line))
    if not inventory.of(RookCluster) and not inventory.of(RookObjectStore):
        return
    for cm in inventory.of(KubeConfigMap):
        for entry in cm.entries:
            if entry.key.upper() == "VAULT_TOKEN" and entry.value.strip():
                yield fail(
                    "a Vault token is stored in a ConfigMap",
                    cm.ref.at(entry.line),
                    Evidence.of("VAULT_TOKEN", entry.value),
                    severity=Severity.CRITICAL,
                )
