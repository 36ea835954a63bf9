"""Facts about Kubernetes objects: pod specs, RBAC, Secrets, ConfigMaps, encryption at rest.

Manifests are read into YMap/YList trees that remember the line of every key and item, so a
finding can point at the offending field. The typed facts below are what rules judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triplock.inventory import Setting
from triplock.model import Location


class YMap(dict[str, Any]):
    """A YAML/JSON mapping with the line it starts on and the line of each key (1-based)."""

    __slots__ = ("line", "lines")

    def __init__(self, line: int) -> None:
        # No super().__init__(): it would only empty the empty dict that __new__ made, and
        # every mapping of every manifest comes through here.
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def map(self, key: str) -> YMap | None:
        v = self.get(key)
        return v if isinstance(v, YMap) else None

    def list(self, key: str) -> YList:
        v = self.get(key)
        return v if isinstance(v, YList) else YList(self.line_of(key))

    def text(self, key: str) -> str | None:
        """A scalar as Kubernetes would read it into a string field; None when absent."""
        v = self.get(key)
        if v.__class__ is str:
            return v  # most scalars: no conversion
        if v is None or isinstance(v, YMap | YList):
            return None
        return scalar_text(v)


class YList(list[Any]):
    """A YAML/JSON sequence with the line it starts on and the line of each item."""

    __slots__ = ("line", "lines")

    def __init__(self, line: int) -> None:
        # No super().__init__(), as for YMap: __new__ made the list empty.
        self.line = line
        self.lines: list[int] = []

    def maps(self) -> list[YMap]:
        return [v for v in self if isinstance(v, YMap)]


def scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True, eq=False)
class ObjectRef:
    """Which object a fact belongs to, and where that object starts. Compared by identity:
    every fact read from one object shares its ObjectRef, and two documents with equal
    fields (a duplicated manifest) are still two objects."""

    kind: str
    name: str
    namespace: str | None
    path: str
    line: int
    # Kind/namespace/name, made once: every location of every finding on the object names it.
    label: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ns = f"{self.namespace}/" if self.namespace else ""
        object.__setattr__(self, "label", f"{self.kind}/{ns}{self.name}")

    def at(self, line: int | None = None) -> Location:
        return Location(path=self.path, line=line or self.line, object=self.label)


@dataclass(frozen=True, slots=True)
class KubeObject:
    """Any Kubernetes object read from the inputs, whatever its kind. Its parsed body is not
    kept: the typed facts below hold what rules read, and a body would keep the whole tree."""

    ref: ObjectRef
    api_version: str
    labels: dict[str, str]


# ---- pods and workloads -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One `env` entry of a container: a literal value or a Secret reference."""

    name: str
    value: str | None  # a literal `value:`
    secret_ref: tuple[str, str] | None  # valueFrom.secretKeyRef (secret name, key)
    line: int
    templated: bool = False


@dataclass(frozen=True, slots=True)
class VolumeMount:
    """Where a container mounts one of the pod's volumes."""

    volume: str
    mount_path: str
    line: int


@dataclass(frozen=True, slots=True)
class Container:
    """One container (init, regular or ephemeral) of a pod spec."""

    name: str
    image: str | None
    command: tuple[str, ...]
    env: tuple[EnvVar, ...]
    env_from_secrets: tuple[tuple[str, int], ...]  # envFrom.secretRef names with lines
    mounts: tuple[VolumeMount, ...]
    line: int
    command_lines: tuple[int, ...] = ()  # the line of each command/args item


@dataclass(frozen=True, slots=True)
class Volume:
    """One volume of a pod spec and what backs it."""

    name: str
    kind: str  # secret, configMap, hostPath, projected, emptyDir, ...
    source: str | None  # secretName, configMap name or hostPath path
    line: int
    secret_sources: tuple[str, ...] = ()  # Secrets a projected volume draws from


@dataclass(frozen=True, slots=True)
class NodeAccess:
    """What a pod asks of the node it runs on, as the TEE rules read it: its RuntimeClass,
    its privileged containers, the resources it requests and its node selector."""

    runtime_class: str | None = None
    runtime_class_line: int | None = None
    # container name, line of `privileged: true`, its path from the pod spec (a fix's target)
    privileged: tuple[tuple[str, int, str | None], ...] = ()
    resources: tuple[tuple[str, str, int], ...] = ()  # container name, resource, line
    node_selector: tuple[tuple[str, str], ...] = ()


@dataclass
class PodSpec:
    """One pod specification: a Pod, a workload's template, a Spark pod template, or the
    driver/executor part of a SparkApplication."""

    owner: ObjectRef
    line: int
    containers: list[Container] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    service_account: str | None = None
    service_account_line: int | None = None
    automount: bool | None = None
    automount_line: int | None = None
    spark_role: str | None = None  # "driver" / "executor" for Spark pods
    # The control-plane component of a static pod (kube-apiserver, etcd, ...), None for a
    # workload: such pods mount the node's PKI by design and are judged as kubeadm expects.
    control_plane: str | None = None
    node: NodeAccess = NodeAccess()

    @property
    def namespace(self) -> str:
        return self.owner.namespace or "default"

    @property
    def account(self) -> str:
        return self.service_account or "default"

    def at(self, line: int | None = None) -> Location:
        return self.owner.at(line or self.line)

    def secret_mount_paths(self) -> list[str]:
        secret_volumes = {v.name for v in self.volumes if v.kind == "secret" or v.secret_sources}
        return [
            m.mount_path for c in self.containers for m in c.mounts if m.volume in secret_volumes
        ]


CONTROL_PLANE_COMPONENTS = frozenset(
    {"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"}
)


