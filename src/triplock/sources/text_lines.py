"""Line numbers of offsets into a text, from newline offsets computed once.

`text.count("\\n", 0, pos)` for every match of a pattern rescans the text from its start each
time: quadratic in the number of matches. Sources that report the line of many matches in one
text ask a LineCounter instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left


class LineCounter:
    __slots__ = ("_newlines", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._newlines: list[int] | None = None

    def line_at(self, offset: int) -> int:
        """The 1-based line holding `offset`."""
        if self._newlines is None:
            self._newlines = _newline_offsets(self._text)
        return bisect_left(self._newlines, offset) + 1


def _newline_offsets(text: str) -> list[int]:
    offsets: list[int] = []
    i = text.find("\n")
    while i >= 0:
        offsets.append(i)
        i = text.find("\n", i + 1)
    return offsets


# A quoted string on one line: "..." with backslash escapes, or '...'.
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'')


class QuotedStrings:
    """The lines of a text's quoted strings, by content, indexed once: finding the line of each
    array entry by scanning the lines again per entry was quadratic in the entries."""

    __slots__ = ("_index", "_lines")

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._index: dict[str, list[int]] | None = None

    def first(self, content: str, from_line: int) -> int | None:
        """The first 0-based line at or after `from_line` holding a string whose content (what
        is between its quotes, as written) is `content`."""
        if self._index is None:
            self._index = {}
            for number, line in enumerate(self._lines):
                for m in _QUOTED.finditer(line):
                    self._index.setdefault(m[0][1:-1], []).append(number)
        found = self._index.get(content, [])
        k = bisect_left(found, from_line)
        return found[k] if k < len(found) else None
