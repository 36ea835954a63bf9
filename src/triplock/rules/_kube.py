"""Helpers the Kubernetes rule modules share: what a literal secret looks like, and the
permissions that make an identity dangerous."""

from __future__ import annotations

import re
from dataclasses import dataclass

from triplock.facts.kube import Grant, SubjectAccess
from triplock.inventory import is_templated
from triplock.redact import is_reference, is_sensitive_key, looks_secret

RBAC_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
SECRETS_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
CIS = "CIS Kubernetes Benchmark v1.10 (kube-bench cfg/cis-1.10)"

# Names that hold a secret's location or a flag about secrets, not a secret.
_POINTER = re.compile(
    r"(?i)([._-](file|path|dir|location|type|enabled?|provider|mode|name|names|ref|"
    r"algorithm|alias|class|keys)$|_(file|path)_?)"
)
_HARMLESS_VALUE = re.compile(r"(?i)^(true|false|yes|no|on|off|none|null|\d+[smhd]?|[-\d.]+)$")


def literal_secret(key: str, value: str) -> str | None:
    """Why `key=value` is a literal secret, or None. Templated values are not literal."""
    v = value.strip()
    if not v or is_reference(v) or is_templated(v):
        return None
    if looks_secret(v):
        return "the value has the shape of a secret (key block, token format or random string)"
    if not is_sensitive_key(key) or _POINTER.search(key) or _HARMLESS_VALUE.match(v):
        return None
    if v.startswith(("/", "~", "file:", "local:", "hdfs:", "jceks:", "localjceks:", "s3a:")):
        return None
    return f"the name {key} marks a secret"


def templated_secret(key: str, value: str) -> bool:
    """A secret-named key whose value is templated: cannot be judged."""
    return is_sensitive_key(key) and is_templated(value) and not _POINTER.search(key)


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
