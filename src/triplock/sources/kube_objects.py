"""Kubernetes objects (as YMap trees) into typed facts: pod specs, RBAC, Secrets, ConfigMaps,
EncryptionConfiguration and the kube-apiserver's flags. Interprets, never judges."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.kube import (
    ApiServer,
    Container,
    DataEntry,
    EncryptionConfig,
    EncryptionResource,
    EnvVar,
    KubeBinding,
    KubeConfigMap,
    KubeObject,
    KubeRole,
    KubeSecret,
    NodeAccess,
    ObjectRef,
    PodSpec,
    PolicyRule,
    Provider,
    ServiceAccount,
    Subject,
    Volume,
    VolumeMount,
    YList,
    YMap,
    control_plane_component,
    scalar_text,
)
from triplock.inventory import Inventory, Setting, is_templated
from triplock.sources.properties import MalformedProperties, parse_properties
from triplock.sources.text_lines import LineCounter

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_RBAC_GROUP = "rbac.authorization.k8s.io"
# Names are stripped by the caller: `\s*([^<]*?)\s*` backtracks over every run of blanks.
_XML_PROPERTY = re.compile(r"<name>(?P<name>[^<]*)</name>\s*<value>(?P<value>[^<]*)</value>")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*(?P<v>.*)$")


def object_ref(doc: YMap, path: str) -> ObjectRef:
    meta = doc.map("metadata") or YMap(doc.line)
    kind = doc.text("kind") or "Pod"
    name = meta.text("name") or meta.text("generateName") or "<unnamed>"
    return ObjectRef(kind, name, meta.text("namespace"), path, doc.line)


def labels_of(doc: YMap | None) -> dict[str, str]:
    meta = doc.map("metadata") if doc is not None else None
    raw = meta.map("labels") if meta is not None else None
    return {k: scalar_text(v) for k, v in raw.items()} if raw is not None else {}


def add_object(doc: YMap, path: str, inventory: Inventory) -> KubeObject:
    """Add the generic KubeObject and the typed facts its kind yields."""
    ref = object_ref(doc, path)
    obj = KubeObject(ref, doc.text("apiVersion") or "", labels_of(doc))
    inventory.add(obj)
    kind = ref.kind
    if kind in POD_SPEC_PATHS:
        spec = _dig(doc, POD_SPEC_PATHS[kind])
        if spec is not None:
            pod = pod_spec(spec, ref, _template_labels(doc, kind), path)
            inventory.add(pod)
            api = apiserver(pod, spec)
            if api is not None:
                inventory.add(api)
    elif kind == "ServiceAccount":
        inventory.add(
            ServiceAccount(
                ref,
                _bool(doc.get("automountServiceAccountToken")),
                doc.lines.get("automountServiceAccountToken"),
            )
        )
    elif kind in ("Role", "ClusterRole"):
        inventory.add(role(doc, ref))
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        inventory.add(binding(doc, ref))
    elif kind == "Secret":
        inventory.add(KubeSecret(ref, doc.text("type") or "Opaque", tuple(_secret_entries(doc))))
    elif kind == "ConfigMap":
        inventory.add(KubeConfigMap(ref, tuple(_configmap_entries(doc)), _binary_keys(doc)))
    elif kind in ("EncryptionConfiguration", "EncryptionConfig"):
        inventory.add(encryption_config(doc, ref))
    return obj


def _dig(doc: YMap, keys: tuple[str, ...]) -> YMap | None:
    node: YMap | None = doc
    for key in keys:
        node = node.map(key) if node is not None else None
    return node


def _template_labels(doc: YMap, kind: str) -> dict[str, str]:
    labels = labels_of(doc)
    template = _dig(doc, POD_SPEC_PATHS[kind][:-1]) if kind != "Pod" else None
    labels.update(labels_of(template))
    return labels


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


# ---- pods -----------------------------------------------------------------------------------


def pod_spec(spec: YMap, owner: ObjectRef, labels: dict[str, str], path: str) -> PodSpec:
    pod = PodSpec(owner=owner, line=spec.line, node=node_access(spec))
    for key in ("initContainers", "containers", "ephemeralContainers"):
        pod.containers += [container(c) for c in spec.list(key).maps()]
    pod.volumes = [volume(v) for v in spec.list("volumes").maps()]
    sa = spec.text("serviceAccountName") or spec.text("serviceAccount")
    if sa:
        pod.service_account = sa
        pod.service_account_line = spec.line_of(
            "serviceAccountName" if "serviceAccountName" in spec else "serviceAccount"
        )
    pod.automount = _bool(spec.get("automountServiceAccountToken"))
    pod.automount_line = spec.lines.get("automountServiceAccountToken")
    pod.spark_role = spark_role(labels, pod, path)
    pod.control_plane = control_plane_component(owner.namespace, labels)
    return pod


def node_access(spec: YMap) -> NodeAccess:
    """What a pod spec (or a Spark operator's driver/executor part) asks of its node."""
    privileged: list[tuple[str, int, str | None]] = []
    resources: list[tuple[str, str, int]] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.list(key).maps():
            name = c.text("name") or "<unnamed>"
            sc = c.map("securityContext")
            if sc is not None and sc.text("privileged") == "true":
                at = f"{key}[{name}].securityContext.privileged"
                privileged.append((name, sc.line_of("privileged"), at))
            res = c.map("resources")
            for part in ("limits", "requests"):
                block = res.map(part) if res is not None else None
                for resource in block or {}:
                    resources.append((name, resource, block.line_of(resource) if block else c.line))
    # Spark operator driver/executor parts keep securityContext and resources on the part.
    sc = spec.map("securityContext")
    if sc is not None and sc.text("privileged") == "true" and "containers" not in spec:
        privileged.append(("<spark pod>", sc.line_of("privileged"), None))
    selector = spec.map("nodeSelector")
    return NodeAccess(
        spec.text("runtimeClassName"),
        spec.lines.get("runtimeClassName"),
        tuple(privileged),
        tuple(resources),
        tuple((k, scalar_text(v)) for k, v in selector.items()) if selector is not None else (),
    )


def spark_role(labels: dict[str, str], pod: PodSpec, path: str) -> str | None:
    role = labels.get("spark-role")
    if role in ("driver", "executor"):
        return role
    names = " ".join(c.name for c in pod.containers)
    for candidate in ("driver", "executor"):
        if f"spark-kubernetes-{candidate}" in names:
            return candidate
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if pod.owner.kind == "Pod" and ("template" in name or "spark" in name):
        for candidate in ("driver", "executor"):
            if candidate in name:
                return candidate
    return None


def container(c: YMap) -> Container:
    argv: list[str] = []
    lines: list[int] = []
    for key in ("command", "args"):
        items = c.list(key)
        for i, item in enumerate(items):
            if not isinstance(item, YMap | YList):
                argv.append(scalar_text(item))
                lines.append(items.lines[i])
    return Container(
        name=c.text("name") or "<unnamed>",
        image=c.text("image"),
        command=tuple(argv),
        env=tuple(env_vars(c.list("env"))),
        env_from_secrets=tuple(
            (ref.text("name") or "", e.line_of("secretRef"))
            for e in c.list("envFrom").maps()
            if (ref := e.map("secretRef")) is not None
        ),
        mounts=tuple(
            VolumeMount(m.text("name") or "", m.text("mountPath") or "", m.line)
            for m in c.list("volumeMounts").maps()
        ),
        line=c.line,
        command_lines=tuple(lines),
    )


def env_vars(items: YList) -> Iterator[EnvVar]:
    for e in items.maps():
        name = e.text("name") or ""
        value_from = e.map("valueFrom")
        ref = value_from.map("secretKeyRef") if value_from is not None else None
        if ref is not None:
            yield EnvVar(
                name,
                None,
                (ref.text("name") or "", ref.text("key") or ""),
                value_from.line_of("secretKeyRef") if value_from else e.line,
            )
            continue
        value = e.text("value")
        yield EnvVar(
            name,
            value,
            None,
            e.line_of("value") if value is not None else e.line,
            templated=value is not None and is_templated(value),
        )


def volume(v: YMap) -> Volume:
    name = v.text("name") or ""
    for kind, field_name in (
        ("secret", "secretName"),
        ("configMap", "name"),
        ("hostPath", "path"),
        ("persistentVolumeClaim", "claimName"),
    ):
        src = v.map(kind)
        if src is not None:
            return Volume(name, kind, src.text(field_name), v.line)
    projected = v.map("projected")
    if projected is not None:
        secrets = tuple(
            s.text("name") or ""
            for item in projected.list("sources").maps()
            if (s := item.map("secret")) is not None
        )
        return Volume(name, "projected", None, v.line, secrets)
    other = next((k for k in v if k != "name"), "unknown")
    return Volume(name, other, None, v.line)


def apiserver(pod: PodSpec, spec: YMap) -> ApiServer | None:
    for c in pod.containers:
        if not any(a.rsplit("/", 1)[-1] == "kube-apiserver" for a in c.command[:2]):
            continue
        flags: dict[str, Setting] = {}
        args = list(zip(c.command, c.command_lines, strict=True))
        for i, (arg, line) in enumerate(args):
            if not arg.startswith("--"):
                continue
            key, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1][0].startswith("-"):
                value = args[i + 1][0]
            flags[key] = Setting.literal_or_templated(key, value, pod.owner.at(line), exposed=True)
        return ApiServer(pod.owner, flags, c.line)
    return None


