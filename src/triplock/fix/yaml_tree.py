"""A YAML stream as a tree of nodes that keep their exact place in the text, for text-level
edits. Built from PyYAML's parse events, not its composer: an alias stays an alias at its own
place (the composer would hand back the anchored node and its marks), and every node keeps its
anchor, explicit tag and style."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml
from yaml.resolver import Resolver

from triplock.fix.interface import EditorError

_RESOLVER = Resolver()
# libyaml (as the Kubernetes source reads manifests): its events carry the same marks
# (character indexes) as the pure-Python parser's, at several times its speed.
_LOADER = yaml.CSafeLoader
STR_TAG = "tag:yaml.org,2002:str"


@dataclass(eq=False)
class Node:
    start: int  # index of the node's first character (its anchor or tag, if any)
    end: int  # index just past its last character
    line: int  # 0-based line of `start`
    column: int
    anchor: str | None
    tag: str | None  # an explicit tag (`!!str`), None when implicit


@dataclass(eq=False)
class Scalar(Node):
    value: str = ""
    style: str | None = None  # None: plain; "'", '"', "|", ">"

    @property
    def resolved(self) -> str:
        """The tag YAML 1.1 gives it (str, bool, int, null, ...)."""
        return resolved_tag(self.value, plain=self.style is None, explicit=self.tag)


@dataclass(eq=False)
class Alias(Node):
    pass


@dataclass(eq=False)
class Mapping(Node):
    flow: bool = False
    pairs: list[tuple[Node, Node]] = field(default_factory=list)

    def get(self, key: str) -> Node | None:
        """The value of `key` (the last one when repeated, as the API server keeps)."""
        found = None
        for k, v in self.pairs:
            if isinstance(k, Scalar) and k.value == key:
                found = v
        return found

    def pair(self, key: str) -> tuple[Scalar, Node] | None:
        found = None
        for k, v in self.pairs:
            if isinstance(k, Scalar) and k.value == key:
                found = (k, v)
        return found


@dataclass(eq=False)
class Sequence(Node):
    flow: bool = False
    items: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class Document:
    root: Node | None
    aliased: frozenset[str]  # anchors some alias of this document refers to


def resolved_tag(value: str, plain: bool, explicit: str | None = None) -> str:
    if explicit is not None and explicit != "!":
        return explicit
    return str(_RESOLVER.resolve(yaml.ScalarNode, value, (plain, not plain)))  # type: ignore[no-untyped-call]


def parse(text: str) -> list[Document]:
    """Every document of `text`; EditorError when it is not YAML."""
    try:
        return list(_documents(yaml.parse(text, Loader=_LOADER)))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise EditorError(f"{where}malformed YAML") from None


def _documents(events: Iterator[yaml.Event]) -> Iterator[Document]:
    stack: list[Mapping | Sequence] = []
    pending_key: list[Node | None] = []
    root: Node | None = None
    aliased: set[str] = set()
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            root, aliased = None, set()
            continue
        if isinstance(event, yaml.DocumentEndEvent):
            yield Document(root, frozenset(aliased))
            continue
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            done = stack.pop()
            pending_key.pop()
            assert event.end_mark is not None
            done.end = event.end_mark.index
            continue
        node = _node(event)
        if node is None:
            continue
        if isinstance(node, Alias) and node.anchor is not None:
            aliased.add(node.anchor)
        if not stack:
            root = node
        else:
            parent = stack[-1]
            if isinstance(parent, Sequence):
                parent.items.append(node)
            elif pending_key[-1] is None:
                pending_key[-1] = node
            else:
                key = pending_key[-1]
                assert key is not None
                parent.pairs.append((key, node))
                pending_key[-1] = None
        if isinstance(node, Mapping | Sequence):
            stack.append(node)
            pending_key.append(None)


def _node(event: yaml.Event) -> Node | None:
    start, end = event.start_mark, event.end_mark
    assert start is not None and end is not None
    place = (start.index, end.index, start.line, start.column)
    if isinstance(event, yaml.ScalarEvent):
        tag = event.tag if not (event.implicit[0] or event.implicit[1]) else None
        # libyaml calls the plain style "", PyYAML None
        return Scalar(*place, event.anchor, tag, event.value, event.style or None)
    if isinstance(event, yaml.AliasEvent):
        return Alias(*place, event.anchor, None)
    if isinstance(event, yaml.MappingStartEvent):
        explicit = None if event.implicit else event.tag
        return Mapping(*place, event.anchor, explicit, bool(event.flow_style))
    if isinstance(event, yaml.SequenceStartEvent):
        explicit = None if event.implicit else event.tag
        return Sequence(*place, event.anchor, explicit, bool(event.flow_style))
    return None


def last_end(node: Node) -> int:
    """Where the text of `node` really ends: a block collection's own end mark lies at the next
    token (after blank and comment lines), so it is its last child's end."""
    if isinstance(node, Mapping) and not node.flow and node.pairs:
        return last_end(node.pairs[-1][1])
    if isinstance(node, Sequence) and not node.flow and node.items:
        return last_end(node.items[-1])
    return node.end


def walk(node: Node) -> Iterator[Node]:
    """`node` and every node under it."""
    yield node
    if isinstance(node, Mapping):
        for key, value in node.pairs:
            yield from walk(key)
            yield from walk(value)
    elif isinstance(node, Sequence):
        for item in node.items:
            yield from walk(item)
