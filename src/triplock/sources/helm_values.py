"""A Helm chart's values files (`values.yaml`, `values-*.yaml` next to `Chart.yaml`): the
chart's defaults, flattened to dotted paths with their lines. Templates of the chart are read by
the Kubernetes source (sources/helm_template.py masks their actions)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import ClassVar

from triplock.facts.helm import HelmValues, ValueEntry
from triplock.facts.kube import YList, YMap
from triplock.inventory import Inventory
from triplock.sources.helm_template import is_helm_template, mask_actions
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.kube_load import load_documents

_VALUES_NAME = re.compile(r"^values(?:[-.][\w.-]+)?\.ya?ml$")
_CHART_FILES = ("Chart.yaml", "Chart.yml")


class HelmValuesSource:
    kind: ClassVar[str] = "helm-values"
    priority: ClassVar[int] = 23  # before compose: a values file may have `services:`

    def claims(self, file: InputFile) -> bool:
        if file.root is None or file.is_binary or not _VALUES_NAME.match(file.name):
            return False
        directory = os.path.dirname(file.path)
        return any(os.path.isfile(os.path.join(directory, c)) for c in _CHART_FILES)

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        text = mask_actions(file.text) if is_helm_template(file.text) else file.text
        docs = list(load_documents(text))
        if len(docs) != 1:
            raise SourceError("a values file holds one YAML mapping")
        chart = os.path.basename(os.path.dirname(os.path.abspath(file.path))) or "chart"
        inventory.add(
            HelmValues(
                file.path,
                chart,
                defaults=file.name in ("values.yaml", "values.yml"),
                entries=tuple(flatten(docs[0], "")),
            )
        )

    def link(self, inventory: Inventory) -> None:
        helm = inventory.options.get("helm")
        if not helm:
            return
        for values in inventory.of(HelmValues):
            if values.defaults:
                render_chart(str(helm), os.path.dirname(values.path) or ".", inventory)


def render_chart(helm: str, chart: str, inventory: Inventory) -> None:
    """`--helm`: the chart rendered with its defaults, its manifests on their templates."""
    from triplock.sources.helm_render import render, rendered_docs
    from triplock.sources.kube_yaml import read_manifests

    try:
        output = render(helm, chart)
    except SourceError as e:
        inventory.record_error(chart, str(e))
        return
    for doc in rendered_docs(output, chart):
        try:
            read_manifests(doc.text, doc.template, inventory)
        except SourceError as e:
            inventory.record_error(doc.template, f"rendered by helm: {e}")


def flatten(node: YMap | YList, prefix: str) -> Iterator[ValueEntry]:
    """Every scalar under `node` with its dotted path and line."""
    if isinstance(node, YMap):
        items = [(f"{prefix}.{k}" if prefix else k, v, node.line_of(k)) for k, v in node.items()]
    else:
        items = [(f"{prefix}[{i}]", v, node.lines[i]) for i, v in enumerate(node)]
    for path, value, line in items:
        if isinstance(value, YMap | YList):
            yield from flatten(value, path)
        else:
            scalar = value if isinstance(value, bool) or value is None else str(value)
            yield ValueEntry(path, scalar, line)


SOURCE = HelmValuesSource()