# ---- RBAC -----------------------------------------------------------------------------------


def _strings(node: object) -> tuple[str, ...]:
    if isinstance(node, YList):
        return tuple(scalar_text(v) for v in node if not isinstance(v, YMap | YList))
    return ()


def policy_rules(items: YList, ref: ObjectRef) -> tuple[PolicyRule, ...]:
    return tuple(
        PolicyRule(
            api_groups=_strings(r.get("apiGroups")) or ("",),
            resources=_strings(r.get("resources")),
            verbs=tuple(v.lower() if v != "*" else v for v in _strings(r.get("verbs"))),
            resource_names=_strings(r.get("resourceNames")),
            non_resource_urls=_strings(r.get("nonResourceURLs")),
            location=ref.at(r.line),
        )
        for r in items.maps()
    )


def role(doc: YMap, ref: ObjectRef) -> KubeRole:
    selectors: list[dict[str, str]] = []
    agg = doc.map("aggregationRule")
    if agg is not None:
        for sel in agg.list("clusterRoleSelectors").maps():
            labels = sel.map("matchLabels")
            if labels is not None:
                selectors.append({k: scalar_text(v) for k, v in labels.items()})
    return KubeRole(
        ref=ref,
        cluster=ref.kind == "ClusterRole",
        rules=policy_rules(doc.list("rules"), ref),
        aggregation=tuple(selectors),
        labels=labels_of(doc),
    )


