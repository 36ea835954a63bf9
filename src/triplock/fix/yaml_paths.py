"""Text-level edits of a YAML node found by a path (`fix/yaml_tree.py` gives every node its
exact span): replace a scalar keeping its style, add keys (or a named list item) with their
siblings' indentation, remove an entry with its lines — or refuse, saying why, what cannot be
done exactly (a node behind an alias or inside an anchor an alias shares, under a merge key, a
key to add to or remove from a flow collection, a block scalar's value).

A path is dotted keys, matched longest first against the keys present (`enclave-key.pem`);
`name[sel]` picks the list item whose `name` is `sel`, or the item at index `sel`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from triplock.fix.interface import EditorError
from triplock.fix.yaml_tree import (
    STR_TAG,
    Alias,
    Document,
    Mapping,
    Node,
    Scalar,
    Sequence,
    last_end,
    parse,
    resolved_tag,
    walk,
)

_STEP = 2  # indentation of a mapping the editor has to create


class Refused(Exception):
    """This edit cannot be made exactly; the message says why (the edit is left)."""


@dataclass(frozen=True, slots=True)
class Seg:
    key: str
    select: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    segs: tuple[Seg, ...]
    string: bool  # the value is a string whatever it looks like (a conf value, a flag)
    verbatim: bool = False  # the value is YAML text (Helm values fixes)
    whole: bool = False  # the segments are keys as they are, never split or joined


@dataclass(frozen=True, slots=True)
class Splice:
    start: int
    end: int
    text: str
    line: int  # 0-based line of the change in the text before
    # The collection it adds to or removes from: two such changes of one collection are never
    # made from one parse (two removals could each leave the other's key as the last).
    scope: int | None = None


def touch(one: Splice, other: Splice) -> bool:
    if one.scope is not None and one.scope == other.scope:
        return True
    return other.start <= one.end and one.start <= other.end


def text_of(node: Node | None) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def segments(key: str) -> tuple[Seg, ...]:
    segs: list[Seg] = []
    for part in _split(key):
        if part.endswith("]") and "[" in part:
            name, select = part[:-1].split("[", 1)
            segs.append(Seg(name, select))
        else:
            segs.append(Seg(part))
    return tuple(segs)


def _split(key: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(key):
        depth += (c == "[") - (c == "]")
        if c == "." and depth == 0:
            parts.append(key[start:i])
            start = i + 1
    parts.append(key[start:])
    return parts


# A path found: the (mapping, key, value) of each step from the object down to the target.
NodePath = list[tuple[Mapping, Scalar, Node]]


@dataclass(frozen=True, slots=True)
class Missing:
    """Where the rest of a path is to be added: under `parent`, a mapping, or as a new item
    of `parent`, a list, whose `name` is `item`."""

    parent: Mapping | Sequence
    segs: tuple[Seg, ...]  # what to add under it, outermost first
    item: str | None = None


def resolve(obj: Mapping, doc: Document, target: Target) -> NodePath | Missing:
    node: Node = obj
    path: NodePath = []
    segs = target.segs
    i = 0
    while i < len(segs):
        mapping = usable(node, doc)
        if not isinstance(mapping, Mapping):
            raise Refused(f"{segs[i].key} sits under a value that is not a mapping")
        if mapping.get("<<") is not None:
            raise Refused("a merge key (<<) may supply this field: edit it by hand")
        n, pair = _match(mapping, segs[i:], target.whole)
        if pair is None:
            return Missing(mapping, segs[i:])
        key, value = pair
        path.append((mapping, key, value))
        i += n
        select = segs[i - 1].select
        if select is not None:
            listed = usable(value, doc)
            picked = _pick(listed, select, doc)
            if picked is None:
                assert isinstance(listed, Sequence)
                return Missing(listed, segs[i:], select)
            value = picked
        node = value
    usable(node, doc)
    return path


def usable(node: Node, doc: Document) -> Node:
    if isinstance(node, Alias):
        raise Refused(f"the field sits behind an alias (*{node.anchor})")
    if node.anchor is not None and node.anchor in doc.aliased:
        raise Refused(f"the field sits inside anchor &{node.anchor}, which an alias shares")
    return node


def _match(
    mapping: Mapping, segs: tuple[Seg, ...], whole: bool
) -> tuple[int, tuple[Scalar, Node] | None]:
    """How many segments the longest present key takes, and its (key, value)."""
    longest = 1 if whole else len(segs)
    for n in range(longest, 0, -1):
        if any(s.select is not None for s in segs[: n - 1]):
            continue
        pair = mapping.pair(".".join(s.key for s in segs[:n]))
        if pair is not None:
            return n, pair
    return 1, None


def _pick(node: Node, select: str, doc: Document) -> Node | None:
    """The list item `select` names; None when no item has that name (it may be added)."""
    if not isinstance(node, Sequence):
        raise Refused(f"[{select}] picks from a value that is not a list")
    if select.isdigit():
        if int(select) >= len(node.items):
            raise Refused(f"the list has no item {select}")
        return usable(node.items[int(select)], doc)
    named = [i for i in node.items if isinstance(i, Mapping) and text_of(i.get("name")) == select]
    if len(named) > 1:
        raise Refused(f"{len(named)} list items are named {select}")
    return usable(named[0], doc) if named else None


def wanted(value: str, target: Target) -> tuple[str, str]:
    """The value to write and the YAML tag it must have."""
    if target.verbatim:
        docs = parse(f"x: {value}\n")
        root = docs[0].root if docs else None
        node = root.get("x") if isinstance(root, Mapping) else None
        if not isinstance(node, Scalar) or "\n" in value:
            raise Refused(f"the fix's value {value!r} is not one YAML scalar")
        return node.value, node.resolved
    if target.string:
        return value, STR_TAG
    return value, resolved_tag(value, plain=True)


def replace(text: str, node: Node, value: str, tag: str) -> Splice | None:
    if not isinstance(node, Scalar):
        raise Refused("the field holds a mapping or a list, not a value")
    if node.value == value and node.resolved == tag:
        return None
    if node.anchor is not None or node.tag is not None:
        raise Refused("the value carries an anchor or a tag")
    if node.style in ("|", ">"):
        raise Refused("the value is a block scalar")
    new = scalar(value, tag, node.style)
    if node.start == node.end:  # an empty value (`key:`): the new one needs its space
        new = " " + new
    return Splice(node.start, node.end, new, line_of(text, node.start))


def scalar(value: str, tag: str, style: str | None = None) -> str:
    """`value` as YAML text that reads back as `value` with `tag`, in `style` when it can."""
    if tag != STR_TAG:
        return value  # a bool, a number: only plain text has that type
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style is None and _plain(value) == tag:
        return value
    return json.dumps(value, ensure_ascii=False)


def _plain(value: str) -> str | None:
    """The tag `value` reads back with when written plain, None when it cannot be plain."""
    try:
        docs = parse(f"x: {value}\n")
    except EditorError:
        return None
    root = docs[0].root if len(docs) == 1 else None
    node = root.get("x") if isinstance(root, Mapping) and len(root.pairs) == 1 else None
    if not isinstance(node, Scalar) or node.style is not None or node.value != value:
        return None
    return node.resolved


def insert(text: str, missing: Missing, value: str, tag: str, dash: int) -> Splice:
    parent = missing.parent
    if parent.flow:
        raise Refused("the mapping or list is in flow style: add the field by hand")
    if isinstance(parent, Mapping):
        if not parent.pairs:
            raise Refused("the mapping is empty: add the field by hand")
        last: Node = parent.pairs[-1][1]
        lines = _new_lines(parent.pairs[0][0].column, missing.segs, value, tag, dash)
    else:
        if not parent.items or not all(isinstance(i, Mapping) for i in parent.items):
            raise Refused("the list holds no mappings to add a named item beside")
        last = parent.items[-1]
        start = text.rfind("\n", 0, last.start) + 1
        prefix = text[start : last.start]
        if prefix.strip() != "-" or not missing.segs:
            raise Refused("the list's last item does not start its line")
        assert missing.item is not None
        first = f"{prefix}name: {scalar(missing.item, STR_TAG)}"
        lines = [first, *_new_lines(len(prefix), missing.segs, value, tag, dash)]
    offset = line_end(text, last_end(last))
    newline = newline_of(text)
    lead = "" if offset == 0 or text[offset - 1] == "\n" else newline
    added = lead + newline.join(lines) + newline
    return Splice(offset, offset, added, line_of(text, offset), id(parent))


def _new_lines(column: int, segs: tuple[Seg, ...], value: str, tag: str, dash: int) -> list[str]:
    """`segs` as new block lines from `column`, the last one set to `value`; a segment with a
    selector becomes a list with one item of that name, its dash `dash` columns in."""
    lines: list[str] = []
    for n, seg in enumerate(segs):
        pad, key = " " * column, scalar(seg.key, STR_TAG)
        if n == len(segs) - 1:
            if seg.select is not None:
                raise Refused("a fix sets a field, not a whole list item")
            lines.append(f"{pad}{key}: {scalar(value, tag)}")
            break
        lines.append(f"{pad}{key}:")
        if seg.select is None:
            column += _STEP
            continue
        if seg.select.isdigit():
            raise Refused(f"the list {seg.key} has no item {seg.select}")
        column += dash
        lines.append(f"{' ' * column}- name: {scalar(seg.select, STR_TAG)}")
        column += 2
    return lines


def list_indent(obj: Mapping) -> int:
    """How far the object's block lists put their dash in from their key (kubeadm writes 0)."""
    for node in walk(obj):
        if not isinstance(node, Mapping) or node.flow:
            continue
        for key, value in node.pairs:
            if isinstance(value, Sequence) and not value.flow and value.items:
                return max(0, value.items[0].column - 2 - key.column)
    return _STEP


def unset(text: str, path: NodePath) -> Splice:
    depth = len(path) - 1
    while depth > 0 and len(path[depth][0].pairs) == 1:
        # The last key of its mapping: remove the emptied parent entry instead, unless that
        # mapping is a list item (the list would go with it).
        if path[depth - 1][2] is not path[depth][0]:
            raise Refused("removing it would leave an empty list item: remove the item by hand")
        depth -= 1
    mapping, key, value = path[depth]
    if len(mapping.pairs) == 1:
        raise Refused("removing it would leave the object empty")
    if mapping.flow:
        raise Refused("the mapping is in flow style ({...}): remove the key by hand")
    start = text.rfind("\n", 0, key.start) + 1
    if text[start : key.start].strip():
        raise Refused("the key shares its line with a list dash: remove it by hand")
    end = line_end(text, last_end(value))
    return Splice(start, end, "", line_of(text, start), id(mapping))


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index)


def line_end(text: str, index: int) -> int:
    """The start of the line after the one holding `index` (a node ending at a line's start,
    as a block scalar does, ends there)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def newline_of(text: str) -> str:
    at = text.find("\n")
    return "\r\n" if at > 0 and text[at - 1] == "\r" else "\n"
