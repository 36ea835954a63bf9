"""RBAC objects a script creates imperatively: `kubectl create clusterrolebinding spark-role
--clusterrole=edit --serviceaccount=default:spark` (as Spark's own Kubernetes guide does), and
`kubectl create role|clusterrole NAME --verb=... --resource=...`. Each becomes the manifest
kubectl would send, written on the command's line, so RBAC rules judge it like a file's."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator

from triplock.facts.shell import ShellCommand

_CLIENTS = frozenset({"kubectl", "oc"})
_KINDS = {
    "clusterrolebinding": "ClusterRoleBinding",
    "rolebinding": "RoleBinding",
    "clusterrole": "ClusterRole",
    "role": "Role",
}
_RBAC = "rbac.authorization.k8s.io"


def _options(args: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Positional words and `--flag=value` / `--flag value` / `-n value` options."""
    words: list[str] = []
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            words.append(arg)
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if not eq and i < len(args) and not args[i].startswith("-"):
            value = args[i]
            i += 1
        name = "namespace" if name == "n" else name
        options.setdefault(name, []).extend(v for v in value.split(",") if v)
    return words, options


def _subjects(options: dict[str, list[str]], namespace: str) -> list[dict[str, str]]:
    subjects = []
    for account in options.get("serviceaccount", []):
        ns, _, name = account.rpartition(":")
        subjects.append({"kind": "ServiceAccount", "name": name, "namespace": ns or namespace})
    for kind in ("user", "group"):
        for name in options.get(kind, []):
            subjects.append({"kind": kind.title(), "name": name, "apiGroup": _RBAC})
    return subjects


def _object(kind: str, name: str, options: dict[str, list[str]]) -> dict[str, object] | None:
    namespace = (options.get("namespace") or ["default"])[-1]
    meta: dict[str, str] = {"name": name}
    if not kind.startswith("Cluster"):
        meta["namespace"] = namespace
    doc: dict[str, object] = {"apiVersion": f"{_RBAC}/v1", "kind": kind, "metadata": meta}
    if kind.endswith("Binding"):
        role_kind = "ClusterRole" if options.get("clusterrole") else "Role"
        roles = options.get("clusterrole") or options.get("role") or []
        role = roles[-1] if roles else None
        if role is None:
            return None
        doc["roleRef"] = {"apiGroup": _RBAC, "kind": role_kind, "name": role}
        doc["subjects"] = _subjects(options, namespace)
        return doc
    resources = options.get("resource", [])
    groups = sorted({r.partition(".")[2] for r in resources})
    doc["rules"] = [
        {
            "apiGroups": groups or [""],
            "resources": [r.partition(".")[0] for r in resources],
            "verbs": options.get("verb", []),
        }
    ]
    return doc


def imperative_rbac(commands: list[ShellCommand]) -> Iterator[tuple[int, str]]:
    """(line, manifest on that line) for every `kubectl create` of an RBAC object."""
    for command in commands:
        argv = command.argv
        if not argv or posixpath.basename(argv[0]) not in _CLIENTS:
            continue
        words, options = _options(argv[1:])
        if len(words) < 3 or words[0] != "create" or words[1] not in _KINDS:
            continue
        doc = _object(_KINDS[words[1]], words[2], options)
        if doc is not None:
            line = command.location.line or 1
            yield line, "\n" * (line - 1) + json.dumps(doc)
