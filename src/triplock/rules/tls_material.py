"""Private TLS material (keystores, private keys) kept in ConfigMaps: mounted from one into a
pod that a keystore setting points into, or written into one. ConfigMaps give no secrecy, so
this is both a Kubernetes secrets finding and a TLS material one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from triplock.facts.kube import KubeConfigMap, PodSpec
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.model import Evidence, Location, Severity
from triplock.rules._kube import SECRETS_GOOD_PRACTICES
from triplock.rules.registry import Context, Outcome, fail, rule

# Files that hold private material; truststores and CA certificates are public and may sit in
# ConfigMaps (kube-root-ca.crt is one).
_PRIVATE_FILE = re.compile(
    r"(?i)(?<!trust)(?:\.jks|\.p12|\.pfx|\.keystore|\.bcfks|[-_.]key|\.key\.pem)$"
)
_TRUST = re.compile(r"(?i)trust|ca[-_.]?cert|\bca\.(?:crt|pem)$")
_PRIVATE_PEM = "PRIVATE KEY-----"
# Settings and variables that name a keystore or private key file.
_KEYSTORE_SETTING = re.compile(r"(?i)keystore(?:\.location)?$|keyStore$|(?:^|[._])key[._-]?file$")


@dataclass(frozen=True, slots=True)
class Hit:
    what: str
    location: Location
    evidence: Evidence


def _under(path: str, mount: str) -> bool:
    mount = mount.rstrip("/")
    return bool(mount) and (path == mount or path.startswith(mount + "/"))


def _referenced_files(
    pod: PodSpec, apps: dict[str | None, list[SparkApp]]
) -> Iterator[tuple[str, str, Location]]:
    """(setting or variable, file path, where) of keystore/key files the pod's settings name;
    `apps`: the Spark applications by the object they were read from."""
    for c in pod.containers:
        for e in c.env:
            if e.value and _KEYSTORE_SETTING.search(e.name) and e.value.startswith("/"):
                yield e.name, e.value, pod.at(e.line)
    for app in apps.get(pod.owner.label, ()):
        for key, s in app.settings.items():
            value = s.value.strip().removeprefix("file://").removeprefix("local://")
            if _KEYSTORE_SETTING.search(key) and value.startswith("/") and not _TRUST.search(key):
                yield key, value, s.location


def _mounted_hits(pod: PodSpec, apps: dict[str | None, list[SparkApp]]) -> Iterator[Hit]:
    maps = {v.name: v for v in pod.volumes if v.kind == "configMap"}
    mounts = [(m, maps[m.volume]) for c in pod.containers for m in c.mounts if m.volume in maps]
    if not mounts:
        return
    for name, path, where in _referenced_files(pod, apps):
        for mount, volume in mounts:
            if _under(path, mount.mount_path) and not _TRUST.search(path):
                yield Hit(
                    f"{name} points at {path}, mounted from ConfigMap {volume.source}",
                    where,
                    Evidence.of(name, path),
                )


def _configmap_hits(cm: KubeConfigMap) -> Iterator[Hit]:
    for entry in cm.entries:
        if entry.embedded_in is not None:
            continue
        private_name = bool(_PRIVATE_FILE.search(entry.key)) and not _TRUST.search(entry.key)
        if private_name or _PRIVATE_PEM in entry.value:
            yield Hit(
                f"ConfigMap {cm.ref.name} holds {entry.key}, private TLS material",
                cm.ref.at(entry.line),
                Evidence.of(entry.key, None),
            )


def _binary_hits(cm: KubeConfigMap) -> Iterator[Hit]:
    """Keystores in a ConfigMap's binaryData (its entries are `data`'s only)."""
    for key, line in cm.binary_keys:
        if _PRIVATE_FILE.search(key) and not _TRUST.search(key):
            yield Hit(
                f"ConfigMap {cm.ref.name} holds {key} in binaryData, private TLS material",
                cm.ref.at(line),
                Evidence.of(key, None),
            )


def tls_material_in_configmaps(inventory: Inventory, mounted: bool = True) -> list[Hit]:
    """Keystores and keys written into ConfigMaps and, with `mounted`, those that settings
    point into ConfigMap volumes for."""
    hits = [h for cm in inventory.of(KubeConfigMap) for h in _configmap_hits(cm)]
    hits += [h for cm in inventory.of(KubeConfigMap) for h in _binary_hits(cm)]
    if mounted:
        apps: dict[str | None, list[SparkApp]] = {}
        for app in inventory.of(SparkApp):  # once, not once per pod: a dump has thousands
            apps.setdefault(app.origin.object, []).append(app)
        hits += [h for pod in inventory.of(PodSpec) for h in _mounted_hits(pod, apps)]
    return hits


_RATIONALE = (
    "A ConfigMap is not a Secret: it is readable with the built-in `view` role, printed by "
    "`kubectl describe`, and not covered by the EncryptionConfiguration that encrypts Secrets "
    "at rest. A keystore or private key kept in one is given to everyone who can read "
    "ConfigMaps in the namespace."
)
_REMEDIATION = (
    "Put keystores and private keys in a Secret and mount it as a volume; keep only "
    "truststores and CA certificates in ConfigMaps."
)


def _findings(ctx: Context, mounted: bool) -> Iterator[Outcome]:
    for hit in tls_material_in_configmaps(ctx.inventory, mounted):
        yield fail(hit.what, hit.location, hit.evidence)


@rule(
    id="K8S-007",
    slug="k8s-tls-material-in-configmap",
    title="Private TLS material comes from a ConfigMap, not a Secret",
    control="k8s.secrets",
    severity=Severity.HIGH,
    target=Inventory,
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
    references=(SECRETS_GOOD_PRACTICES,),
)
def configmap_tls_material(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    return _findings(ctx, mounted=True)


@rule(
    id="CERT-014",
    slug="tls-material-in-configmap",
    title="A keystore or private key is written into a ConfigMap",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=Inventory,
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
    references=(SECRETS_GOOD_PRACTICES,),
)
def tls_material_configmap(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    # A keystore setting pointing into a ConfigMap volume is XLAYER-002's under this control.
    return _findings(ctx, mounted=False)
