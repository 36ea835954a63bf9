"""Editor for Hadoop *-site.xml files, as text: the document is never re-serialised. A set
changes the one `<value>` (or inserts a `<property>` before `</configuration>` in the style of
the file's last property); an unset removes the `<property>` with its own line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar
from xml.sax.saxutils import escape, unescape

from triplock.fix.interface import Change, Edit, Edited, EditorError
from triplock.model import FixAction
from triplock.redact import show
from triplock.sources.interface import SourceError

_SKIPPED = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_PROPERTY = re.compile(r"<property\b[^>]*>(.*?)</property\s*>", re.DOTALL)
_NAME = re.compile(r"<name\s*>(.*?)</name\s*>", re.DOTALL)
_VALUE = re.compile(r"<value\s*>(.*?)</value\s*>|<value\s*/>", re.DOTALL)
_FINAL = re.compile(r"<final\s*>\s*true\s*</final\s*>")
_END = re.compile(r"</configuration\s*>")
_ENTITIES = {"&quot;": '"', "&apos;": "'"}


@dataclass(frozen=True, slots=True)
class _Property:
    name: str
    start: int  # offsets of the whole <property> element
    end: int
    value: re.Match[str] | None  # its <value> element, offsets relative to the document
    final: bool


class HadoopXmlEditor:
    kinds: ClassVar[frozenset[str]] = frozenset({"hadoop-xml"})

    def apply(self, text: str, kind: str, edits: list[Edit]) -> Edited:
        props = _properties(text)
        spans: list[tuple[int, int, str, Edit]] = []  # (start, end, replacement, edit)
        for edit in edits:
            mine = [p for p in props if _means(p.name, edit.key)]
            if edit.action is FixAction.UNSET:
                spans.extend((*_whole_lines(text, p.start, p.end), "", edit) for p in mine)
            elif mine:
                spans.extend(_set(text, _effective(mine), edit))
            else:
                at = _insert_at(text)
                spans.append((at, at, _new_property(text, props, edit), edit))
        return _applied(text, spans)

    def masked(self, text: str) -> str:
        try:
            props = _properties(text)
        except EditorError:
            return re.sub(r"[^\r\n]+", "", text)  # unreadable: show no value
        out, done = [], 0
        for prop in props:
            if prop.value is None or prop.value.group(1) is None:
                continue
            value = _text(prop.value.group(1))
            if show(prop.name, value) == value:
                continue
            start, end = prop.value.span(1)
            out.append(text[done:start] + show(prop.name, value) + "\n" * value.count("\n"))
            done = end
        return "".join(out) + text[done:]


def _properties(text: str) -> list[_Property]:
    _check(text)
    blanked = _SKIPPED.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    found = []
    for match in _PROPERTY.finditer(blanked):
        name = _NAME.search(blanked, match.start(1), match.end(1))
        if name is None:
            continue
        value = _VALUE.search(blanked, match.start(1), match.end(1))
        final = _FINAL.search(match.group(1)) is not None
        found.append(
            _Property(_text(name.group(1)).strip(), match.start(), match.end(), value, final)
        )
    return found


def _check(text: str) -> None:
    """Only a document Hadoop can read is edited."""
    from triplock.sources.hadoop_xml import _parse_items

    try:
        _parse_items(text.encode("utf-8"), "")
    except SourceError as e:
        raise EditorError(str(e)) from None


def _text(raw: str) -> str:
    return unescape(raw, _ENTITIES)


def _means(name: str, key: str) -> bool:
    from triplock.facts.hadoop import current_name

    return name == key or current_name(name) == current_name(key)


def _effective(props: list[_Property]) -> _Property:
    """The definition Hadoop keeps: the first final one, else the last."""
    return next((p for p in props if p.final), props[-1])


def _set(text: str, prop: _Property, edit: Edit) -> list[tuple[int, int, str, Edit]]:
    new = _escaped(edit.value or "")
    value = prop.value
    if value is not None and value.group(1) is not None:
        if _text(value.group(1)) == edit.value:
            return []
        return [(value.start(1), value.end(1), new, edit)]
    if value is not None:  # <value/>
        return [(value.start(), value.end(), f"<value>{new}</value>", edit)]
    name_end = _NAME.search(text, prop.start, prop.end)
    assert name_end is not None
    return [(name_end.end(), name_end.end(), f"<value>{new}</value>", edit)]


def _escaped(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """The element's span widened to its whole lines when it is alone on them."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if text[line_start:start].strip() or text[end:line_end].strip():
        return start, end
    return line_start, line_end


def _insert_at(text: str) -> int:
    ends = list(_END.finditer(_SKIPPED.sub(lambda m: " " * len(m.group()), text)))
    if not ends:
        raise EditorError("no </configuration> to add a property before")
    at = ends[-1].start()
    line_start = text.rfind("\n", 0, at) + 1
    return line_start if not text[line_start:at].strip() else at


def _new_property(text: str, props: list[_Property], edit: Edit) -> str:
    """A <property> written like the file's last one: on one line or spread over several."""
    name, value = _escaped(edit.key), _escaped(edit.value or "")
    newline = "\r\n" if "\r\n" in text else "\n"
    if not props:
        return (
            f"  <property>{newline}    <name>{name}</name>{newline}    <value>{value}</value>"
            f"{newline}  </property>{newline}"
        )
    last = props[-1]
    indent = text[text.rfind("\n", 0, last.start) + 1 : last.start]
    indent = indent if not indent.strip() else ""
    element = text[last.start : last.end]
    if "\n" not in element:
        return f"{indent}<property><name>{name}</name><value>{value}</value></property>{newline}"
    inner = re.search(r"\n([ \t]*)<", element)
    nested = inner.group(1) if inner else indent + "  "
    return (
        f"{indent}<property>{newline}{nested}<name>{name}</name>{newline}"
        f"{nested}<value>{value}</value>{newline}{indent}</property>{newline}"
    )


def _applied(text: str, spans: list[tuple[int, int, str, Edit]]) -> Edited:
    out: list[str] = []
    changes: list[Change] = []
    done, delta = 0, 0
    for start, end, new, edit in sorted(spans, key=lambda s: (s[0], s[1])):
        if start < done:
            continue  # two edits of one element: the first wins (the planner keeps one)
        before = text.count("\n", 0, start) + 1
        out.append(text[done:start] + new)
        changes.append(Change(edit, before, before + delta if new else None))
        delta += new.count("\n") - text.count("\n", start, end)
        done = end
    out.append(text[done:])
    return Edited("".join(out), tuple(changes))


EDITOR = HadoopXmlEditor()
