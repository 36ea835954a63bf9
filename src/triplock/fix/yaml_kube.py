"""Editor for Kubernetes manifests and Helm values files: text-level edits at the exact place of
the node a fix names, so multi-document files, comments, anchors, flow style, quoting and
indentation stay byte for byte. What cannot be edited exactly is refused and left, with why.

Which object: the finding's object label (`Deployment/ns/name`), else the object holding its
line, else the file's only object. What `Edit.key` names in it:
- `--flag`: a flag in a container's `command`/`args` list (a static pod's kube-apiserver);
- in a Spark custom resource (SparkApplication, ...): `spark.*` is a `spec.sparkConf` key, any
  other key not naming a field of the object a `spec.hadoopConf` key;
- a dotted path from the object's root (`stringData.token`, `spec.template.spec.x`), or, in a
  workload, from its pod spec (`automountServiceAccountToken`); `name[sel]` picks the list item
  whose `name` is `sel` (or the item at index `sel`): `containers[app].env[MODE].value`;
- in a Helm values file, a dotted values path, its value written as the YAML text given.
Dotted keys are matched longest first against the keys present (`enclave-key.pem`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import ClassVar

from triplock.fix import yaml_embedded
from triplock.fix.interface import Change, Edit, Edited, EditorError
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
from triplock.model import FixAction
from triplock.redact import MASK, show
from triplock.sources.helm_template import is_helm_template
from triplock.sources.kube_objects import POD_SPEC_PATHS
from triplock.sources.kube_spark import SPARK_KINDS

_ROOT_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "data", "stringData"})
_FIELD = re.compile(r"^[a-z][A-Za-z0-9]*$")  # how Kubernetes API fields are named
_STEP = 2  # indentation of a mapping the editor has to create


class Refused(Exception):
    """This edit cannot be made exactly; the message says why (the edit is left)."""


@dataclass(frozen=True, slots=True)
class _Seg:
    key: str
    select: str | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    segs: tuple[_Seg, ...]
    string: bool  # the value is a string whatever it looks like (a conf value, a flag)
    verbatim: bool = False  # the value is YAML text (Helm values fixes)
    whole: bool = False  # the segments are keys as they are, never split or joined


@dataclass(frozen=True, slots=True)
class _Splice:
    start: int
    end: int
    text: str
    line: int  # 0-based line of the change in the text before
    # The collection it adds to or removes from: two such changes of one collection are never
    # made from one parse (two removals could each leave the other's key as the last).
    scope: int | None = None


class YamlEditor:
    kinds: ClassVar[frozenset[str]] = frozenset({"kubernetes", "helm-values"})

    def apply(self, text: str, kind: str, edits: list[Edit]) -> Edited:
        if is_helm_template(text):  # what it renders comes from the values: not an error
            why = "an unrendered Helm template: set it through the chart's values"
            return Edited(text, (), tuple((edit, why) for edit in edits))
        parse(text)  # a file that is not YAML is refused whole
        current = text
        done: list[tuple[Edit, int | None, int | None]] = []
        moves: list[tuple[int, int, int]] = []  # (line, lines removed, lines added)
        left: list[tuple[Edit, str]] = []
        pending = edits
        while pending:
            # One parse serves every edit whose change touches no other's; an edit that does
            # (a second key for a mapping the first one creates) waits for the next round.
            index = _Index.of(parse(current))
            batch: list[tuple[Edit, _Splice]] = []
            later: list[Edit] = []
            for edit in pending:
                given = edit.finding.location.line
                now = _forward(given - 1, moves) if given else None
                try:
                    splice = _splice(current, index, kind, edit, now - 1 if now else -1)
                except Refused as e:
                    left.append((edit, str(e)))
                    continue
                if splice is None:
                    continue
                if any(_touch(splice, other) for _, other in batch):
                    later.append(edit)
                else:
                    batch.append((edit, splice))
            for edit, splice in sorted(batch, key=lambda b: b[1].start, reverse=True):
                old = current[splice.start : splice.end]
                current = current[: splice.start] + splice.text + current[splice.end :]
                line = splice.line
                first_new = current.count("\n", 0, splice.start) if not old else line
                done.append((edit, line if old else None, first_new if splice.text else None))
                moves.append((line, old.count("\n"), splice.text.count("\n")))
            pending = later
        changes = [
            Change(edit, _back(before, moves[:i]), _forward(after, moves[i + 1 :]))
            for i, (edit, before, after) in enumerate(done)
        ]
        return Edited(current, tuple(changes), tuple(left))

    def masked(self, text: str) -> str:
        try:
            docs = parse(text)
        except EditorError:
            return "".join(c if c in "\r\n" else "" for c in text)  # unreadable: no value
        spans: list[tuple[int, int, str]] = []
        embedded: set[int] = set()  # block scalars masked by their own format's editor
        for obj in _objects(docs):
            for node, kind in _embedded_files(obj):
                shown = yaml_embedded.masked(text, node, kind)
                if shown is not None:
                    spans.append((*yaml_embedded.span(text, node), shown))
                    embedded.add(id(node))
        for doc in docs:
            if doc.root is not None:
                _secret_spans(text, doc.root, None, False, spans, embedded)
        out, done = [], 0
        for start, end, shown in sorted(spans):
            if start < done:
                continue
            out.append(text[done:start] + shown)
            done = end
        return "".join(out) + text[done:]


# ---- where the change goes -------------------------------------------------------------------


def _splice(text: str, index: _Index, kind: str, edit: Edit, line: int) -> _Splice | None:
    """The change `edit` makes to `text` (its objects in `index`); `line`: the finding's line
    in `text` (0-based, -1 when it has none)."""
    obj, doc = _object(text, index, kind, edit, line)
    if edit.key.startswith("--"):
        return _flag(text, obj, doc, edit)
    if _text(obj.get("kind")) == "ConfigMap" and _segments(edit.key)[0].key not in _ROOT_FIELDS:
        return _embedded(text, obj, doc, edit, line)
    target = _target(obj, kind, edit.key)
    found = _resolve(obj, doc, target)
    if edit.action is FixAction.UNSET:
        if isinstance(found, _Missing):
            return None
        return _unset(text, found)
    value, tag = _wanted(edit.value or "", target)
    if isinstance(found, _Missing):
        return _insert(text, found, value, tag, _list_indent(obj))
    return _replace(text, found[-1][2], value, tag)


def _touch(one: _Splice, other: _Splice) -> bool:
    if one.scope is not None and one.scope == other.scope:
        return True
    return other.start <= one.end and one.start <= other.end


def _objects(docs: list[Document]) -> list[Mapping]:
    return [o for doc in docs for o in _objects_of(doc)]


def _objects_of(doc: Document) -> list[Mapping]:
    """The objects of a document: its root, or the items of a `kind: List`."""
    if not isinstance(doc.root, Mapping):
        return []
    items = doc.root.get("items")
    kind = _text(doc.root.get("kind"))
    if kind is not None and kind.endswith("List") and isinstance(items, Sequence):
        return [i for i in items.items if isinstance(i, Mapping)]
    return [doc.root]


@dataclass
class _Index:
    """The objects of one parse, by label, with the document each sits in."""

    objects: list[Mapping]
    owner: dict[int, Document]
    labelled: dict[str, list[Mapping]]

    @classmethod
    def of(cls, docs: list[Document]) -> _Index:
        owner = {id(o): d for d in docs for o in _objects_of(d)}
        objects = _objects(docs)
        labelled: dict[str, list[Mapping]] = {}
        for o in objects:
            labelled.setdefault(_label(o), []).append(o)
        return cls(objects, owner, labelled)


def _object(text: str, index: _Index, kind: str, edit: Edit, line: int) -> tuple[Mapping, Document]:
    objects = index.objects
    if kind == "helm-values":
        if len(objects) != 1:
            raise Refused("a values file holds one mapping")
        return objects[0], index.owner[id(objects[0])]
    where = edit.finding.location
    mine = index.labelled.get(where.object or "", [])
    if not mine and where.object is not None and "/" in where.object:
        raise Refused(f"the file holds no {where.object}")
    mine = mine or objects
    if len(mine) > 1 and line >= 0:
        mine = [o for o in mine if o.line <= line <= _line(text, last_end(o))] or mine
    if len(mine) > 1 and _segments(edit.key)[0].key not in _ROOT_FIELDS:
        spark = [o for o in mine if _text(o.get("kind")) in SPARK_KINDS]
        mine = spark if len(spark) == 1 else mine
    if len(mine) != 1:
        raise Refused(f"cannot tell which of the file's {len(mine)} objects to edit")
    return mine[0], index.owner[id(mine[0])]


def _label(obj: Mapping) -> str:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else Mapping(0, 0, 0, 0, None, None)
    kind = _text(obj.get("kind")) or "Pod"
    name = _text(meta.get("name")) or _text(meta.get("generateName")) or "<unnamed>"
    namespace = _text(meta.get("namespace"))
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _text(node: Node | None) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _target(obj: Mapping, kind: str, key: str) -> _Target:
    if kind == "helm-values":
        return _Target(_segments(key), string=False, verbatim=True)
    segs = _segments(key)
    object_kind = _text(obj.get("kind")) or "Pod"
    first = segs[0].key
    if object_kind in SPARK_KINDS and first not in _ROOT_FIELDS and "." in key:
        base = ("spec", "template") if object_kind == "ScheduledSparkApplication" else ("spec",)
        conf, name = "sparkConf", key
        if not key.startswith("spark."):  # a Hadoop key: in sparkConf as spark.hadoop.<key>
            conf, name = "hadoopConf", key
            spark_conf = _dig(obj, (*base, "sparkConf"))
            if isinstance(spark_conf, Mapping) and spark_conf.get("spark.hadoop." + key):
                conf, name = "sparkConf", "spark.hadoop." + key
        return _Target(tuple(_Seg(k) for k in (*base, conf, name)), string=True, whole=True)
    string = len(segs) > 1 and segs[-1].key == "value" and segs[-2].key.startswith("env")
    if first in _ROOT_FIELDS or obj.get(first) is not None:
        return _Target(segs, string)
    if object_kind in POD_SPEC_PATHS and _FIELD.match(first):
        return _Target((*(_Seg(k) for k in POD_SPEC_PATHS[object_kind]), *segs), string)
    raise Refused(f"{key} names no field of a {object_kind}")


def _dig(node: Node | None, keys: tuple[str, ...]) -> Node | None:
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _segments(key: str) -> tuple[_Seg, ...]:
    segs: list[_Seg] = []
    for part in _split(key):
        if part.endswith("]") and "[" in part:
            name, select = part[:-1].split("[", 1)
            segs.append(_Seg(name, select))
        else:
            segs.append(_Seg(part))
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
_Path = list[tuple[Mapping, Scalar, Node]]


@dataclass(frozen=True, slots=True)
class _Missing:
    """Where the rest of a path is to be added: under `parent`, a mapping, or as a new item
    of `parent`, a list, whose `name` is `item`."""

    parent: Mapping | Sequence
    segs: tuple[_Seg, ...]  # what to add under it, outermost first
    item: str | None = None


def _resolve(obj: Mapping, doc: Document, target: _Target) -> _Path | _Missing:
    node: Node = obj
    path: _Path = []
    segs = target.segs
    i = 0
    while i < len(segs):
        mapping = _usable(node, doc)
        if not isinstance(mapping, Mapping):
            raise Refused(f"{segs[i].key} sits under a value that is not a mapping")
        if mapping.get("<<") is not None:
            raise Refused("a merge key (<<) may supply this field: edit it by hand")
        n, pair = _match(mapping, segs[i:], target.whole)
        if pair is None:
            return _Missing(mapping, segs[i:])
        key, value = pair
        path.append((mapping, key, value))
        i += n
        select = segs[i - 1].select
        if select is not None:
            listed = _usable(value, doc)
            picked = _pick(listed, select, doc)
            if picked is None:
                assert isinstance(listed, Sequence)
                return _Missing(listed, segs[i:], select)
            value = picked
        node = value
    _usable(node, doc)
    return path


def _usable(node: Node, doc: Document) -> Node:
    if isinstance(node, Alias):
        raise Refused(f"the field sits behind an alias (*{node.anchor})")
    if node.anchor is not None and node.anchor in doc.aliased:
        raise Refused(f"the field sits inside anchor &{node.anchor}, which an alias shares")
    return node


def _match(
    mapping: Mapping, segs: tuple[_Seg, ...], whole: bool
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
        return _usable(node.items[int(select)], doc)
    named = [i for i in node.items if isinstance(i, Mapping) and _text(i.get("name")) == select]
    if len(named) > 1:
        raise Refused(f"{len(named)} list items are named {select}")
    return _usable(named[0], doc) if named else None


# ---- the edits --------------------------------------------------------------------------------


def _wanted(value: str, target: _Target) -> tuple[str, str]:
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


def _replace(text: str, node: Node, value: str, tag: str) -> _Splice | None:
    if not isinstance(node, Scalar):
        raise Refused("the field holds a mapping or a list, not a value")
    if node.value == value and node.resolved == tag:
        return None
    if node.anchor is not None or node.tag is not None:
        raise Refused("the value carries an anchor or a tag")
    if node.style in ("|", ">"):
        raise Refused("the value is a block scalar")
    new = _scalar(value, tag, node.style)
    if node.start == node.end:  # an empty value (`key:`): the new one needs its space
        new = " " + new
    return _Splice(node.start, node.end, new, _line(text, node.start))


def _scalar(value: str, tag: str, style: str | None = None) -> str:
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


def _insert(text: str, missing: _Missing, value: str, tag: str, dash: int) -> _Splice:
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
        first = f"{prefix}name: {_scalar(missing.item, STR_TAG)}"
        lines = [first, *_new_lines(len(prefix), missing.segs, value, tag, dash)]
    offset = _line_end(text, last_end(last))
    newline = _newline(text)
    lead = "" if offset == 0 or text[offset - 1] == "\n" else newline
    added = lead + newline.join(lines) + newline
    return _Splice(offset, offset, added, _line(text, offset), id(parent))


def _new_lines(column: int, segs: tuple[_Seg, ...], value: str, tag: str, dash: int) -> list[str]:
    """`segs` as new block lines from `column`, the last one set to `value`; a segment with a
    selector becomes a list with one item of that name, its dash `dash` columns in."""
    lines: list[str] = []
    for n, seg in enumerate(segs):
        pad, key = " " * column, _scalar(seg.key, STR_TAG)
        if n == len(segs) - 1:
            if seg.select is not None:
                raise Refused("a fix sets a field, not a whole list item")
            lines.append(f"{pad}{key}: {_scalar(value, tag)}")
            break
        lines.append(f"{pad}{key}:")
        if seg.select is None:
            column += _STEP
            continue
        if seg.select.isdigit():
            raise Refused(f"the list {seg.key} has no item {seg.select}")
        column += dash
        lines.append(f"{' ' * column}- name: {_scalar(seg.select, STR_TAG)}")
        column += 2
    return lines


def _list_indent(obj: Mapping) -> int:
    """How far the object's block lists put their dash in from their key (kubeadm writes 0)."""
    for node in walk(obj):
        if not isinstance(node, Mapping) or node.flow:
            continue
        for key, value in node.pairs:
            if isinstance(value, Sequence) and not value.flow and value.items:
                return max(0, value.items[0].column - 2 - key.column)
    return _STEP


