"""Effective RBAC permissions: every binding resolved to its subjects, through aggregated
ClusterRoles and the built-in roles (data/k8s-builtin-clusterroles.yaml), into one
SubjectAccess fact per subject."""

from __future__ import annotations

import weakref
from functools import cache
from importlib import resources

from triplock.facts.kube import (
    Grant,
    KubeBinding,
    KubeRole,
    ObjectRef,
    PolicyRule,
    ServiceAccount,
    Subject,
    SubjectAccess,
)
from triplock.inventory import Inventory
from triplock.model import Location

BUILTIN_SOURCE = (
    "https://github.com/kubernetes/kubernetes/blob/master/plugin/pkg/auth/authorizer/rbac/"
    "bootstrappolicy/policy.go"
)
USER_FACING = ("cluster-admin", "admin", "edit", "view")
_DATA = "data/k8s-builtin-clusterroles.yaml"


@cache
def builtin_roles() -> tuple[KubeRole, ...]:
    from triplock.sources.kube_load import load_documents
    from triplock.sources.kube_objects import object_ref, role

    text = resources.files("triplock").joinpath(_DATA).read_text("utf-8")
    out: list[KubeRole] = []
    for doc in load_documents(text):
        r = role(doc, object_ref(doc, _DATA))
        ref = ObjectRef(r.ref.kind, r.ref.name, None, BUILTIN_SOURCE, 0)
        rules = tuple(
            PolicyRule(
                p.api_groups,
                p.resources,
                p.verbs,
                p.resource_names,
                p.non_resource_urls,
                Location(url=BUILTIN_SOURCE, object=ref.label),
            )
            for p in r.rules
        )
        out.append(KubeRole(ref, True, rules, r.aggregation, r.labels, builtin=True))
    return tuple(out)


def resolve(inventory: Inventory) -> list[SubjectAccess]:
    roles = inventory.of(KubeRole)
    bindings = inventory.of(KubeBinding)
    if not bindings:
        return []
    cluster_roles = {r.ref.name: r for r in builtin_roles()}
    cluster_roles.update({r.ref.name: r for r in roles if r.cluster})
    ns_roles = {(r.ref.namespace or "default", r.ref.name): r for r in roles if not r.cluster}
    effective: dict[str, tuple[PolicyRule, ...]] = {}

    def rules_of(role: KubeRole, seen: frozenset[str] = frozenset()) -> tuple[PolicyRule, ...]:
        if role.ref.name in effective:
            return effective[role.ref.name]
        rules = list(role.rules)
        for selector in role.aggregation:
            for other in cluster_roles.values():
                if other.ref.name in seen or other is role:
                    continue
                if all(other.labels.get(k) == v for k, v in selector.items()):
                    rules += rules_of(other, seen | {role.ref.name})
        effective[role.ref.name] = tuple(dict.fromkeys(rules))
        return effective[role.ref.name]

    access: dict[Subject, SubjectAccess] = {}
    for b in bindings:
        namespace = None if b.cluster else (b.ref.namespace or "default")
        if b.role_kind == "Role":
            found = ns_roles.get((namespace or "default", b.role_name))
        else:
            found = cluster_roles.get(b.role_name)
        where = b.ref.at(b.role_line)
        for subject in b.subjects:
            entry = access.setdefault(subject, SubjectAccess(subject))
            if found is None:
                entry.unresolved.append((f"{b.role_kind}/{b.role_name}", where))
                continue
            builtin = (
                b.role_name
                if b.role_kind == "ClusterRole" and (b.role_name in USER_FACING)
                else None
            )
            for rule in rules_of(found):
                entry.grants.append(
                    Grant(rule, f"{b.role_kind}/{b.role_name}", builtin, where, namespace)
                )
    return list(access.values())


class _Index:
    """SubjectAccess facts by subject and ServiceAccount objects by namespace and name, so
    that per-pod look-ups stay constant time (a cluster dump has thousands of each)."""

    def __init__(self, entries: list[SubjectAccess], accounts: list[ServiceAccount]) -> None:
        self.size = (len(entries), len(accounts))
        # Keyed by (kind, name, namespace): a look-up builds no Subject to hash.
        self.by_subject: dict[tuple[str, str, str | None], list[SubjectAccess]] = {}
        for entry in entries:
            s = entry.subject
            self.by_subject.setdefault((s.kind, s.name, s.namespace), []).append(entry)
        self.accounts: dict[tuple[str, str], list[ServiceAccount]] = {}
        for sa in accounts:
            self.accounts.setdefault((sa.ref.namespace or "default", sa.ref.name), []).append(sa)


_INDEXES: weakref.WeakKeyDictionary[Inventory, _Index] = weakref.WeakKeyDictionary()


def _index(inventory: Inventory) -> _Index:
    entries, accounts = inventory.of(SubjectAccess), inventory.of(ServiceAccount)
    index = _INDEXES.get(inventory)
    if index is None or index.size != (len(entries), len(accounts)):
        index = _INDEXES[inventory] = _Index(entries, accounts)
    return index


def service_accounts(inventory: Inventory, name: str, namespace: str) -> list[ServiceAccount]:
    """The ServiceAccount objects of the inputs named `name` in `namespace`, in input order."""
    return _index(inventory).accounts.get((namespace, name), [])


def access_of(inventory: Inventory, account: str, namespace: str) -> SubjectAccess | None:
    """The permissions a pod running as service account `account` holds: its own and those of
    the groups every service account belongs to."""
    subjects = (
        ("ServiceAccount", account, namespace),
        ("Group", "system:serviceaccounts", None),
        ("Group", f"system:serviceaccounts:{namespace}", None),
        ("Group", "system:authenticated", None),
    )
    by_subject = _index(inventory).by_subject
    found = [e for s in subjects for e in by_subject.get(s, ())]
    if not found:
        return None
    merged = SubjectAccess(Subject("ServiceAccount", account, namespace))
    for entry in found:
        merged.grants += [g for g in entry.grants if g.namespace in (None, namespace)]
        merged.unresolved += entry.unresolved
    return merged
