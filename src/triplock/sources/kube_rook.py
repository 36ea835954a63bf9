"""Rook's Ceph custom resources (ceph.rook.io/v1) in Kubernetes manifests: CephCluster (wire
encryption, msgr2, compression, OSD encryption and its KMS), CephObjectStore (the gateway's
ports and certificate, SSE KMS), CephObjectStoreUser and CephClient (capabilities). Field names
follow rook.io's CRD documentation; see docs/ceph.md."""

from __future__ import annotations

import json

from triplock.facts.ceph import RookCaps, RookCluster, RookCsiKms, RookKms, RookObjectStore, Spot
from triplock.facts.kube import ObjectRef, YMap, scalar_text
from triplock.inventory import Inventory
from triplock.sources.text_lines import QuotedStrings

ROOK_KINDS = frozenset({"CephCluster", "CephObjectStore", "CephObjectStoreUser", "CephClient"})
# The ConfigMaps Ceph-CSI reads its volume-encryption KMS settings from (JSON per KMS id).
CSI_KMS_CONFIGMAPS = frozenset({"csi-kms-connection-details", "ceph-csi-encryption-kms-config"})
# Ceph-CSI's JSON names -> Rook's connectionDetails names (newer configs use Rook's directly).
_CSI_NAMES = {
    "encryptionKMSType": "KMS_PROVIDER",
    "vaultAddress": "VAULT_ADDR",
    "vaultToken": "VAULT_TOKEN",
}


_SERVING_CERT = "service.beta.openshift.io/serving-cert-secret-name"


def is_rook_resource(ref: ObjectRef) -> bool:
    return ref.kind in ROOK_KINDS or (ref.kind == "ConfigMap" and ref.name in CSI_KMS_CONFIGMAPS)


def add_rook_resource(doc: YMap, ref: ObjectRef, inventory: Inventory) -> None:
    if ref.kind == "ConfigMap":
        _csi_kms(doc, ref, inventory)
        return
    spec = doc.map("spec")
    if spec is None:
        return
    if ref.kind == "CephCluster":
        inventory.add(_cluster(spec, ref))
    elif ref.kind == "CephObjectStore":
        inventory.add(_object_store(spec, ref))
    else:
        field = "capabilities" if ref.kind == "CephObjectStoreUser" else "caps"
        caps = spec.map(field)
        if caps is not None:
            grants = tuple((k, scalar_text(v), caps.line_of(k)) for k, v in caps.items())
            inventory.add(RookCaps(ref, grants, spec.line_of(field)))


def _spot(node: YMap | None, key: str) -> Spot | None:
    if node is None or key not in node or isinstance(node.get(key), YMap):
        return None
    return Spot(scalar_text(node.get(key)), node.line_of(key))


def _path(node: YMap | None, *keys: str) -> YMap | None:
    for key in keys:
        node = node.map(key) if node is not None else None
    return node


def _kms(security: YMap | None, key: str = "kms") -> RookKms | None:
    kms = security.map(key) if security is not None else None
    if kms is None:
        return None
    details = kms.map("connectionDetails") or YMap(kms.line)
    return RookKms(
        line=security.line_of(key) if security is not None else kms.line,
        details={k: Spot(scalar_text(v), details.line_of(k)) for k, v in details.items()},
        token_secret=_spot(kms, "tokenSecretName"),
    )


def _cluster(spec: YMap, ref: ObjectRef) -> RookCluster:
    network = spec.map("network")
    connections = _path(spec, "network", "connections")
    storage = spec.map("storage")
    devices: list[tuple[str, Spot]] = []
    config = _spot(_path(storage, "config"), "encryptedDevice")
    if config is not None:
        devices.append(("storage.config", config))
    for node in storage.list("nodes").maps() if storage is not None else []:
        name = node.text("name") or "?"
        found = _spot(node.map("config"), "encryptedDevice")
        if found is not None:
            devices.append((f"node {name}", found))
        for device in node.list("devices").maps():
            found = _spot(device.map("config"), "encryptedDevice")
            if found is not None:
                devices.append((f"node {name} device {device.text('name') or '?'}", found))
    for device_set in storage.list("storageClassDeviceSets").maps() if storage else []:
        found = _spot(device_set, "encrypted")
        name = device_set.text("name") or "?"
        devices.append((f"storageClassDeviceSet {name}", found or Spot("false", device_set.line)))
    external = _spot(spec.map("external"), "enable")
    return RookCluster(
        ref=ref,
        encryption=_spot(_path(connections, "encryption"), "enabled"),
        require_msgr2=_spot(connections, "requireMsgr2"),
        compression=_spot(_path(connections, "compression"), "enabled"),
        connections_line=(connections or network or spec).line,
        encrypted_devices=tuple(devices),
        storage_line=spec.line_of("storage"),
        kms=_kms(spec.map("security")),
        external=external is not None and external.true,
    )


def _object_store(spec: YMap, ref: ObjectRef) -> RookObjectStore:
    gateway = spec.map("gateway")
    security = spec.map("security")
    return RookObjectStore(
        ref=ref,
        gateway_line=spec.line_of("gateway"),
        port=_spot(gateway, "port"),
        secure_port=_spot(gateway, "securePort"),
        certificate_ref=_spot(gateway, "sslCertificateRef") or _serving_cert(gateway),
        kms=_kms(security),
        sse_s3=_kms(security, "s3"),
    )


def _serving_cert(gateway: YMap | None) -> Spot | None:
    """OpenShift's service serving certificate, which Rook documents as the alternative to
    sslCertificateRef: the Secret the annotation asks OpenShift to create."""
    return _spot(_path(gateway, "service", "annotations"), _SERVING_CERT)


def _csi_kms(doc: YMap, ref: ObjectRef, inventory: Inventory) -> None:
    data = doc.map("data")
    if data is None:
        return
    for kms_id, raw in data.items():
        text = scalar_text(raw)
        try:
            settings = json.loads(text)
        except ValueError:
            continue  # not a KMS entry (Ceph-CSI would reject it too)
        if not isinstance(settings, dict):
            continue
        key_line = data.line_of(kms_id)
        strings = QuotedStrings(text.splitlines()) if "\n" in text else None
        details: dict[str, Spot] = {}
        for name, value in settings.items():
            line = _json_line(strings, name, key_line)
            if name == "vaultCAVerify":
                skip = str(value).strip().lower() == "false"
                details["VAULT_SKIP_VERIFY"] = Spot("true" if skip else "false", line)
            elif isinstance(value, str):
                details[_CSI_NAMES.get(str(name)) or str(name)] = Spot(value, line)
        token_spot = next(
            (
                Spot(settings[name], _json_line(strings, name, key_line))
                for name in ("tenantTokenName", "vaultTokenName")
                if isinstance(settings.get(name), str)
            ),
            None,
        )
        kms = RookKms(line=key_line, details=details, token_secret=token_spot)
        inventory.add(RookCsiKms(ref, kms_id, kms))


def _json_line(strings: QuotedStrings | None, name: str, key_line: int) -> int:
    """The manifest line of `"name"` inside a JSON value (a block scalar's text starts on the
    line after its key; a one-line value, `strings` None, is on the key's line). The value's
    strings are indexed once: a search of the text per name was quadratic in the names."""
    at = strings.first(name, 0) if strings is not None else None
    return key_line if at is None else key_line + 1 + at
