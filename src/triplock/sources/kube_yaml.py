"""Kubernetes manifests: YAML (multi-document) or JSON, `kind: List`, stdin
(`helm template ... | triplock audit -`), and bare pod-template files as Spark uses them."""

from __future__ import annotations

import re
from typing import ClassVar

from triplock.facts.kube import PodSpec, YMap
from triplock.inventory import Inventory
from triplock.sources.interface import DOCUMENT, InputFile, SourceError
from triplock.sources.kube_load import load_documents
from triplock.sources.kube_objects import add_object
from triplock.sources.kube_rbac import resolve
from triplock.sources.kube_rook import add_rook_resource, is_rook_resource
from triplock.sources.kube_spark import SPARK_KINDS, add_spark_resource, spark_apps_in_commands

_SUFFIXES = (".yaml", ".yml", ".json")
_KIND = re.compile(r"^[ \t-]*[\"']?kind[\"']?[ \t]*:|\"kind\"\s*:", re.MULTILINE)
_API_VERSION = re.compile(r"^[ \t-]*[\"']?apiVersion[\"']?[ \t]*:|\"apiVersion\"\s*:", re.MULTILINE)
_POD_TEMPLATE = re.compile(r"^spec:\s*$[\s\S]*?^\s+containers:", re.MULTILINE)


class KubeYamlSource:
    kind: ClassVar[str] = "kubernetes"
    priority: ClassVar[int] = DOCUMENT

    def claims(self, file: InputFile) -> bool:
        if not (file.name.lower().endswith(_SUFFIXES) or file.path == "<stdin>"):
            return False
        if file.is_binary:
            return False
        text = file.text
        if _KIND.search(text) and _API_VERSION.search(text):
            return True
        return bool(_POD_TEMPLATE.search(text))

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        pods_before = len(inventory.of(PodSpec))
        seen = 0
        for doc in load_documents(file.text):
            kind = doc.get("kind")
            if kind is None and _is_pod_template(doc):
                doc["kind"] = "Pod"
            elif not isinstance(kind, str):
                continue
            seen += 1
            obj = add_object(doc, file.path, inventory)
            if obj.ref.kind in SPARK_KINDS:
                add_spark_resource(doc, obj.ref, inventory)
            elif is_rook_resource(obj.ref):
                add_rook_resource(doc, obj.ref, inventory)
        if not seen:
            raise SourceError("no Kubernetes object (apiVersion/kind) in this YAML")
        for pod in inventory.of(PodSpec)[pods_before:]:
            spark_apps_in_commands(pod, inventory)

    def link(self, inventory: Inventory) -> None:
        for entry in resolve(inventory):
            inventory.add(entry)


def _is_pod_template(doc: YMap) -> bool:
    spec = doc.map("spec")
    return spec is not None and "containers" in spec


SOURCE = KubeYamlSource()