def _unset(text: str, path: _Path) -> _Splice:
    depth = len(path) - 1
    while depth > 0 and len(path[depth][0].pairs) == 1:
        depth -= 1  # the last key of its mapping: remove the emptied parent entry instead
    mapping, key, value = path[depth]
    if len(mapping.pairs) == 1:
        raise Refused("removing it would leave the object empty")
    if mapping.flow:
        raise Refused("the mapping is in flow style ({...}): remove the key by hand")
    start = text.rfind("\n", 0, key.start) + 1
    if text[start : key.start].strip():
        raise Refused("the key shares its line with a list dash: remove it by hand")
    end = _line_end(text, last_end(value))
    return _Splice(start, end, "", _line(text, start), id(mapping))


def _flag(text: str, obj: Mapping, doc: Document, edit: Edit) -> _Splice | None:
    flag = edit.key
    lists = _command_lists(obj, doc)
    hits = [(seq, i) for seq in lists for i, item in enumerate(seq.items) if _is_flag(item, flag)]
    if len(hits) > 1:
        raise Refused(f"{flag} is given {len(hits)} times")
    if edit.action is FixAction.UNSET:
        if not hits:
            return None
        seq, i = hits[0]
        if seq.flow:
            raise Refused("the command is a flow list ([...]): remove the flag by hand")
        item = seq.items[i]
        start = text.rfind("\n", 0, item.start) + 1
        return _Splice(start, _line_end(text, item.end), "", _line(text, start), id(seq))
    wanted = f"{flag}={edit.value or ''}"
    if hits:
        seq, i = hits[0]
        item = seq.items[i]
        assert isinstance(item, Scalar)
        if item.value == flag:  # `--flag` `value` as two items
            if i + 1 >= len(seq.items):
                raise Refused(f"{flag} has no value after it")
            return _replace(text, _usable(seq.items[i + 1], doc), edit.value or "", STR_TAG)
        return _replace(text, item, wanted, STR_TAG)
    # The list that already takes flags; else a lone command list (`[kube-apiserver]`).
    flagged = [s for s in lists if any(_is_flag(i, "--") for i in s.items)] or lists
    if len(flagged) != 1:
        raise Refused(f"cannot tell which of {len(flagged)} command lists takes {flag}")
    seq = flagged[0]
    if seq.flow:
        raise Refused("the command is a flow list ([...]): add the flag by hand")
    last = seq.items[-1]
    line_start = text.rfind("\n", 0, last.start) + 1
    dash = text[line_start : last.start]
    if dash.strip() != "-":
        raise Refused("the command list's last item does not start its line")
    offset = _line_end(text, last_end(last))
    newline = _newline(text)
    lead = "" if offset == 0 or text[offset - 1] == "\n" else newline
    line = dash + _scalar(wanted, STR_TAG, last.style if isinstance(last, Scalar) else None)
    return _Splice(offset, offset, lead + line + newline, _line(text, offset), id(seq))


