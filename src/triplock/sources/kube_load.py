"""Safe, line-keeping loading of Kubernetes manifests (YAML multi-document, JSON, `kind: List`).

PyYAML's C parser (libyaml, as in yaml.CSafeLoader) reads the text into events; each document
is built from them straight into YMap/YList trees that keep every line, one value at a time.
No graph of the whole document is ever held: a cluster dump is one `kind: List` document, and
a node graph of it took forty times its text. Aliases are expanded (each is a copy of what its
anchor built), spending a budget of node visits proportional to the input's size: an alias
bomb ("billion laughs") exhausts it in milliseconds instead of eating memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import yaml
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

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


_STR_TAG = "tag:yaml.org,2002:str"
# The only implicit types triplock reads: YAML 1.1 booleans, nulls and merge keys. Numbers and
# dates stay strings, as Kubernetes fields and Spark settings want them.
_IMPLICIT_TAGS = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), _BOOL_TAG),
    **dict.fromkeys(("yes", "Yes", "YES", "no", "No", "NO"), _BOOL_TAG),
    **dict.fromkeys(("on", "On", "ON", "off", "Off", "OFF"), _BOOL_TAG),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), _NULL_TAG),
    "<<": _MERGE_TAG,
}


class _Budget:
    __slots__ = ("duplicates", "left")

    def __init__(self, visits: int, duplicates: set[tuple[int, str]]) -> None:
        self.left = visits
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
    parser = CParser(text)
    try:
        for doc in _Builder(parser.get_event, budget).documents():
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
        parser.dispose()


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


class _Building(NamedTuple):
    """An anchored collection still being built: an alias to it is recursive."""

    line: int
    mapping: bool


def _tag(event: Any) -> str:
    """A scalar's tag: as written, else resolved as the composer would."""
    tag: str | None = event.tag
    if tag is None or tag == "!":
        return _IMPLICIT_TAGS.get(event.value, _STR_TAG) if event.implicit[0] else _STR_TAG
    return tag


def _scalar(event: Any) -> Any:
    value: str = event.value
    if not event.style and "{{" in value:
        raise SourceError(f"line {event.start_mark.line + 1}: {HELM_HINT}")
    tag: str | None = event.tag
    if tag is None or tag == "!":  # resolved inline: every scalar value comes here
        if not event.implicit[0]:
            return value
        tag = _IMPLICIT_TAGS.get(value)
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return value.lower() in _TRUE_WORDS
    return value


