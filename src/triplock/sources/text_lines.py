"""Line numbers of offsets into a text, from newline offsets computed once.

`text.count("\\n", 0, pos)` for every match of a pattern rescans the text from its start each
time: quadratic in the number of matches. Sources that report the line of many matches in one
text ask a LineCounter instead.
"""

from __future__ import annotations

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