def _embedded(text: str, obj: Mapping, doc: Document, edit: Edit, line: int) -> _Splice | None:
    """A setting of a file embedded in a ConfigMap: the block holding the finding's line, or
    the ConfigMap's only one."""
    files = _embedded_files(obj)
    mine = [(n, k) for n, k in files if n.line <= line <= _line(text, n.end)]
    mine = mine or (files if len(files) == 1 else [])
    if len(mine) != 1:
        raise Refused(f"cannot tell which file of the ConfigMap sets {edit.key}")
    node, kind = mine[0]
    _usable(node, doc)
    try:
        found = yaml_embedded.edit(text, node, kind, edit)
    except EditorError as e:
        raise Refused(f"in the embedded {kind} file: {e}") from None
    if found is None:
        return None
    start, end, new = found
    return _Splice(start, end, new, _line(text, start))


def _is_flag(node: Node, flag: str) -> bool:
    if not isinstance(node, Scalar):
        return False
    if flag == "--":
        return node.value.startswith("--")
    return node.value == flag or node.value.startswith(flag + "=")


def _command_lists(obj: Mapping, doc: Document) -> list[Sequence]:
    kind = _text(obj.get("kind")) or "Pod"
    node: Node | None = obj
    for key in POD_SPEC_PATHS.get(kind, ("spec",)):
        node = node.get(key) if isinstance(node, Mapping) else None
    lists: list[Sequence] = []
    for field in ("containers", "initContainers"):
        containers = node.get(field) if isinstance(node, Mapping) else None
        for c in containers.items if isinstance(containers, Sequence) else []:
            if not isinstance(c, Mapping):
                continue
            _usable(c, doc)
            for name in ("command", "args"):
                found = c.get(name)
                if isinstance(found, Sequence):
                    _usable(found, doc)
                    lists.append(found)
    return lists


