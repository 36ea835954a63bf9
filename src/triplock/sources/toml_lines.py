"""TOML with Jinja placeholders, read with line numbers.

Gramine's `.manifest.template` files are TOML rendered by Jinja. tomllib cannot read `{{ x }}`
and reports no line numbers, so this module (1) swaps every placeholder for a marker string
before parsing (bare placeholders become quoted strings) and swaps them back in the parsed
values, and (2) maps every dotted key to the line that assigns it, with a scanner that knows
TOML strings, comments and brackets. `{% %}` and `{# #}` blocks are blanked, keeping lines; of an
`{% if %}` only the first branch is kept, and its lines are marked conditional.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from triplock.sources.text_lines import QuotedStrings

_MARK = "\u2983tpl{}\u2984"
_MARK_RE = re.compile("\u2983tpl(\\d+)\u2984")
_KEY_PART = r'(?:[A-Za-z0-9_\-]+|"[^"\n]*"|\'[^\'\n]*\')'
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ASSIGN = re.compile(rf"\s*({_DOTTED})\s*=")
_TABLE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]")
_ARRAY_TABLE = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]")


class TomlError(ValueError):
    pass


@dataclass
class TomlDocument:
    data: dict[str, Any]
    lines: list[str]  # the preprocessed text's lines (markers in place of placeholders)
    key_lines: dict[str, int]  # dotted key (array tables as key[i]) -> 1-based line
    placeholders: list[str]
    conditional: set[int]  # lines inside {% if %} blocks: present only under some condition
    strings: QuotedStrings = field(init=False)

    def __post_init__(self) -> None:
        self.strings = QuotedStrings(self.lines)

    def restore(self, value: str) -> str:
        """A parsed string with its Jinja placeholders put back."""
        return _MARK_RE.sub(lambda m: self.placeholders[int(m.group(1))], value)

    def line_of(self, dotted: str) -> int | None:
        """The line of `dotted`, else of its longest assigned prefix."""
        parts = dotted.split(".")
        while parts:
            line = self.key_lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return None

    def find_after(self, needle: str, start: int | None) -> int | None:
        """The first line at or after `start` holding the string `needle` (as preprocessed),
        else `start`."""
        found = self.strings.first(needle, (start or 1) - 1)
        return start if found is None else found + 1


def load(text: str) -> TomlDocument:
    scan = _Scanner(text)
    processed = scan.run()
    try:
        data = tomllib.loads(processed)
    except tomllib.TOMLDecodeError as e:
        raise TomlError(str(e)) from e
    except ValueError as e:  # an integer of more digits than Python converts
        raise TomlError("an integer too long to convert (over 4,300 digits)") from e
    lines = processed.split("\n")
    return TomlDocument(
        data, lines, _key_lines(lines, scan.starts), scan.placeholders, scan.conditional
    )


_STATEMENT = re.compile(r"\{%-?\s*(\w+)")


class _Scanner:
    """Swaps Jinja for markers in one pass over the text, tracking TOML strings, comments and
    bracket depth. Records, per line, whether it starts where a key can start (outside strings,
    depth 0), and which lines sit inside `{% if %}` blocks. Only the first branch of an if is
    kept (the others are blanked): both branches often assign the same key."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[str] = []
        self.placeholders: list[str] = []
        self.starts: list[bool] = [True]
        self.conditional: set[int] = set()
        self.quote = ""  # the open string delimiter: ", ', \"\"\" or '''
        self.depth = 0
        self.comment = False
        self.branches: list[bool] = []  # per open {% if %}: whether this branch is dropped
        self.dropped = 0  # how many of them are (any(branches) per character was quadratic)

    @property
    def line(self) -> int:
        return len(self.starts)

    def run(self) -> str:
        text, n, i = self.text, len(self.text), 0
        while i < n:
            c = text[i]
            if c == "\n":
                self.comment = False
                self.out.append(c)
                self.starts.append(not self.quote and self.depth == 0)
                if self.branches:
                    self.conditional.add(self.line)
                i += 1
            elif text.startswith(("{%", "{#"), i) and not self.comment:
                i = self._statement(i)
            elif self.dropped:
                self.out.append(" ")
                i += 1
            elif self.comment:
                self.out.append(c)
                i += 1
            elif text.startswith("{{", i):
                i = self._placeholder(i)
            else:
                i = self._toml(i)
        return "".join(self.out)

    def _blank(self, start: int, end: int) -> None:
        for ch in self.text[start:end]:
            self.out.append(ch if ch == "\n" else " ")
            if ch == "\n":
                self.starts.append(not self.quote and self.depth == 0)

    def _statement(self, i: int) -> int:
        closer = "%}" if self.text.startswith("{%", i) else "#}"
        end = self.text.find(closer, i + 2)
        end = len(self.text) if end < 0 else end + 2
        m = _STATEMENT.match(self.text, i)
        word = m.group(1) if m else ""
        if word == "if":
            self.branches.append(False)
            self.conditional.add(self.line)
        elif word in ("elif", "else") and self.branches:
            self.dropped += not self.branches[-1]
            self.branches[-1] = True
        elif word == "endif" and self.branches:
            self.dropped -= self.branches.pop()
        self._blank(i, end)
        return end

    def _placeholder(self, i: int) -> int:
        end = self.text.find("}}", i + 2)
        end = len(self.text) if end < 0 else end + 2
        marker = _MARK.format(len(self.placeholders))
        self.placeholders.append(self.text[i:end])
        self.out.append(marker if self.quote else f'"{marker}"')
        return end

    def _toml(self, i: int) -> int:
        text, c = self.text, self.text[i]
        if self.quote:
            if c == "\\" and self.quote in ('"', '"""'):
                self.out.append(text[i : i + 2])
                return i + 2
            if text.startswith(self.quote, i):
                self.out.append(self.quote)
                i += len(self.quote)
                self.quote = ""
                return i
            self.out.append(c)
            return i + 1
        if text.startswith(('"""', "'''"), i):
            self.quote = text[i : i + 3]
            self.out.append(self.quote)
            return i + 3
        if c in "\"'":
            self.quote = c
        elif c == "#":
            self.comment = True
        elif c in "[{":
            self.depth += 1
        elif c in "]}":
            self.depth = max(0, self.depth - 1)
        self.out.append(c)
        return i + 1


def _key_lines(lines: list[str], starts: list[bool]) -> dict[str, int]:
    found: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if number > len(starts) or not starts[number - 1]:
            continue
        if m := _ARRAY_TABLE.match(line):
            key = _normal(m.group(1))
            index = counts.get(key, 0)
            counts[key] = index + 1
            table = f"{key}[{index}]"
            found.setdefault(table, number)
            continue
        if m := _TABLE.match(line):
            table = _normal(m.group(1))
            found.setdefault(table, number)
            continue
        if m := _ASSIGN.match(line):
            key = _normal(m.group(1))
            found.setdefault(f"{table}.{key}" if table else key, number)
    return found


def _normal(dotted: str) -> str:
    parts = re.findall(_KEY_PART, dotted)
    return ".".join(p[1:-1] if p[:1] in "\"'" else p for p in parts)
