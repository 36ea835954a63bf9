"""Editor for java.util.Properties files (spark-defaults.conf): change the value of an entry in
place, keeping its key text and separator (`=`, `:` or spaces), remove an entry with its
continuation lines, or append one in the file's own separator style. Every other byte stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from triplock.fix.interface import Change, Edit, Edited, EditorError, physical_lines
from triplock.model import FixAction
from triplock.redact import show
from triplock.sources.properties import MalformedProperties, key_value_bounds, parse_properties

_WHITESPACE = " \t\f"
_HADOOP_PREFIX = "spark.hadoop."


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    first: int  # 0-based index of its first physical line
    last: int  # index of its last physical line (continuations)


class PropertiesEditor:
    kinds: ClassVar[frozenset[str]] = frozenset({"spark-conf"})

    def apply(self, text: str, kind: str, edits: list[Edit]) -> Edited:
        lines = physical_lines(text)
        entries = _entries(text, lines)
        newline = _newline(lines)
        # Each physical line's replacement (None: keep); appended lines go at the end.
        replaced: dict[int, list[str]] = {}
        owner: dict[int, Edit] = {}
        appended: list[tuple[Edit, str]] = []
        for edit in edits:
            names = _names(edit.key, kind)
            mine = [e for e in entries if e.key in names]
            if edit.action is FixAction.UNSET:
                for entry in mine:
                    owner[entry.first] = edit
                    for i in range(entry.first, entry.last + 1):
                        replaced[i] = []
            elif mine:
                entry = mine[-1]  # the last one is the one java.util.Properties keeps
                if edit.value != _value_of(lines, entry):
                    line = _set_line(lines, entry, edit.value or "", newline)
                    replaced[entry.first] = [line]
                    owner[entry.first] = edit
                    for i in range(entry.first + 1, entry.last + 1):
                        replaced[i] = []
            else:
                sep = _separator(lines, entries, len(names[0]))
                appended.append((edit, _key(names[0]) + sep + _escape_value(edit.value or "")))
        return _assemble(lines, replaced, owner, appended, newline)

    def masked(self, text: str) -> str:
        lines = physical_lines(text)
        try:
            entries = _entries(text, lines)
        except EditorError:
            return "".join(_ending(line) for line in lines)  # unreadable: show no value
        for entry in entries:
            value = _value_of(lines, entry)
            shown = show(entry.key, value)
            if shown == value:
                continue
            body = lines[entry.first].rstrip("\r\n")
            lines[entry.first] = body[: _split_at(body)[1]] + shown + _ending(lines[entry.first])
            for i in range(entry.first + 1, entry.last + 1):
                lines[i] = _ending(lines[i])
        return "".join(lines)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _names(key: str, kind: str) -> list[str]:
    """The keys that mean `key` in a file of `kind`, the one to write first: Spark reads a
    Hadoop key from its conf only as `spark.hadoop.<key>`."""
    if kind == "spark-conf" and not key.startswith("spark."):
        return [_HADOOP_PREFIX + key, key]
    return [key]


def _entries(text: str, lines: list[str]) -> list[_Entry]:
    try:
        props = parse_properties(text)
    except MalformedProperties as e:
        raise EditorError(str(e)) from None
    found: list[_Entry] = []
    for prop in props:
        first = prop.line - 1
        last = first
        while _continues(lines[last]) and last + 1 < len(lines):
            last += 1
            if not lines[last].strip(_WHITESPACE + "\r\n"):
                break  # an empty line ends the entry, as in the JDK's LineReader
        found.append(_Entry(prop.key, first, last))
    return found


def _continues(line: str) -> bool:
    body = line.rstrip("\r\n")
    run = len(body) - len(body.rstrip("\\"))
    return run % 2 == 1


def _split_at(body: str) -> tuple[int, int]:
    """(end of key, start of value) in a physical line, by the JDK's rules."""
    start = len(body) - len(body.lstrip(_WHITESPACE))
    key_end, value_start = key_value_bounds(body[start:])
    return start + key_end, start + value_start


def _value_of(lines: list[str], entry: _Entry) -> str:
    return parse_properties("".join(lines[entry.first : entry.last + 1]))[0].value


def _set_line(lines: list[str], entry: _Entry, value: str, newline: str) -> str:
    first = lines[entry.first]
    body = first.rstrip("\r\n")
    if _continues(first):
        body = body[:-1]
    key_end, value_start = _split_at(body)
    start = len(body) - len(body.lstrip(_WHITESPACE))
    if parse_properties(body[start:key_end] + "=")[0].key == entry.key:
        prefix = body[:value_start]
        if value_start == len(body) and not body[key_end:].strip(_WHITESPACE):
            prefix = body[:key_end] + "="
    else:  # the key itself runs over a continuation line: write it whole
        prefix = body[:start] + _key(entry.key) + "="
    last = lines[entry.last]
    ending = last[len(last.rstrip("\r\n")) :] or ("" if entry.last == len(lines) - 1 else newline)
    return prefix + _escape_value(value) + ending


def _separator(lines: list[str], entries: list[_Entry], key_length: int) -> str:
    """The separator the file's last entry uses, aligned the same way when it is spaces."""
    if not entries:
        return "="
    body = lines[entries[-1].first].rstrip("\r\n")
    key_end, value_start = _split_at(body)
    sep = body[key_end:value_start]
    if sep.strip(_WHITESPACE):
        return sep
    column = value_start - (len(body) - len(body.lstrip(_WHITESPACE)))
    return " " * max(1, column - key_length) if sep else "="


def _newline(lines: list[str]) -> str:
    for line in lines:
        for ending in ("\r\n", "\n", "\r"):
            if line.endswith(ending):
                return ending
    return "\n"


_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f", "\\": "\\\\"}


def _key(key: str) -> str:
    return "".join(_CONTROLS.get(c) or ("\\" + c if c in " =:#!" else c) for c in key)


def _escape_value(value: str) -> str:
    out = "".join(_CONTROLS.get(c, c) for c in value)
    return "\\" + out if out[:1] == " " else out


def _assemble(
    lines: list[str],
    replaced: dict[int, list[str]],
    owner: dict[int, Edit],
    appended: list[tuple[Edit, str]],
    newline: str,
) -> Edited:
    out: list[str] = []
    changes: list[Change] = []
    for i, line in enumerate(lines):
        if i not in replaced:
            out.append(line)
            continue
        new = replaced[i]
        if i in owner:
            changes.append(Change(owner[i], i + 1, len(out) + 1 if new else None))
        out.extend(new)
    if appended and out and not out[-1].endswith(("\n", "\r")):
        out[-1] += newline
    if appended and out and _continues(out[-1]):
        out.append(newline)  # an empty line ends the continued entry before the new ones
    for edit, line in appended:
        out.append(line + newline)
        changes.append(Change(edit, None, len(out)))
    return Edited("".join(out), tuple(changes))


EDITOR = PropertiesEditor()
