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

from triplock.facts.kube import YList, YMap
from triplock.sources.interface import SourceError

_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"

# A Go template action outside a comment: an unrendered Helm chart.
_HELM_ACTION = re.compile(r"^[^#\n]*\{\{-?\s*[-.$A-Za-z(\"/]", re.MULTILINE)

HELM_HINT = (
    "unrendered Helm template ({{ ... }}); render it first: "
    "helm template RELEASE CHART | triplock audit -"
)


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
# The only implicit types triplock reads: YAML 1.1 booleans, nulls and merge keys.
_IMPLICIT_TAGS = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), _BOOL_TAG),
    **dict.fromkeys(("yes", "Yes", "YES", "no", "No", "NO"), _BOOL_TAG),
    **dict.fromkeys(("on", "On", "ON", "off", "Off", "OFF"), _BOOL_TAG),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), _NULL_TAG),
    "<<": _MERGE_TAG,
}


class _Loader(CParser):
    """The C parser with the only implicit types triplock reads (bool, null, merge keys):
    numbers and dates stay strings, as Kubernetes fields and Spark settings want them.

    The composer calls these three hooks from C around every node, so they are as short as
    can be (a fifth of the parse went to PyYAML's general resolver): no path resolvers are
    ever registered here, so descending into a node and ascending out of it resolve nothing."""

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is _ScalarNode:
            return _IMPLICIT_TAGS.get(value, _STR_TAG) if implicit[0] else _STR_TAG  # type: ignore[arg-type]
        return _SEQ_TAG if kind is _SequenceNode else _MAP_TAG

    def descend_resolver(self, current_node: yaml.Node | None, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class _Budget:
    __slots__ = ("active", "duplicates", "left")

    def __init__(self, visits: int, duplicates: set[tuple[int, str]]) -> None:
        self.left = visits
        self.active: set[int] = set()  # collections being walked: a recursive alias loops
        self.duplicates = duplicates  # (line, key) of each key a mapping repeats

    def spend(self, visits: int = 1) -> None:
        self.left -= visits
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


_TRUE_WORDS = frozenset({"true", "yes", "on", "y"})
_BLOCK_STYLES = frozenset({"|", ">"})


def _convert(node: yaml.Node, budget: _Budget) -> Any:
    budget.spend()
    return _scalar(node) if node.__class__ is _ScalarNode else _collection(node, budget)


def _scalar(node: yaml.ScalarNode) -> Any:
    value: str = node.value
    if not node.style and "{{" in value:
        raise SourceError(f"line {node.start_mark.line + 1}: {HELM_HINT}")
    tag = node.tag
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return value.lower() in _TRUE_WORDS
    return value


def _collection(node: yaml.Node, budget: _Budget) -> Any:
    """A sequence or mapping. The hot path of every manifest: scalar children (most of them)
    are read without a call per child, and the budget is spent once for all children."""
    if id(node) in budget.active:
        raise SourceError(f"line {node.start_mark.line + 1}: recursive YAML alias")
    budget.active.add(id(node))
    budget.spend(len(node.value))
    try:
        if node.__class__ is _SequenceNode:
            return _sequence(node, budget)
        if node.__class__ is _MappingNode:
            return _mapping(node, budget)
        raise SourceError(f"unexpected YAML node {type(node).__name__}")
    finally:
        budget.active.discard(id(node))


def _sequence(node: yaml.SequenceNode, budget: _Budget) -> YList:
    seq = YList(node.start_mark.line + 1)
    lines = seq.lines
    for item in node.value:
        line = item.start_mark.line + 1
        if item.__class__ is _ScalarNode:
            seq.append(_scalar(item))
            if item.style in _BLOCK_STYLES:
                line += 1  # a block's text starts below its indicator
        else:
            seq.append(_collection(item, budget))
        lines.append(line)
    return seq


def _mapping(node: yaml.MappingNode, budget: _Budget) -> YMap:
    mapping = YMap(node.start_mark.line + 1)
    lines = mapping.lines
    merged: list[YMap] = []
    for key_node, value_node in node.value:
        if node.flow_style and key_node.__class__ is _MappingNode:
            raise SourceError(f"line {node.start_mark.line + 1}: {HELM_HINT}")  # {{ x }}
        if key_node.tag == _MERGE_TAG:
            value = _convert(value_node, budget)
            budget.left += 1  # spent by _convert, and already with the mapping's children
            merged.extend([value] if isinstance(value, YMap) else _maps(value))
            continue
        if key_node.__class__ is _ScalarNode:
            key = key_node.value
            if not key_node.style and "{{" in key:
                raise SourceError(f"line {key_node.start_mark.line + 1}: {HELM_HINT}")
        else:
            key = str(_convert(key_node, budget))
        if key in mapping:
            budget.duplicates.add((key_node.start_mark.line + 1, key))
        if value_node.__class__ is _ScalarNode:
            mapping[key] = _scalar(value_node)
        else:
            mapping[key] = _collection(value_node, budget)
        lines[key] = key_node.start_mark.line + 1
    for source in merged:
        for key, value in source.items():
            if key not in mapping:
                mapping[key] = value
                lines[key] = source.line_of(key)
    return mapping


def _maps(value: Any) -> list[YMap]:
    return [v for v in value if isinstance(v, YMap)] if isinstance(value, YList) else []
