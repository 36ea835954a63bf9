"""Files embedded in a ConfigMap as literal block scalars (`spark-defaults.conf: |`, an
`*-site.xml`): edited and masked by their own format's editor on the de-indented text, and put
back line by line, so that every line the inner editor keeps keeps its bytes and indentation."""

from __future__ import annotations

import difflib

from triplock.fix.interface import Edit, EditorError, physical_lines
from triplock.fix.yaml_tree import Scalar


def kind_of(file_key: str, value: str) -> str:
    """The input kind of an embedded file, as the Kubernetes source reads it."""
    if file_key.lower().endswith(".xml") or value.lstrip().startswith("<"):
        return "hadoop-xml"
    return "spark-conf"


def edit(text: str, node: Scalar, kind: str, wanted: Edit) -> tuple[int, int, str] | None:
    """(start, end, new text) of the block scalar's lines that change; None when nothing does.
    Raises EditorError when the block cannot be edited exactly."""
    from triplock.fix import editor_for

    begin, lines, indent = _content(text, node)
    inner = _inner(lines, indent)
    editor = editor_for(kind)
    if editor is None:
        raise EditorError(f"no editor for {kind} files yet")
    edited = editor.apply(inner, kind, [wanted])
    if edited.left:
        raise EditorError(edited.left[0][1])
    if edited.text == inner:
        return None
    if edited.text and not edited.text.endswith("\n"):
        raise EditorError("the embedded file would not end its last line")
    new = _reindented(lines, physical_lines(inner), physical_lines(edited.text), indent)
    same = 0
    while same < min(len(lines), len(new)) and lines[same] == new[same]:
        same += 1
    tail = 0
    while tail < min(len(lines), len(new)) - same and lines[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = begin + sum(len(line) for line in lines[:same])
    end = begin + sum(len(line) for line in lines[: len(lines) - tail])
    return start, end, "".join(new[same : len(new) - tail])


def masked(text: str, node: Scalar, kind: str) -> str | None:
    """The block's lines with the embedded file's secrets masked by its editor (same lines)."""
    from triplock.fix import editor_for

    editor = editor_for(kind)
    try:
        _, lines, indent = _content(text, node)
    except EditorError:
        return None
    if editor is None:
        return None
    inner = physical_lines(_inner(lines, indent))
    shown = physical_lines(editor.masked("".join(inner)))
    if len(shown) != len(inner):
        return None
    return "".join(
        line if mine == theirs else " " * indent + theirs
        for line, mine, theirs in zip(lines, inner, shown, strict=True)
    )


def span(text: str, node: Scalar) -> tuple[int, int]:
    begin, lines, _ = _content(text, node)
    return begin, begin + sum(len(line) for line in lines)


def _content(text: str, node: Scalar) -> tuple[int, list[str], int]:
    """Where the block's lines start, the lines, and their indentation."""
    if node.style != "|" or node.anchor is not None or node.tag is not None:
        raise EditorError("the file is not a plain literal block (|)")
    begin = text.find("\n", node.start) + 1
    if begin == 0 or begin > node.end:
        raise EditorError("the block holds no lines")
    lines = physical_lines(text[begin : node.end])
    filled = [line for line in lines if line.strip()]
    if not filled:
        raise EditorError("the block holds no lines")
    indent = min(len(line) - len(line.lstrip(" ")) for line in filled)
    if _inner(lines, indent).rstrip("\n") != node.value.rstrip("\n"):
        raise EditorError("the block's indentation cannot be read back exactly")
    return begin, lines, indent


def _inner(lines: list[str], indent: int) -> str:
    return "".join(line[indent:] if line.strip() else line.lstrip(" \t") for line in lines)


def _reindented(lines: list[str], inner: list[str], edited: list[str], indent: int) -> list[str]:
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, inner, edited, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(lines[i1:i2])
        else:
            out.extend(" " * indent + line if line.strip() else line for line in edited[j1:j2])
    return out
