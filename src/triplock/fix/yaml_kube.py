"""Editor for Kubernetes manifests and Helm values files: text-level edits at the exact place of
the node a fix names (fix/yaml_paths.py), so multi-document files, comments, anchors, flow
style, quoting and indentation stay byte for byte. What cannot be edited exactly is left, with
why; a file that is not YAML is refused whole; an unrendered Helm template is left (its fixes go
through the chart's values).

Which object: the finding's object label (`Deployment/ns/name`), else the object holding its
line, else the file's only object (`kind: List` items are objects). What `Edit.key` names:
- `--flag`: a flag in a container's `command`/`args` list (a static pod's kube-apiserver);
- in a Spark custom resource (SparkApplication, ...): `spark.*` is a `spec.sparkConf` key, a
  Hadoop key its `spec.hadoopConf` key (or `spark.hadoop.<key>` where sparkConf has it);
- in a ConfigMap, a setting of the embedded file (spark-defaults.conf, *-site.xml) holding the
  finding's line, edited by that format's editor (fix/yaml_embedded.py);
- a path from the object's root (`metadata.labels.x`), or, in a workload, from its pod spec
  (`automountServiceAccountToken`, `containers[app].env[MODE].value`);
- in a Helm values file, a values path, its value written as the YAML text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from triplock.fix import yaml_embedded
from triplock.fix.interface import Change, Edit, Edited, EditorError
from triplock.fix.yaml_paths import (
    Missing,
    Refused,
    Seg,
    Splice,
    Target,
    insert,
    line_end,
    line_of,
    list_indent,
    newline_of,
    replace,
    resolve,
    scalar,
    segments,
    text_of,
    touch,
    unset,
    usable,
    wanted,
)
from triplock.fix.yaml_tree import (
    STR_TAG,
    Document,
    Mapping,
    Node,
    Scalar,
    Sequence,
    last_end,
    parse,
)
from triplock.model import FixAction
from triplock.redact import MASK, show
from triplock.sources.helm_template import is_helm_template
from triplock.sources.kube_objects import POD_SPEC_PATHS
from triplock.sources.kube_spark import SPARK_KINDS

_ROOT_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "data", "stringData"})


_FIELD = re.compile(r"^[a-z][A-Za-z0-9]*$")  # how Kubernetes API fields are named


class YamlEditor:
    kinds: ClassVar[frozenset[str]] = frozenset({"kubernetes", "helm-values"})

    def apply(self, text: str, kind: str, edits: list[Edit]) -> Edited:
        if is_helm_template(text):  # what it renders comes from the values: not an error
            why = "an unrendered Helm template: set it through the chart's values"
            return Edited(text, (), tuple((edit, why) for edit in edits))
        current = text
        done: list[tuple[Edit, int | None, int | None]] = []
        moves: list[tuple[int, int, int]] = []  # (line, lines removed, lines added)
        left: list[tuple[Edit, str]] = []
        pending = edits
        while pending:
            # One parse serves every edit whose change touches no other's; an edit that does
            # (a second key for a mapping the first one creates) waits for the next round. A
            # file that is not YAML raises EditorError here, in the first round: refused whole.
            index = _Index.of(parse(current))
            batch: list[tuple[Edit, Splice]] = []
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
                if any(touch(splice, other) for _, other in batch):
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


def _splice(text: str, index: _Index, kind: str, edit: Edit, line: int) -> Splice | None:
    """The change `edit` makes to `text` (its objects in `index`); `line`: the finding's line
    in `text` (0-based, -1 when it has none)."""
    obj, doc = _object(text, index, kind, edit, line)
    if edit.key.startswith("--"):
        return _flag(text, obj, doc, edit)
    if text_of(obj.get("kind")) == "ConfigMap" and segments(edit.key)[0].key not in _ROOT_FIELDS:
        return _embedded(text, obj, doc, edit, line)
    target = _target(obj, kind, edit.key)
    found = resolve(obj, doc, target)
    if edit.action is FixAction.UNSET:
        if isinstance(found, Missing):
            return None
        return unset(text, found)
    value, tag = wanted(edit.value or "", target)
    if isinstance(found, Missing):
        return insert(text, found, value, tag, list_indent(obj))
    return replace(text, found[-1][2], value, tag)


def _objects(docs: list[Document]) -> list[Mapping]:
    return [o for doc in docs for o in _objects_of(doc)]


def _objects_of(doc: Document) -> list[Mapping]:
    """The objects of a document: its root, or the items of a `kind: List`."""
    if not isinstance(doc.root, Mapping):
        return []
    items = doc.root.get("items")
    kind = text_of(doc.root.get("kind"))
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
        mine = [o for o in mine if o.line <= line <= line_of(text, last_end(o))] or mine
    if len(mine) > 1 and segments(edit.key)[0].key not in _ROOT_FIELDS:
        spark = [o for o in mine if text_of(o.get("kind")) in SPARK_KINDS]
        mine = spark if len(spark) == 1 else mine
    if len(mine) != 1:
        raise Refused(f"cannot tell which of the file's {len(mine)} objects to edit")
    return mine[0], index.owner[id(mine[0])]


def _label(obj: Mapping) -> str:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else Mapping(0, 0, 0, 0, None, None)
    kind = text_of(obj.get("kind")) or "Pod"
    name = text_of(meta.get("name")) or text_of(meta.get("generateName")) or "<unnamed>"
    namespace = text_of(meta.get("namespace"))
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _target(obj: Mapping, kind: str, key: str) -> Target:
    if kind == "helm-values":
        return Target(segments(key), string=False, verbatim=True)
    segs = segments(key)
    object_kind = text_of(obj.get("kind")) or "Pod"
    first = segs[0].key
    if object_kind in SPARK_KINDS and first not in _ROOT_FIELDS and "." in key:
        base = ("spec", "template") if object_kind == "ScheduledSparkApplication" else ("spec",)
        conf, name = "sparkConf", key
        if not key.startswith("spark."):  # a Hadoop key: in sparkConf as spark.hadoop.<key>
            conf, name = "hadoopConf", key
            spark_conf = _dig(obj, (*base, "sparkConf"))
            if isinstance(spark_conf, Mapping) and spark_conf.get("spark.hadoop." + key):
                conf, name = "sparkConf", "spark.hadoop." + key
        return Target(tuple(Seg(k) for k in (*base, conf, name)), string=True, whole=True)
    string = len(segs) > 1 and segs[-1].key == "value" and segs[-2].key.startswith("env")
    if first in _ROOT_FIELDS or obj.get(first) is not None:
        return Target(segs, string)
    if object_kind in POD_SPEC_PATHS and _FIELD.match(first):
        return Target((*(Seg(k) for k in POD_SPEC_PATHS[object_kind]), *segs), string)
    raise Refused(f"{key} names no field of a {object_kind}")


def _dig(node: Node | None, keys: tuple[str, ...]) -> Node | None:
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


# ---- Kubernetes places: command-line flags, files embedded in a ConfigMap ----------------------


def _flag(text: str, obj: Mapping, doc: Document, edit: Edit) -> Splice | None:
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
        return Splice(start, line_end(text, item.end), "", line_of(text, start), id(seq))
    setting = f"{flag}={edit.value or ''}"
    if hits:
        seq, i = hits[0]
        item = seq.items[i]
        assert isinstance(item, Scalar)
        if item.value == flag:  # `--flag` `value` as two items
            if i + 1 >= len(seq.items):
                raise Refused(f"{flag} has no value after it")
            return replace(text, usable(seq.items[i + 1], doc), edit.value or "", STR_TAG)
        return replace(text, item, setting, STR_TAG)
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
    offset = line_end(text, last_end(last))
    newline = newline_of(text)
    lead = "" if offset == 0 or text[offset - 1] == "\n" else newline
    line = dash + scalar(setting, STR_TAG, last.style if isinstance(last, Scalar) else None)
    return Splice(offset, offset, lead + line + newline, line_of(text, offset), id(seq))


def _embedded(text: str, obj: Mapping, doc: Document, edit: Edit, line: int) -> Splice | None:
    """A setting of a file embedded in a ConfigMap: the block holding the finding's line, or
    the ConfigMap's only one."""
    files = _embedded_files(obj)
    mine = [(n, k) for n, k in files if n.line <= line <= line_of(text, n.end)]
    mine = mine or (files if len(files) == 1 else [])
    if len(mine) != 1:
        raise Refused(f"cannot tell which file of the ConfigMap sets {edit.key}")
    node, kind = mine[0]
    usable(node, doc)
    try:
        found = yaml_embedded.edit(text, node, kind, edit)
    except EditorError as e:
        raise Refused(f"in the embedded {kind} file: {e}") from None
    if found is None:
        return None
    start, end, new = found
    return Splice(start, end, new, line_of(text, start))


