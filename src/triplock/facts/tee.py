"""Facts about computation in use: enclave manifests (Gramine, Graphene, Occlum) and the TEE
capabilities of the hosts a workload runs on (as observed by `triplock probe`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from triplock.inventory import Setting
from triplock.model import Location


class Framework(enum.Enum):
    GRAMINE = "gramine"  # TOML manifest, Gramine 1.x
    GRAPHENE = "graphene"  # legacy `key = value` manifest of Graphene (before Gramine)
    OCCLUM = "occlum"  # Occlum.json


@dataclass(frozen=True, slots=True)
class EnclaveFile:
    """One entry of sgx.trusted_files / sgx.allowed_files (or an Occlum hostfs source)."""

    uri: str
    location: Location
    templated: bool = False
    target: str | None = None  # where an Occlum hostfs mount shows the host path


@dataclass(frozen=True, slots=True)
class EnclaveMount:
    """A file system the enclave sees. `key_name` is set for encrypted mounts."""

    path: str
    uri: str
    type: str
    location: Location
    key_name: str | None = None
    templated: bool = False


@dataclass(frozen=True, slots=True)
class EnclaveEnv:
    """An environment variable of the enclave: a literal value measured into the enclave, or
    (from_host) one taken from the untrusted host at start-up."""

    name: str
    value: str | None
    from_host: bool
    location: Location
    templated: bool = False


@dataclass
class EnclaveManifest:
    """An enclave's configuration. `settings` holds every scalar by dotted key as written
    (booleans as "true"/"false"); lists and mounts are split out below."""

    path: str
    framework: Framework
    origin: Location
    settings: dict[str, Setting] = field(default_factory=dict)
    trusted_files: list[EnclaveFile] = field(default_factory=list)
    allowed_files: list[EnclaveFile] = field(default_factory=list)
    mounts: list[EnclaveMount] = field(default_factory=list)
    env: list[EnclaveEnv] = field(default_factory=list)
    # Literal key material written into the manifest (fs.insecure__keys.*, protected_files_key).
    literal_keys: dict[str, Setting] = field(default_factory=dict)

    def get(self, key: str) -> Setting | None:
        return self.settings.get(key)

    def where(self, key: str) -> Location:
        s = self.settings.get(key)
        return s.location if s else self.origin


@dataclass(frozen=True, slots=True)
class Executor:
    """Where a host report came from when the probe ran inside a Spark executor."""

    executor_id: str
    python_pid: int
    jvm_pid: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Executor:
        jvm = data.get("jvm_pid")
        pid = data.get("python_pid")
        return cls(
            str(data.get("executor_id")),
            pid if isinstance(pid, int) else 0,
            jvm if isinstance(jvm, int) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "executor_id": self.executor_id,
            "python_pid": self.python_pid,
            "jvm_pid": self.jvm_pid,
        }


@dataclass(frozen=True, slots=True)
class HostTee:
    """What one host (or container) shows of its trusted execution environments.

    Observations only; rules decide what they mean. `devices` lists the TEE device nodes that
    exist; `cpu_flags` the TEE-related cpuinfo flags present.
    """

    hostname: str
    kernel: str | None
    cpu_flags: tuple[str, ...]
    devices: tuple[str, ...]
    aesm_socket: bool
    libos: str | None  # "gramine" or "occlum" when the probe itself ran inside one
    attestation_type: str | None  # Gramine's /dev/attestation/attestation_type
    location: Location
    executors: tuple[Executor, ...] = ()

    @property
    def sgx_cpu(self) -> bool:
        return "sgx" in self.cpu_flags

    @property
    def sgx_launch_control(self) -> bool:
        return "sgx_lc" in self.cpu_flags

    @property
    def sgx_enclave_device(self) -> str | None:
        return next((d for d in SGX_ENCLAVE_DEVICES if d in self.devices), None)

    @property
    def sgx_provision_device(self) -> str | None:
        return next((d for d in SGX_PROVISION_DEVICES if d in self.devices), None)

    @property
    def sgx(self) -> bool:
        """SGX usable on this host, or this process already inside an attested SGX enclave."""
        if self.libos == "gramine" and self.attestation_type not in (None, "none"):
            return True
        return self.sgx_cpu and self.sgx_enclave_device is not None

    @property
    def tdx_guest(self) -> bool:
        return "tdx_guest" in self.cpu_flags or any(d in self.devices for d in TDX_DEVICES)

    @property
    def sev_snp_guest(self) -> bool:
        return "/dev/sev-guest" in self.devices

    @property
    def tees(self) -> tuple[str, ...]:
        """The TEEs this host can run workloads in, or is itself inside."""
        found = []
        if self.sgx:
            found.append("sgx")
        if self.tdx_guest:
            found.append("tdx")
        if self.sev_snp_guest:
            found.append("sev-snp")
        return tuple(found)

    @classmethod
    def from_dict(cls, data: dict[str, Any], location: Location | None = None) -> HostTee:
        """The inverse of to_dict (for reports read back); unknown fields are ignored."""
        name = str(data.get("hostname"))
        sgx = data.get("sgx")
        return cls(
            hostname=name,
            kernel=_str(data.get("kernel")),
            cpu_flags=tuple(str(f) for f in data.get("cpu_flags") or []),
            devices=tuple(str(d) for d in data.get("devices") or []),
            aesm_socket=bool(sgx.get("aesm_socket")) if isinstance(sgx, dict) else False,
            libos=_str(data.get("libos")),
            attestation_type=_str(data.get("attestation_type")),
            location=location or Location(object=f"host {name}"),
            executors=tuple(
                Executor.from_dict(e) for e in data.get("executors") or [] if isinstance(e, dict)
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "kernel": self.kernel,
            "tees": list(self.tees),
            "sgx": {
                "cpu": self.sgx_cpu,
                "launch_control": self.sgx_launch_control,
                "enclave_device": self.sgx_enclave_device,
                "provision_device": self.sgx_provision_device,
                "aesm_socket": self.aesm_socket,
            },
            "tdx_guest": self.tdx_guest,
            "sev_snp_guest": self.sev_snp_guest,
            "libos": self.libos,
            "attestation_type": self.attestation_type,
            "cpu_flags": list(self.cpu_flags),
            "devices": list(self.devices),
            "executors": [e.to_dict() for e in self.executors],
        }


# Device nodes, newest name first: in-kernel driver (5.11+), DCAP out-of-tree driver, legacy isgx.
SGX_ENCLAVE_DEVICES = ("/dev/sgx_enclave", "/dev/sgx/enclave", "/dev/isgx")
SGX_PROVISION_DEVICES = ("/dev/sgx_provision", "/dev/sgx/provision")
TDX_DEVICES = ("/dev/tdx_guest", "/dev/tdx-guest")
OTHER_TEE_DEVICES = ("/dev/sgx_vepc", "/dev/sev-guest", "/dev/sev", "/dev/attestation")
TEE_DEVICES = SGX_ENCLAVE_DEVICES + SGX_PROVISION_DEVICES + TDX_DEVICES + OTHER_TEE_DEVICES
TEE_CPU_FLAGS = ("sgx", "sgx_lc", "tdx_guest", "sev", "sev_es", "sev_snp")
AESM_SOCKET = "/var/run/aesmd/aesm.socket"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
