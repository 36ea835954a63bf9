"""java.util.Properties.load(Reader) semantics, keeping the line each entry starts on.

A port of the JDK's LineReader/load0 state machine (JDK 9+), so that what triplock reads
from a spark-defaults.conf is exactly what Spark reads. tests/sources/test_properties_jvm.py
checks it against the real JVM.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

_WHITESPACE = " \t\f"
_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "f": "\f"}


class MalformedProperties(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Property:
    key: str
    value: str
    line: int


def parse_properties(text: str) -> list[Property]:
    """Every key/value in order of appearance (later duplicates win when put in a dict)."""
    return [_split(logical, line) for logical, line in _logical_lines(text)]


def _logical_lines(text: str) -> Iterator[tuple[str, int]]:
    if "\\" in text or "\r" in text:
        return _jdk_logical_lines(text)
    return _plain_logical_lines(text)


def _plain_logical_lines(text: str) -> Iterator[tuple[str, int]]:
    """What the JDK's reader gives for a text without backslashes (no continuation lines)
    and without carriage returns (every line ends at a line feed): each line that is neither
    blank nor a comment, its leading whitespace removed. A line at a time, not a character."""
    for line_no, line in enumerate(text.split("\n"), start=1):
        logical = line.lstrip(_WHITESPACE)
        if logical and logical[0] not in "#!":
            yield logical, line_no


def _jdk_logical_lines(text: str) -> Iterator[tuple[str, int]]:
    buf: list[str] = []
    line_no = 1
    start_line = 1
    skip_ws = True
    appended_line_begin = False
    preceding_backslash = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        i += 1
        if skip_ws:
            if c in _WHITESPACE:
                continue
            if not appended_line_begin and c in "\r\n":
                if c == "\n" or not (i < n and text[i] == "\n"):
                    line_no += 1
                continue
            skip_ws = False
            appended_line_begin = False
        if not buf:
            start_line = line_no
            if c in "#!":
                while i < n and text[i] not in "\r\n":
                    i += 1
                skip_ws = True
                continue
        if c not in "\r\n":
            buf.append(c)
            preceding_backslash = (not preceding_backslash) if c == "\\" else False
            continue
        if c == "\r" and i < n and text[i] == "\n":
            i += 1
        line_no += 1
        if not buf:
            skip_ws = True
            continue
        if preceding_backslash:
            buf.pop()
            skip_ws = True
            appended_line_begin = True
            preceding_backslash = False
        else:
            yield "".join(buf), start_line
            buf = []
            skip_ws = True
    if buf:
        if preceding_backslash:
            buf.pop()
        yield "".join(buf), start_line


def _split(line: str, line_no: int) -> Property:
    key_len, value_start = key_value_bounds(line)
    return Property(
        _unescape(line[:key_len], line_no), _unescape(line[value_start:], line_no), line_no
    )


def key_value_bounds(line: str) -> tuple[int, int]:
    """(end of the key, start of the value) in a logical line without leading whitespace."""
    limit = len(line)
    key_len = 0
    value_start = limit
    has_sep = False
    preceding_backslash = False
    while key_len < limit:
        c = line[key_len]
        if c in "=:" and not preceding_backslash:
            value_start = key_len + 1
            has_sep = True
            break
        if c in _WHITESPACE and not preceding_backslash:
            value_start = key_len + 1
            break
        preceding_backslash = (not preceding_backslash) if c == "\\" else False
        key_len += 1
    while value_start < limit:
        c = line[value_start]
        if c not in _WHITESPACE:
            if not has_sep and c in "=:":
                has_sep = True
            else:
                break
        value_start += 1
    return key_len, value_start


def _unescape(s: str, line_no: int) -> str:
    if "\\" not in s:
        return s
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        i += 1
        if c != "\\" or i >= n:
            out.append(c)
            continue
        c = s[i]
        i += 1
        if c == "u":
            digits = s[i : i + 4]
            if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise MalformedProperties(f"malformed \\uxxxx escape on line {line_no}")
            out.append(chr(int(digits, 16)))
            i += 4
        else:
            out.append(_ESCAPES.get(c, c))
    return "".join(out)