class _Builder:
    """Each document of the stream built from the parser's events, as PyYAML's composer would
    build its nodes and those nodes would be read: a value where each node is. An anchored
    scalar is kept as its event, an anchored collection as what it built; an alias is read
    again from the event, or copied, with the anchor's lines."""

    def __init__(self, events: Callable[[], Any], budget: _Budget) -> None:
        self.next = events
        self.budget = budget
        self.anchors: dict[str, Any] = {}

    def documents(self) -> Iterator[Any]:
        self.next()  # the stream's start
        while self.next().__class__ is not StreamEndEvent:  # a document's start
            self.anchors = {}
            value = self.value(self.next())
            self.next()  # the document's end
            yield value

    def value(self, event: Any) -> Any:
        """The value that starts with `event`."""
        self.budget.left -= 1
        if self.budget.left < 0:
            self.budget.spend(0)  # raises
        kind = event.__class__
        if kind is ScalarEvent:
            if event.anchor is not None:
                self._anchor(event.anchor, event, event)
            return _scalar(event)
        if kind is AliasEvent:
            return self._alias(event)
        if kind is SequenceStartEvent:
            return self._sequence(event)
        return self._mapping(event)

    def _anchor(self, name: str, event: Any, value: Any) -> None:
        if name in self.anchors:
            raise yaml.composer.ComposerError(None, None, "second occurrence", event.start_mark)
        self.anchors[name] = value

    def _anchored(self, event: Any) -> Any:
        """What an alias stands for: a scalar's event, or the collection built."""
        anchored = self.anchors.get(event.anchor, self)
        if anchored is self:
            raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
        return anchored

    def _alias(self, event: Any) -> Any:
        anchored = self._anchored(event)
        if isinstance(anchored, ScalarEvent):
            return _scalar(anchored)
        return self._copy(anchored)

    def _copy(self, value: Any) -> Any:
        if isinstance(value, _Building):  # an alias inside its own anchor
            raise SourceError(f"line {value.line}: recursive YAML alias")
        self.budget.spend(len(value) + 1)
        if isinstance(value, YList):
            seq = YList(value.line)
            seq.lines = list(value.lines)
            seq.extend(self._copy(v) if isinstance(v, YMap | YList) else v for v in value)
            return seq
        mapping = YMap(value.line)
        mapping.lines = dict(value.lines)
        for key, v in value.items():
            mapping[key] = self._copy(v) if isinstance(v, YMap | YList) else v
        return mapping

    def _begin(self, event: Any) -> int:
        line: int = event.start_mark.line + 1
        if event.anchor is not None:
            building = _Building(line, event.__class__ is MappingStartEvent)
            self._anchor(event.anchor, event, building)
        return line

    def _sequence(self, start: Any) -> YList:
        """A sequence. The hot path of every manifest: scalar items (most of them) are read
        without a call each, and the budget is spent once for all items."""
        seq = YList(self._begin(start))
        lines = seq.lines
        next_event = self.next
        event = next_event()
        while event.__class__ is not SequenceEndEvent:
            kind = event.__class__  # not narrowing `event`: the C parser's marks are never None
            if kind is ScalarEvent and event.anchor is None:
                line = event.start_mark.line + 1
                seq.append(_scalar(event))
                if event.style in _BLOCK_STYLES:
                    line += 1  # a block's text starts below its indicator
            else:
                line = self._line(event)
                seq.append(self.value(event))
                self.budget.left += 1  # spent with the sequence's items, below
            lines.append(line)
            event = next_event()
        self.budget.spend(len(seq))
        if start.anchor is not None:
            self.anchors[start.anchor] = seq
        return seq

    def _line(self, event: Any) -> int:
        """Where the value starting with `event` was written: an alias's, where its anchor's
        value was (a block scalar's text below its indicator)."""
        written: Any = event
        if event.__class__ is AliasEvent:
            written = self._anchored(event)
            if not isinstance(written, ScalarEvent):
                return int(written.line)  # a collection's, built or being built
        mark: Any = written.start_mark
        line: int = mark.line + 1
        if written.__class__ is ScalarEvent and written.style in _BLOCK_STYLES:
            line += 1
        return line

    def _mapping(self, start: Any) -> YMap:
        """A mapping, its keys read as PyYAML's composer and the old node reading did: a
        scalar key as written, a merge key's mappings merged after, any other key as text.
        The hot path of every manifest: a plain key with a scalar value takes no call but the
        scalar's."""
        mapping = YMap(self._begin(start))
        lines = mapping.lines
        merged: list[YMap] = []
        next_event = self.next
        event = next_event()
        while event.__class__ is not MappingEndEvent:
            kind = event.__class__  # not narrowing `event`: the C parser's marks are never None
            if kind is ScalarEvent and event.anchor is None and event.value != "<<":
                key = event.value
                key_line = event.start_mark.line + 1
                if not event.style and "{{" in key:
                    raise SourceError(f"line {key_line}: {HELM_HINT}")
            else:
                key_or_merged = self._key(start, event, merged)
                if key_or_merged is None:  # a merge key: its mappings are in `merged`
                    event = next_event()
                    continue
                key, key_line = key_or_merged
            if key in mapping:
                self.budget.duplicates.add((key_line, key))
            event = next_event()
            if event.__class__ is ScalarEvent and event.anchor is None:
                mapping[key] = _scalar(event)
            else:
                mapping[key] = self.value(event)
                self.budget.left += 1  # spent with the mapping's values, below
            lines[key] = key_line
            event = next_event()
        self.budget.spend(len(mapping))
        for source in merged:
            for key, value in source.items():
                if key not in mapping:
                    mapping[key] = value
                    lines[key] = source.line_of(key)
        if start.anchor is not None:
            self.anchors[start.anchor] = mapping
        return mapping

    def _key(self, start: Any, event: Any, merged: list[YMap]) -> tuple[str, int] | None:
        """A key other than a plain scalar (anchored, an alias, `<<`, a collection) and its
        line; None for a merge key, whose value's mappings are added to `merged`."""
        scalar = self._scalar_key(event)
        if start.flow_style and scalar is None and self._is_mapping(event):
            raise SourceError(f"line {start.start_mark.line + 1}: {HELM_HINT}")  # {{ x }}
        line = self._line(event) if scalar is None else scalar.start_mark.line + 1
        if event.__class__ is ScalarEvent and event.anchor is not None:
            self._anchor(event.anchor, event, event)
        if scalar is None:
            return str(self.value(event)), line
        if _tag(scalar) == _MERGE_TAG:
            value = self.value(self.next())
            merged.extend([value] if isinstance(value, YMap) else _maps(value))
            return None
        key: str = scalar.value
        if not scalar.style and "{{" in key:
            raise SourceError(f"line {line}: {HELM_HINT}")
        return key, line

    def _scalar_key(self, event: Any) -> Any:
        """The scalar a key is, written or through an alias; None for a collection."""
        if event.__class__ is ScalarEvent:
            return event
        if event.__class__ is AliasEvent:
            anchored = self._anchored(event)
            return anchored if isinstance(anchored, ScalarEvent) else None
        return None

    def _is_mapping(self, event: Any) -> bool:
        if event.__class__ is AliasEvent:
            anchored = self._anchored(event)
            return isinstance(anchored, YMap) or (
                isinstance(anchored, _Building) and anchored.mapping
            )
        return event.__class__ is MappingStartEvent


def _maps(value: Any) -> list[YMap]:
    return [v for v in value if isinstance(v, YMap)] if isinstance(value, YList) else []
