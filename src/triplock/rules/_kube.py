"""Helpers the Kubernetes rule modules share: the permissions that make an identity dangerous.
What a literal secret looks like is triplock.secret_classifier's."""

from __future__ import annotations

from dataclasses import dataclass

from triplock.facts.kube import Grant, SubjectAccess

RBAC_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
SECRETS_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
CIS = "CIS Kubernetes Benchmark v1.10 (kube-bench cfg/cis-1.10)"


@dataclass(frozen=True, slots=True)
class Danger:
    what: str
    grant: Grant


# (verb, resource, api group, description) a workload identity must not hold.
DANGEROUS: tuple[tuple[str, str, str, str], ...] = (
    ("get", "secrets", "", "reads Secrets"),
    ("list", "secrets", "", "lists Secrets (list returns their contents)"),
    ("create", "pods/exec", "", "execs into pods"),
    ("escalate", "clusterroles", "rbac.authorization.k8s.io", "escalates roles"),
    ("bind", "clusterroles", "rbac.authorization.k8s.io", "binds any role"),
    ("impersonate", "serviceaccounts", "", "impersonates service accounts"),
    ("impersonate", "users", "", "impersonates users"),
    ("create", "serviceaccounts/token", "", "mints service account tokens"),
    ("get", "nodes/proxy", "", "reaches the kubelet API through nodes/proxy"),
)


def dangers(access: SubjectAccess) -> list[Danger]:
    found: list[Danger] = []
    for g in access.grants:
        if g.builtin_role in ("cluster-admin", "admin", "edit"):
            found.append(Danger(f"is bound to the built-in ClusterRole {g.builtin_role}", g))
            return found
    for verb, resource, group, what in DANGEROUS:
        held = access.holding(verb, resource, group)
        if held:
            found.append(Danger(what, held[0]))
    return found