def _is_flag(node: Node, flag: str) -> bool:
    if not isinstance(node, Scalar):
        return False
    if flag == "--":
        return node.value.startswith("--")
    return node.value == flag or node.value.startswith(flag + "=")


def _command_lists(obj: Mapping, doc: Document) -> list[Sequence]:
    kind = text_of(obj.get("kind")) or "Pod"
    node: Node | None = obj
    for key in POD_SPEC_PATHS.get(kind, ("spec",)):
        node = node.get(key) if isinstance(node, Mapping) else None
    lists: list[Sequence] = []
    for field in ("containers", "initContainers"):
        containers = node.get(field) if isinstance(node, Mapping) else None
        for c in containers.items if isinstance(containers, Sequence) else []:
            if not isinstance(c, Mapping):
                continue
            usable(c, doc)
            for name in ("command", "args"):
                found = c.get(name)
                if isinstance(found, Sequence):
                    usable(found, doc)
                    lists.append(found)
    return lists


# ---- line bookkeeping -------------------------------------------------------------------------


def _back(line: int | None, moves: list[tuple[int, int, int]]) -> int | None:
    """A 0-based line of the text after `moves` as the 1-based line of the text before them (a
    line a move wrote maps to where the move was)."""
    if line is None:
        return None
    for start, removed, added in reversed(moves):
        if line >= start + added:
            line += removed - added
        elif line >= start:
            line = start
    return line + 1


def _forward(line: int | None, moves: list[tuple[int, int, int]]) -> int | None:
    """A 0-based line of the text before `moves` as the 1-based line of the text after them (a
    line a move removed maps to where the move was)."""
    if line is None:
        return None
    for start, removed, added in moves:
        if line >= start + removed:
            line += added - removed
        elif line >= start:
            line = start
    return line + 1


# ---- masking ----------------------------------------------------------------------------------


def _is_secret_object(root: Node) -> bool:
    return isinstance(root, Mapping) and text_of(root.get("kind")) == "Secret"


def _embedded_files(obj: Mapping) -> list[tuple[Scalar, str]]:
    """A ConfigMap's literal blocks with their embedded file's kind."""
    data = obj.get("data") if text_of(obj.get("kind")) == "ConfigMap" else None
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
    name = text_of(node.get("name"))
    for k, v in node.pairs:
        field = text_of(k)
        inner = secret or (_is_secret_object(node) and field in ("data", "stringData"))
        _secret_spans(text, v, name if field == "value" and name else field, inner, spans, skip)


EDITOR = YamlEditor()