# ---- text helpers -----------------------------------------------------------------------------


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index)


def _line_end(text: str, index: int) -> int:
    """The start of the line after the one holding `index` (a node ending at a line's start,
    as a block scalar does, ends there)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _newline(text: str) -> str:
    at = text.find("\n")
    return "\r\n" if at > 0 and text[at - 1] == "\r" else "\n"


def _back(line: int | None, moves: list[tuple[int, int, int]]) -> int | None:
    """A line of the text after `moves` as 1-based line of the text before them."""
    if line is None:
        return None
    for start, removed, added in reversed(moves):
        if line > start:
            line -= added - removed
    return line + 1


def _forward(line: int | None, moves: list[tuple[int, int, int]]) -> int | None:
    if line is None:
        return None
    for start, removed, added in moves:
        if line > start:
            line += added - removed
    return line + 1


# ---- masking ----------------------------------------------------------------------------------


def _is_secret_object(root: Node) -> bool:
    return isinstance(root, Mapping) and _text(root.get("kind")) == "Secret"


def _embedded_files(obj: Mapping) -> list[tuple[Scalar, str]]:
    """A ConfigMap's literal blocks with their embedded file's kind."""
    data = obj.get("data") if _text(obj.get("kind")) == "ConfigMap" else None
    if not isinstance(data, Mapping):
        return []
    return [
        (v, yaml_embedded.kind_of(k.value, v.value))
        for k, v in data.pairs
        if isinstance(k, Scalar) and isinstance(v, Scalar) and v.style == "|"
    ]


def _secret_spans(
    text: str,
    node: Node,
    key: str | None,
    secret: bool,
    spans: list[tuple[int, int, str]],
    skip: set[int],
) -> None:
    if id(node) in skip:
        return
    if isinstance(node, Scalar):
        shown = MASK if secret and node.value else show(key, node.value)
        if shown != node.value:
            lines = "\n" * text.count("\n", node.start, node.end)
            spans.append((node.start, node.end, shown + lines))
        return
    if isinstance(node, Sequence):
        for item in node.items:
            _secret_spans(text, item, None, secret, spans, skip)
        return
    if not isinstance(node, Mapping):
        return
    name = _text(node.get("name"))
    for k, v in node.pairs:
        field = _text(k)
        inner = secret or (_is_secret_object(node) and field in ("data", "stringData"))
        _secret_spans(text, v, name if field == "value" and name else field, inner, spans, skip)


EDITOR = YamlEditor()
