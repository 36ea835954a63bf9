"""RBAC rules on effective permissions: each subject's grants resolved through bindings,
aggregated ClusterRoles and the built-in roles (sources/kube_rbac.py)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.kube import Grant, KubeRole, PodSpec, SubjectAccess
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules._kube import CIS, RBAC_GOOD_PRACTICES
from triplock.rules.registry import Context, Outcome, fail, passed, rule, unknown
from triplock.sources.kube_rbac import access_of

SPARK_RBAC = "https://spark.apache.org/docs/latest/running-on-kubernetes.html#rbac"
_Check = tuple[str, str, str]  # verb, resource, API group


def _cause(g: Grant) -> str:
    """Every permission a binding grants stems from that binding."""
    return f"{g.binding.object or g.binding.describe()} -> {g.role}"


def _via(g: Grant) -> str:
    scope = f"in namespace {g.namespace}" if g.namespace else "cluster-wide"
    if g.rule.location.path is None:
        return f"{scope} via {g.role} (built-in, from {g.rule.location.object})"
    return f"{scope} via {g.role} ({g.rule.location.describe()})"


def _holds(access: SubjectAccess, checks: tuple[_Check, ...], what: str) -> Iterator[Outcome]:
    hits: dict[tuple[str | None, int | None], tuple[str, Grant]] = {}
    for verb, resource, group in checks:
        for g in access.holding(verb, resource, group):
            hits.setdefault((g.binding.path, g.binding.line), (f"{verb} {resource}", g))
    for permission, g in hits.values():
        yield fail(
            f"{access.subject.label} can {permission} ({what}) {_via(g)}",
            g.binding,
            Evidence.of("roleRef", g.role),
            cause=_cause(g),
        )
    for role, where in access.unresolved:
        yield unknown(
            f"{access.subject.label} is bound to {role}, which is not in the inputs",
            where,
            Evidence.of("roleRef", role),
        )
    if not hits and access.grants:
        yield passed(f"{access.subject.label} cannot {what}", access.grants[0].binding)


# Users the API server authenticates to kubelets as (kubeadm's certificate CN, and the names
# other installers give it), and the upstream ClusterRole that grants them the kubelet API.
KUBELET_API_ADMIN = "ClusterRole/system:kubelet-api-admin"
APISERVER_KUBELET_CLIENTS = (
    "kube-apiserver-kubelet-client",
    "system:kube-apiserver",
    "kube-apiserver",
)
_APISERVER_KUBELET_API = tuple((user, KUBELET_API_ADMIN) for user in APISERVER_KUBELET_CLIENTS)


def _designed_role(
    access: SubjectAccess, checks: tuple[_Check, ...], by_design: tuple[tuple[str, str], ...]
) -> str | None:
    """The upstream role through which this subject holds these permissions by design, when
    every grant of them comes from it; else None."""
    if access.subject.kind != "User":
        return None
    roles = {role for user, role in by_design if user == access.subject.name}
    held = [g for verb, resource, group in checks for g in access.holding(verb, resource, group)]
    if roles and held and all(g.role in roles for g in held):
        return held[0].role
    return None


def _subject_rule(
    id: str,
    slug: str,
    title: str,
    severity: Severity,
    checks: tuple[_Check, ...],
    what: str,
    rationale: str,
    remediation: str,
    refs: tuple[str, ...],
    by_design: tuple[tuple[str, str], ...] = (),
) -> None:
    def check(access: SubjectAccess, ctx: Context) -> Iterator[Outcome]:
        role = _designed_role(access, checks, by_design)
        if role is not None:
            yield passed(
                f"{access.subject.label} can {what} through {role}, as upstream Kubernetes "
                "grants it to the API server's kubelet client",
                access.grants[0].binding,
            )
            return
        yield from _holds(access, checks, what)

    rule(
        id=id,
        slug=slug,
        title=title,
        control="k8s.rbac",
        severity=severity,
        target=SubjectAccess,
        rationale=rationale,
        remediation=remediation,
        references=(RBAC_GOOD_PRACTICES, *refs),
    )(check)


@rule(
    id="K8S-101",
    slug="k8s-rbac-wildcard",
    title="A Role or ClusterRole grants wildcards",
    control="k8s.rbac",
    severity=Severity.HIGH,
    target=KubeRole,
    rationale="`*` in verbs, resources or apiGroups grants everything that exists and "
    "everything added later (CRDs, subresources such as pods/exec) (CIS 5.1.3).",
    remediation="List the exact apiGroups, resources and verbs the role needs.",
    references=(RBAC_GOOD_PRACTICES, f"{CIS} 5.1.3"),
)
def wildcard(role: KubeRole, ctx: Context) -> Iterator[Outcome]:
    found = False
    for r in role.rules:
        if r.wildcards:
            found = True
            yield fail(
                f"{role.ref.label} uses * in {', '.join(r.wildcards)}",
                r.location,
                fix=Fix(FixAction.MANUAL, "replace * by the exact resources and verbs"),
            )
    if not found and role.rules:
        yield passed(f"{role.ref.label} lists its permissions without wildcards", role.ref.at())


_subject_rule(
    "K8S-102",
    "k8s-rbac-read-secrets",
    "A subject can read Secrets",
    Severity.HIGH,
    (("get", "secrets", ""), ("list", "secrets", ""), ("watch", "secrets", "")),
    "read Secrets",
    "get/list/watch on secrets reveals every secret in scope: list and watch return the "
    "values, not just names (CIS 5.1.2).",
    "Remove secrets from the role; mount the few Secrets a workload needs as volumes, or "
    "restrict get to resourceNames.",
    (f"{CIS} 5.1.2",),
)
_subject_rule(
    "K8S-103",
    "k8s-rbac-pod-exec",
    "A subject can exec or attach into pods",
    Severity.HIGH,
    (
        ("create", "pods/exec", ""),
        ("get", "pods/exec", ""),
        ("create", "pods/attach", ""),
        ("get", "pods/attach", ""),
    ),
    "exec into or attach to pods",
    "pods/exec and pods/attach give a shell in any pod in scope: its mounted Secrets, tokens "
    "and memory (for Spark: the executors' auth secret and data).",
    "Drop pods/exec and pods/attach from workload and user roles; grant them just-in-time.",
    (),
)
_subject_rule(
    "K8S-104",
    "k8s-rbac-escalation",
    "A subject can escalate, bind or impersonate",
    Severity.CRITICAL,
    (
        ("escalate", "roles", "rbac.authorization.k8s.io"),
        ("escalate", "clusterroles", "rbac.authorization.k8s.io"),
        ("bind", "roles", "rbac.authorization.k8s.io"),
        ("bind", "clusterroles", "rbac.authorization.k8s.io"),
        ("impersonate", "users", ""),
        ("impersonate", "groups", ""),
        ("impersonate", "serviceaccounts", ""),
    ),
    "escalate, bind or impersonate",
    "escalate and bind let a subject grant itself any permission; impersonate lets it act as "
    "any user, group or service account (CIS 5.1.8).",
    "Remove escalate, bind and impersonate from every role not used by cluster administrators.",
    (f"{CIS} 5.1.8",),
)
_subject_rule(
    "K8S-105",
    "k8s-rbac-token-create",
    "A subject can create service account tokens",
    Severity.HIGH,
    (("create", "serviceaccounts/token", ""),),
    "mint service account tokens",
    "create on serviceaccounts/token mints tokens for any account in scope, and with them all "
    "of that account's permissions (CIS 5.1.13).",
    "Remove create on serviceaccounts/token.",
    (f"{CIS} 5.1.13",),
)
_subject_rule(
    "K8S-106",
    "k8s-rbac-nodes-proxy",
    "A subject can use nodes/proxy",
    Severity.HIGH,
    (("get", "nodes/proxy", ""), ("create", "nodes/proxy", "")),
    "use nodes/proxy",
    "nodes/proxy reaches the kubelet API, which runs commands in any pod on the node without "
    "audit logging of the exec.",
    "Remove nodes/proxy from the role.",
    (),
    by_design=_APISERVER_KUBELET_API,
)
_subject_rule(
    "K8S-107",
    "k8s-rbac-create-pv",
    "A subject can create PersistentVolumes",
    Severity.MEDIUM,
    (("create", "persistentvolumes", ""),),
    "create PersistentVolumes",
    "Creating a PersistentVolume can point a hostPath at the node's filesystem and mount it "
    "(CIS 5.1.9).",
    "Let workloads request PersistentVolumeClaims from a StorageClass instead.",
    (f"{CIS} 5.1.9",),
)


@rule(
    id="K8S-108",
    slug="k8s-rbac-broad-role-to-workload",
    title="A workload identity is bound to cluster-admin, admin or edit",
    control="k8s.rbac",
    severity=Severity.CRITICAL,
    target=SubjectAccess,
    rationale="cluster-admin is everything; admin and edit read every Secret of the namespace, "
    "exec into pods and run pods as any service account (CIS 5.1.1). Spark's own docs bind "
    "`edit` cluster-wide to the driver's account: a compromised driver then owns the cluster's "
    "Secrets.",
    remediation="Bind a dedicated namespaced Role with only pods, services, configmaps and "
    "persistentvolumeclaims (see Spark's RBAC docs) instead of a built-in role.",
    references=(RBAC_GOOD_PRACTICES, f"{CIS} 5.1.1", SPARK_RBAC),
)
def broad_role(access: SubjectAccess, ctx: Context) -> Iterator[Outcome]:
    if not access.subject.is_workload:
        return
    broad = [g for g in access.grants if g.builtin_role in ("cluster-admin", "admin", "edit")]
    seen: set[tuple[str | None, int | None]] = set()
    for g in broad:
        if (g.binding.path, g.binding.line) in seen:
            continue
        seen.add((g.binding.path, g.binding.line))
        yield fail(
            f"{access.subject.label} is bound to ClusterRole {g.builtin_role} "
            f"{'in namespace ' + g.namespace if g.namespace else 'cluster-wide'}",
            g.binding,
            Evidence.of("roleRef", g.role),
            cause=_cause(g),
        )
    if not broad and access.grants:
        yield passed(
            f"{access.subject.label} holds no built-in broad role", access.grants[0].binding
        )


# What Spark's driver needs (running-on-kubernetes.html#rbac): core pods, services,
# configmaps and persistentvolumeclaims in its own namespace.
_DRIVER_RESOURCES = frozenset({"pods", "services", "configmaps", "persistentvolumeclaims"})
_DRIVER_VERBS = frozenset(
    {"create", "get", "list", "watch", "delete", "deletecollection", "patch", "update"}
)


def spark_identities(inventory: Inventory) -> dict[tuple[str, str], list[object]]:
    """(namespace, account) of every Spark driver, with the facts that name it."""
    found: dict[tuple[str, str], list[object]] = {}
    for app in inventory.of(SparkApp):
        if not app.on_kubernetes:
            continue
        ns = app.value("spark.kubernetes.namespace") or "default"
        sa = app.value("spark.kubernetes.authenticate.driver.serviceAccountName") or "default"
        found.setdefault((ns, sa), []).append(app)
    for pod in inventory.of(PodSpec):
        if pod.spark_role == "driver":
            found.setdefault((pod.namespace, pod.account), []).append(pod)
    return found


def _beyond_needs(g: Grant) -> str | None:
    r = g.rule
    if r.non_resource_urls:
        return "non-resource URLs"
    if g.namespace is None:
        return "its role in every namespace (ClusterRoleBinding)"
    extra_groups = [a for a in r.api_groups if a != ""]
    if extra_groups:
        return f"API groups {', '.join(extra_groups)}"
    extra = [x for x in r.resources if x not in _DRIVER_RESOURCES]
    if extra:
        return f"resources {', '.join(extra)}"
    verbs = [v for v in r.verbs if v not in _DRIVER_VERBS]
    return f"verbs {', '.join(verbs)}" if verbs else None


@rule(
    id="K8S-109",
    slug="k8s-spark-driver-overprivileged",
    title="A Spark driver's service account holds more than Spark needs",
    control="k8s.rbac",
    severity=Severity.MEDIUM,
    target=Inventory,
    rationale="A Spark driver only creates and watches its executor pods, services, "
    "ConfigMaps and (for on-demand volumes) PVCs in its own namespace; anything more is "
    "available to any code the application runs.",
    remediation="Bind a namespaced Role on core pods, services, configmaps and "
    "persistentvolumeclaims (create, get, list, watch, delete, deletecollection) and nothing "
    "else to the driver's dedicated service account.",
    references=(SPARK_RBAC, RBAC_GOOD_PRACTICES),
)
def driver_overprivileged(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    if not inventory.of(SubjectAccess):
        return
    for ns, sa in spark_identities(inventory):
        access = access_of(inventory, sa, ns)
        label = f"Spark driver account {ns}/{sa}"
        if access is None or not access.grants:
            continue
        extra: dict[tuple[str | None, int | None], tuple[str, Grant]] = {}
        for g in access.grants:
            why = _beyond_needs(g)
            if why is not None:
                extra.setdefault((g.binding.path, g.binding.line), (why, g))
        for why, g in extra.values():
            yield fail(
                f"{label} is granted {why} {_via(g)}", g.binding, Evidence.of("roleRef", g.role)
            )
        if not extra:
            yield passed(f"{label} holds only what Spark's driver needs", access.grants[0].binding)
