"""Safe, line-keeping loading of Kubernetes manifests (YAML multi-document, JSON, `kind: List`).

PyYAML's C parser (libyaml, as in yaml.CSafeLoader) composes each document into a node graph
(aliases stay shared there); the graph is then walked into YMap/YList trees that keep every
line. Aliases are expanded by that walk, so it spends a budget of node visits proportional to
the input's size: an alias bomb ("billion laughs") exhausts it in milliseconds instead of
eating memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.resolver import BaseResolver

from triplock.facts.kube import YList, YMap
from triplock.sources.interface import SourceError

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"

# A Go template action outside a comment: an unrendered Helm chart.
_HELM_ACTION = re.compile(r"^[^#\n]*\{\{-?\s*[-.$A-Za-z(\"/]", re.MULTILINE)

HELM_HINT = (
    "unrendered Helm template ({{ ... }}); render it first: "
    "helm template RELEASE CHART | triplock audit -"
)


_BOOL_WORDS = frozenset(
    {
        *("true", "True", "TRUE", "false", "False", "FALSE"),
        *("yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"),
    }
)
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


class _Loader(CParser, BaseResolver):
    """The C parser with the only implicit types triplock reads (bool, null, merge keys):
    numbers and dates stay strings, as Kubernetes fields and Spark settings want them."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        BaseResolver.__init__(self)

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0] and value is not None:
                if value in _BOOL_WORDS:
                    return _BOOL_TAG
                if value in _NULL_WORDS:
                    return _NULL_TAG
                if value == "<<":
                    return _MERGE_TAG
            return "tag:yaml.org,2002:str"
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


class _Budget:
    __slots__ = ("active", "duplicates", "left")

    def __init__(self, visits: int, duplicates: set[tuple[int, str]]) -> None:
        self.left = visits
        self.active: set[int] = set()  # collections being walked: a recursive alias loops
        self.duplicates = duplicates  # (line, key) of each key a mapping repeats

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SourceError(
                "YAML aliases expand beyond any real manifest (alias bomb?); refusing to expand"
            )


def helm_template_line(text: str) -> int | None:
    """The line of the first Go template action, if the text is an unrendered template."""
    m = _HELM_ACTION.search(text)
    return None if m is None else text.count("\n", 0, m.start()) + 1


def load_documents(text: str, duplicates: set[tuple[int, str]] | None = None) -> Iterator[YMap]:
    """Every top-level mapping of a YAML stream (or a JSON document), items of `kind: List`
    flattened. Raises SourceError on malformed input, an alias bomb or an unrendered Helm
    template (a `{{ }}` action where YAML sees structure or a plain scalar; quoted `{{ }}`
    strings, as Prometheus rules and Argo workflows carry them, are values).

    A key repeated in one mapping keeps its last value, as the API server does ("will only
    persist the last of any duplicate fields": the `fieldValidation` parameter of the
    Kubernetes API reference); each repeat is added to `duplicates` as (line, key)."""
    budget = _Budget(len(text) + 10_000, set() if duplicates is None else duplicates)
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            doc = _convert(node, budget) if node is not None else None
            if isinstance(doc, YMap):
                yield from _flatten(doc)
    except yaml.MarkedYAMLError as e:
        line = helm_template_line(text)
        if line is not None:
            raise SourceError(f"line {line}: {HELM_HINT}") from e
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise SourceError(f"{where}malformed YAML: {e.problem or e.context}") from e
    except yaml.YAMLError as e:
        raise SourceError(f"malformed YAML: {e}") from e
    finally:
        loader.dispose()


def _flatten(doc: YMap) -> Iterator[YMap]:
    if doc.get("kind") == "List" or (
        isinstance(doc.get("kind"), str)
        and str(doc.get("kind")).endswith("List")
        and isinstance(doc.get("items"), YList)
    ):
        for item in doc.list("items").maps():
            yield from _flatten(item)
    else:
        yield doc


def _convert(node: yaml.Node, budget: _Budget) -> Any:
    budget.spend()
    if isinstance(node, yaml.ScalarNode):
        if not node.style and "{{" in node.value:
            raise SourceError(f"line {node.start_mark.line + 1}: {HELM_HINT}")
        if node.tag == _NULL_TAG:
            return None
        if node.tag == _BOOL_TAG:
            return node.value.lower() in ("true", "yes", "on", "y")
        return node.value
    if id(node) in budget.active:
        raise SourceError(f"line {node.start_mark.line + 1}: recursive YAML alias")
    budget.active.add(id(node))
    try:
        return _collection(node, budget)
    finally:
        budget.active.discard(id(node))


def _collection(node: yaml.Node, budget: _Budget) -> Any:
    if isinstance(node, yaml.SequenceNode):
        seq = YList(node.start_mark.line + 1)
        for item in node.value:
            seq.append(_convert(item, budget))
            block = isinstance(item, yaml.ScalarNode) and item.style in ("|", ">")
            seq.lines.append(item.start_mark.line + 1 + block)  # a block's text starts below
        return seq
    if isinstance(node, yaml.MappingNode):
        mapping = YMap(node.start_mark.line + 1)
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if node.flow_style and isinstance(key_node, yaml.MappingNode):
                raise SourceError(f"line {node.start_mark.line + 1}: {HELM_HINT}")  # {{ x }}
            if key_node.tag == _MERGE_TAG:
                value = _convert(value_node, budget)
                merged.extend([value] if isinstance(value, YMap) else _maps(value))
                continue
            key = _key(key_node, budget)
            if key in mapping:
                budget.duplicates.add((key_node.start_mark.line + 1, key))
            mapping[key] = _convert(value_node, budget)
            mapping.lines[key] = key_node.start_mark.line + 1
        for source in merged:
            for key, value in source.items():
                if key not in mapping:
                    mapping[key] = value
                    mapping.lines[key] = source.line_of(key)
        return mapping
    raise SourceError(f"unexpected YAML node {type(node).__name__}")


def _maps(value: Any) -> list[YMap]:
    return [v for v in value if isinstance(v, YMap)] if isinstance(value, YList) else []


def _key(node: yaml.Node, budget: _Budget) -> str:
    if isinstance(node, yaml.ScalarNode):
        if not node.style and "{{" in node.value:
            raise SourceError(f"line {node.start_mark.line + 1}: {HELM_HINT}")
        return str(node.value)
    return str(_convert(node, budget))
