"""What the Spark providers share: the application a failure is about (its file, where it runs)
and how generated material is kept under --secrets-dir, reused when already there and reaches
pods on Kubernetes as a mounted Secret."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from triplock.facts.spark import SECRET_MOUNT_PREFIXES
from triplock.fix import editor_for
from triplock.fix.interface import Edit
from triplock.fix.material.interface import Generated, Provided
from triplock.keys.k8s_secret import manifest_of
from triplock.model import AuditResult, Finding, FixAction
from triplock.sources.properties import MalformedProperties, parse_properties

# Masters where Spark makes a secret per application itself (SecurityManager.initializeAuth).
_SELF_SECRET = re.compile(r"^(yarn|local(\[[^\]]*\])?)$")
_KUBERNETES_KINDS = frozenset({"kubernetes", "helm-values"})


@dataclass(frozen=True)
class SparkTarget:
    """The file to edit for a Spark application and what it says about where it runs."""

    path: str
    kind: str
    # as written in a spark-conf file; for a manifest only spark.kubernetes.namespace, its own
    settings: dict[str, str]

    @property
    def kubernetes(self) -> bool:
        master = self.settings.get("spark.master", "")
        if self.kind in _KUBERNETES_KINDS or master.startswith("k8s://"):
            return True
        return not master and any(k.startswith("spark.kubernetes.") for k in self.settings)

    @property
    def makes_own_secret(self) -> bool:
        """YARN and local mode: Spark generates the auth secret per application."""
        return bool(_SELF_SECRET.match(self.settings.get("spark.master", "").strip()))


def target_of(finding: Finding, result: AuditResult) -> SparkTarget | str:
    """The SparkTarget of `finding`, or why there is none."""
    path = (finding.fix.path if finding.fix else None) or finding.location.path
    kinds = {record.path: record.kind for record in result.inputs}
    kind = kinds.get(path or "")
    if path is None or kind is None:
        return "the file is not one of the inputs"
    if kind in _KUBERNETES_KINDS:
        # Material is generated only where an editor can put it to use.
        if editor_for(kind) is None:
            return f"no editor for {kind} files yet"
        # The object is named Kind/namespace/name: the Secret goes to the pods' namespace.
        parts = (finding.location.object or "").split("/")
        namespace = {"spark.kubernetes.namespace": parts[1]} if len(parts) == 3 else {}
        return SparkTarget(path, kind, namespace)
    if kind != "spark-conf":
        return (
            f"manual step: set it where this {kind} input launches Spark, with material from "
            "--secrets-dir (fix puts it to use in spark-defaults.conf and manifests only)"
        )
    try:
        with open(path, encoding="utf-8") as handle:
            entries = parse_properties(handle.read())
    except (OSError, UnicodeDecodeError, MalformedProperties) as e:
        return f"cannot read it again: {e}"
    return SparkTarget(path, kind, {e.key: e.value.strip() for e in entries})


class Material:
    """Files under one directory of --secrets-dir: existing ones are read, missing ones are
    created through `out` (and listed as generated)."""

    def __init__(self, secrets_dir: str, subdirectory: str, out: Provided) -> None:
        self.directory = os.path.join(secrets_dir, subdirectory)
        self.out = out

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def existing(self, name: str) -> bytes | None:
        path = self.path(name)
        if path in self.out.created:
            content = self.out.created[path]
            return content.encode() if isinstance(content, str) else content
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def ensure(self, name: str, make: bytes | str, what: str) -> bytes:
        """The file `name`: what is there, else `make` (created)."""
        there = self.existing(name)
        if there is not None:
            return there
        path = self.path(name)
        self.out.created[path] = make
        self.out.generated.append(Generated(path, what))
        return make.encode() if isinstance(make, str) else make

    def manifest(self, name: str, files: dict[str, bytes], namespace: str | None) -> str:
        """A Kubernetes Secret manifest `name`.yaml holding `files` (created when missing)."""
        text = manifest_of(name, files, namespace)
        self.ensure(f"{name}-secret.yaml", text, f"Kubernetes Secret {name} (kubectl apply -f)")
        return self.path(f"{name}-secret.yaml")


def pod_mount(secret: str, mount: str) -> dict[str, str]:
    """Settings that make Spark add the Secret as a volume mounted at `mount` to the driver and
    executor pods it builds (also from a pod template, which stays untouched)."""
    return {f"{prefix}{secret}": mount for prefix in SECRET_MOUNT_PREFIXES}


SettingsFor = Callable[[Finding, SparkTarget, Provided], "dict[str, str] | str"]


def provide_settings(
    failures: list[Finding], result: AuditResult, settings_for: SettingsFor
) -> Provided:
    """Each failure's application found and its settings (from `settings_for`, which may add
    material to the result) set in the application's file; a failure without either is left
    with why."""
    out = Provided()
    for finding in failures:
        target = target_of(finding, result)
        if isinstance(target, str):
            out.left.append((finding, target))
            continue
        settings = settings_for(finding, target, out)
        if isinstance(settings, str):
            out.left.append((finding, settings))
            continue
        out.edits.setdefault(target.path, []).extend(
            Edit(finding, FixAction.SET, key, value) for key, value in settings.items()
        )
    return out