def binding(doc: YMap, ref: ObjectRef) -> KubeBinding:
    role_ref = doc.map("roleRef") or YMap(doc.line)
    subjects = tuple(
        Subject(
            kind=s.text("kind") or "",
            name=s.text("name") or "",
            namespace=(s.text("namespace") or ref.namespace or "default")
            if s.text("kind") == "ServiceAccount"
            else None,
        )
        for s in doc.list("subjects").maps()
    )
    return KubeBinding(
        ref=ref,
        cluster=ref.kind == "ClusterRoleBinding",
        role_kind=role_ref.text("kind") or "ClusterRole",
        role_name=role_ref.text("name") or "",
        role_line=role_ref.line_of("name"),
        subjects=subjects,
    )


# ---- Secrets and ConfigMaps -----------------------------------------------------------------


def _secret_entries(doc: YMap) -> Iterator[DataEntry]:
    for field_name in ("data", "stringData"):
        data = doc.map(field_name)
        if data is None:
            continue
        for key, value in data.items():
            yield DataEntry(key, scalar_text(value), data.line_of(key), field_name)


def _binary_keys(doc: YMap) -> tuple[tuple[str, int], ...]:
    binary = doc.map("binaryData")
    return tuple((key, binary.line_of(key)) for key in binary) if binary is not None else ()


def _configmap_entries(doc: YMap) -> Iterator[DataEntry]:
    data = doc.map("data")
    if data is None:
        return
    for key, raw in data.items():
        value = scalar_text(raw)
        line = data.line_of(key)
        yield DataEntry(key, value, line, "data")
        if "\n" in value.strip():
            yield from embedded_entries(key, value, line)


_NOT_KEY_VALUE = (".yaml", ".yml", ".json", ".toml", ".py", ".lua", ".js", ".html", ".tpl", ".j2")


def embedded_entries(file_key: str, text: str, key_line: int) -> Iterator[DataEntry]:
    """The key=value pairs of a file embedded in a ConfigMap (a block scalar starts on the
    line after its key)."""
    name = file_key.lower()
    if name.endswith(".xml") or text.lstrip().startswith("<"):
        lines = LineCounter(text)
        for m in _XML_PROPERTY.finditer(text):
            line = key_line + lines.line_at(m.start("name"))
            yield DataEntry(m["name"].strip(), m["value"].strip(), line, "data", file_key, "hadoop")
        return
    if name.endswith((".conf", ".properties")):
        try:
            props = parse_properties(text)
        except MalformedProperties:
            props = []
        spark = "spark" in name or any(p.key.startswith("spark.") for p in props)
        if name.endswith(".conf") and not spark:
            return  # nginx.conf, krb5.conf: not key=value files, nothing reads them as such
        for p in props:
            yield DataEntry(
                p.key,
                p.value.strip(),
                key_line + p.line,
                "data",
                file_key,
                "spark" if spark else None,
            )
        return
    if name.endswith(_NOT_KEY_VALUE):
        return  # YAML, JSON, code: not read as key=value lines (a false alarm on every line)
    for i, raw_line in enumerate(text.splitlines()):
        env = _ENV_LINE.match(raw_line)
        if env is not None and not raw_line.lstrip().startswith("#"):
            value = env["v"].strip().strip("\"'")
            yield DataEntry(env["key"], value, key_line + 1 + i, "data", file_key)


# ---- encryption at rest ---------------------------------------------------------------------


def encryption_config(doc: YMap, ref: ObjectRef) -> EncryptionConfig:
    resources: list[EncryptionResource] = []
    for r in doc.list("resources").maps():
        providers: list[Provider] = []
        items = r.list("providers")
        for i, p in enumerate(items):
            if not isinstance(p, YMap):
                continue
            for name, body in p.items():
                api = body.text("apiVersion") if isinstance(body, YMap) else None
                providers.append(Provider(name, items.lines[i], api))
        resources.append(EncryptionResource(_strings(r.get("resources")), tuple(providers), r.line))
    return EncryptionConfig(ref, tuple(resources))
