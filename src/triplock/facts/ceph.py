"""Facts about Ceph: ceph.conf options by section, keyrings, key files, and the Rook custom
resources (CephCluster, CephObjectStore, CephObjectStoreUser, CephClient) that deploy Ceph on
Kubernetes.

A `CephConf` answers `lookup(option, entity)` as a Ceph daemon reads its configuration file:
the entity's own section (`[osd.3]`, `[client.rgw.gw1]`), then its type (`[osd]`, `[client]`),
then `[global]` (md_config_t::get_my_sections). Option names are stored in Ceph's normal form
(a run of blanks is one underscore: `auth cluster required` is `auth_cluster_required`; a dash
is a dash, which Ceph does not read as an underscore in a file). Option defaults and the
documents they come from are listed in docs/ceph.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triplock.facts.kube import ObjectRef
from triplock.model import Location

GLOBAL = "global"
DAEMON_TYPES = ("mon", "mgr", "osd", "mds", "client")
_BLANKS = re.compile(r"\s+")

# Ceph's defaults for the options the rules read (src/common/options/global.yaml.in and
# rgw.yaml.in; the same in Reef 18 and Squid 19). tests/sources/test_ceph_conf_differential.py
# checks them against the installed Ceph's own option table.
DEFAULTS = {
    "auth_cluster_required": "cephx",
    "auth_service_required": "cephx",
    "auth_client_required": "cephx, none",
    "cephx_sign_messages": "true",
    "cephx_require_signatures": "false",
    "cephx_cluster_require_signatures": "false",
    "cephx_service_require_signatures": "false",
    "auth_allow_insecure_global_id_reclaim": "true",
    "ms_cluster_mode": "crc secure",
    "ms_service_mode": "crc secure",
    "ms_client_mode": "crc secure",
    "ms_mon_cluster_mode": "secure crc",
    "ms_mon_service_mode": "secure crc",
    "ms_mon_client_mode": "secure crc",
    "ms_bind_msgr1": "true",
    "ms_bind_msgr2": "true",
    "ms_compress_secure": "false",
    "rgw_crypt_require_ssl": "true",
    "rgw_crypt_s3_kms_backend": "barbican",
    "rgw_crypt_vault_verify_ssl": "true",
    "rgw_crypt_sse_s3_vault_verify_ssl": "true",
    "rgw_frontends": "beast port=7480",
}


def normal_name(written: str) -> str:
    """Ceph's normal form of an option name (ConfFile::normalize_key_name): trimmed, every
    run of blanks one underscore."""
    return _BLANKS.sub("_", written.strip())


def entity_type(entity: str) -> str:
    """`osd` for `osd.3`, `client` for `client.rgw.gw1`, the name itself for a type."""
    return entity.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class CephOption:
    """One `name = value` line: `name` normalised, `written` as in the file."""

    name: str
    written: str
    value: str
    section: str
    location: Location
    templated: bool = False


@dataclass(frozen=True, slots=True)
class KeyFile:
    """A file that holds key material (keyring, keyfile, Vault token, TLS private key) named by
    a configuration, found inside the audited tree, with its permission bits."""

    option: str
    path: str
    mode: int
    location: Location


@dataclass
class CephConf:
    """One ceph.conf (a file, or the `config` of Rook's rook-config-override ConfigMap).

    `central`: the file holds only bootstrap settings (fsid, mon_host, keyring), so the cluster's
    options live in the monitors' configuration database, which is not among the inputs: an
    option unset here is unknown, not its default.
    `overlay`: the file is layered over settings made elsewhere (Rook's rook-config-override
    over what the CephCluster sets): only what it sets is judged, never a default."""

    name: str
    origin: Location
    sections: dict[str, dict[str, CephOption]] = field(default_factory=dict)
    section_lines: dict[str, int] = field(default_factory=dict)
    key_files: list[KeyFile] = field(default_factory=list)
    central: bool = False
    overlay: bool = False

    def add(self, option: CephOption) -> None:
        """Later lines win, also across repeated sections (ConfFile merges them)."""
        self.sections.setdefault(option.section, {})[option.name] = option

    def lookup(self, name: str, entity: str = GLOBAL) -> CephOption | None:
        for section in _precedence(entity):
            found = self.sections.get(section, {}).get(name)
            if found is not None:
                return found
        return None

    def setting_sections(self, name: str) -> list[str]:
        """The sections that set `name`, [global] first."""
        return sorted(
            (s for s, options in self.sections.items() if name in options),
            key=lambda s: (s != GLOBAL, s),
        )

    def options(self) -> list[CephOption]:
        return [o for options in self.sections.values() for o in options.values()]

    def rgw_entities(self) -> list[str]:
        """The RADOS Gateway instances this file configures: its `[client.rgw.*]` (or legacy
        `[client.radosgw.*]`) sections, else `client.rgw` when rgw_* options sit in [global] or
        [client]."""
        named = [s for s in self.sections if s.startswith(("client.rgw", "client.radosgw"))]
        if named:
            return sorted(named)
        shared = [*self.sections.get(GLOBAL, {}), *self.sections.get("client", {})]
        return ["client.rgw"] if any(n.startswith("rgw_") for n in shared) else []

    def at(self, section: str) -> Location:
        """Where a section starts (where an unset option would be written)."""
        line = self.section_lines.get(section)
        return Location(path=self.origin.path, line=line or self.origin.line, object=f"[{section}]")


def _precedence(entity: str) -> list[str]:
    kind = entity_type(entity)
    order = [entity] if entity != kind else []
    if kind != GLOBAL:
        order.append(kind)
    order.append(GLOBAL)
    return order


@dataclass(frozen=True, slots=True)
class KeyringEntity:
    """One `[entity]` of a keyring: whether it holds a key (never its value) and its caps."""

    name: str
    line: int
    key_line: int | None
    caps: tuple[tuple[str, str, int], ...]  # (daemon type, capability, line)


@dataclass(frozen=True, slots=True)
class CephKeyring:
    path: str
    entities: tuple[KeyringEntity, ...]
    mode: int | None  # None for stdin


# ---- Rook -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spot:
    """A scalar field of a custom resource and the line it is written on."""

    value: str
    line: int

    @property
    def true(self) -> bool:
        return self.value.strip().lower() == "true"


@dataclass(frozen=True, slots=True)
class RookKms:
    """`security.kms`: the KMS Rook keeps OSD or RGW encryption keys in."""

    line: int
    details: dict[str, Spot]  # connectionDetails
    token_secret: Spot | None  # tokenSecretName


@dataclass(frozen=True, slots=True)
class RookCluster:
    ref: ObjectRef
    encryption: Spot | None  # network.connections.encryption.enabled
    require_msgr2: Spot | None  # network.connections.requireMsgr2
    compression: Spot | None  # network.connections.compression.enabled
    connections_line: int  # where network.connections is (or would be) written
    encrypted_devices: tuple[tuple[str, Spot], ...]  # (where, encryptedDevice / encrypted)
    storage_line: int
    kms: RookKms | None
    external: bool = False


@dataclass(frozen=True, slots=True)
class RookObjectStore:
    ref: ObjectRef
    gateway_line: int
    port: Spot | None
    secure_port: Spot | None
    certificate_ref: Spot | None  # sslCertificateRef
    kms: RookKms | None  # security.kms (SSE-KMS)
    sse_s3: RookKms | None  # security.s3 (SSE-S3)

    @property
    def service(self) -> str:
        """The Service Rook creates for the gateway."""
        return f"rook-ceph-rgw-{self.ref.name}"


@dataclass(frozen=True, slots=True)
class RookCaps:
    """The capabilities a CephObjectStoreUser (spec.capabilities) or CephClient (spec.caps)
    is given: (capability, grant, line)."""

    ref: ObjectRef
    caps: tuple[tuple[str, str, int], ...]
    line: int


@dataclass(frozen=True, slots=True)
class RookCsiKms:
    """One KMS of Ceph-CSI's volume encryption (a JSON entry of the csi-kms-connection-details
    ConfigMap), with its settings under Rook's connectionDetails names."""

    ref: ObjectRef
    kms_id: str
    kms: RookKms