def control_plane_component(namespace: str | None, labels: dict[str, str]) -> str | None:
    """The component of a kubeadm-style control-plane static pod (namespace kube-system,
    `tier: control-plane`, `component: <name>`), else None."""
    component = labels.get("component")
    if (
        namespace == "kube-system"
        and labels.get("tier") == "control-plane"
        and component in CONTROL_PLANE_COMPONENTS
    ):
        return component
    return None


@dataclass(frozen=True, slots=True)
class StaticPodManifest:
    """A control-plane static pod manifest on disk, with its permission bits."""

    ref: ObjectRef
    component: str
    mode: int


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """A ServiceAccount object and whether it mounts its token by default."""

    ref: ObjectRef
    automount: bool | None
    automount_line: int | None


# ---- RBAC -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule of a Role or ClusterRole: verbs on resources of API groups."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    non_resource_urls: tuple[str, ...]
    location: Location

    def allows(self, verb: str, resource: str, group: str = "") -> bool:
        """Whether this rule grants `verb` on `resource` ("pods" or a subresource such as
        "pods/exec", which "*", "pods/*" and "*/exec" also match) in API group `group`."""
        verbs, groups, resources = self.verbs, self.api_groups, self.resources
        # Inline, no helper call per field: RBAC rules ask this of every grant, per permission.
        if not ("*" in verbs or verb in verbs) or not ("*" in groups or group in groups):
            return False
        if "*" in resources or resource in resources:
            return True
        base, _, sub = resource.partition("/")
        return bool(sub) and (f"*/{sub}" in resources or f"{base}/*" in resources)

    @property
    def wildcards(self) -> list[str]:
        return [
            name
            for name, values in (
                ("verbs", self.verbs),
                ("resources", self.resources),
                ("apiGroups", self.api_groups),
            )
            if "*" in values
        ]


@dataclass(frozen=True, slots=True)
class KubeRole:
    """A Role (namespace set) or ClusterRole, with its aggregation selectors."""

    ref: ObjectRef
    cluster: bool
    rules: tuple[PolicyRule, ...]
    aggregation: tuple[dict[str, str], ...]  # clusterRoleSelectors' matchLabels
    labels: dict[str, str]
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a binding grants its role to: a service account, a user or a group."""

    kind: str  # ServiceAccount, User, Group
    name: str
    namespace: str | None  # service accounts only

    @property
    def label(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @property
    def is_workload(self) -> bool:
        """A service account, or a group of them: an identity pods run as."""
        return self.kind == "ServiceAccount" or self.name.startswith("system:serviceaccounts")


@dataclass(frozen=True, slots=True)
class KubeBinding:
    """A RoleBinding or ClusterRoleBinding: the role it grants and to whom."""

    ref: ObjectRef
    cluster: bool
    role_kind: str
    role_name: str
    role_line: int
    subjects: tuple[Subject, ...]


@dataclass(frozen=True, slots=True)
class Grant:
    """One policy rule a subject holds through one binding."""

    rule: PolicyRule
    role: str  # e.g. "ClusterRole/edit"
    builtin_role: str | None  # cluster-admin, admin, edit, view when bound by name
    binding: Location
    namespace: str | None  # None: cluster-wide


@dataclass
class SubjectAccess:
    """The effective RBAC permissions of one subject, resolved over every binding."""

    subject: Subject
    grants: list[Grant] = field(default_factory=list)
    unresolved: list[tuple[str, Location]] = field(default_factory=list)  # roles not in inputs

    def holding(self, verb: str, resource: str, group: str = "") -> list[Grant]:
        return [g for g in self.grants if g.rule.allows(verb, resource, group)]


# ---- Secrets, ConfigMaps, encryption at rest, the API server --------------------------------


@dataclass(frozen=True, slots=True)
class DataEntry:
    """One value of a Secret or ConfigMap, or one key=value inside a file embedded in one."""

    key: str
    value: str
    line: int
    field: str  # data, stringData, binaryData
    embedded_in: str | None = None  # the data key of the embedded file
    conf_kind: str | None = None  # "spark" or "hadoop" for embedded Spark/Hadoop conf files


@dataclass(frozen=True, slots=True)
class KubeSecret:
    """A Secret object and its data entries."""

    ref: ObjectRef
    type: str
    entries: tuple[DataEntry, ...]


@dataclass(frozen=True, slots=True)
class KubeConfigMap:
    """A ConfigMap object: its data entries and the keys of its binaryData."""

    ref: ObjectRef
    entries: tuple[DataEntry, ...]  # top-level data and, for embedded files, their entries
    binary_keys: tuple[tuple[str, int], ...] = ()  # binaryData's keys, with their lines


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider of an EncryptionConfiguration resource entry."""

    name: str  # identity, aescbc, aesgcm, secretbox, kms
    line: int
    kms_api_version: str | None = None


@dataclass(frozen=True, slots=True)
class EncryptionResource:
    """One `resources` entry of an EncryptionConfiguration: what it encrypts, and how."""

    resources: tuple[str, ...]
    providers: tuple[Provider, ...]
    line: int

    def covers_secrets(self) -> bool:
        return any(r in ("secrets", "*.", "*.*") for r in self.resources)


@dataclass(frozen=True, slots=True)
class EncryptionConfig:
    """An EncryptionConfiguration (encryption of API objects at rest)."""

    ref: ObjectRef
    resources: tuple[EncryptionResource, ...]


@dataclass(frozen=True, slots=True)
class ApiServer:
    """The kube-apiserver of a static pod manifest: its command-line flags."""

    ref: ObjectRef
    flags: dict[str, Setting]
    line: int
