"""What an editor is: it applies the findings' set/unset fixes to the text of one file format,
touching only the lines those fixes are about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Protocol

from triplock.model import Finding, FixAction

_PHYSICAL = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def physical_lines(text: str) -> list[str]:
    """The lines of `text` with their endings, split only at \\n, \\r\\n and \\r (as Java
    and XML count lines, unlike str.splitlines)."""
    return _PHYSICAL.findall(text)


@dataclass(frozen=True, slots=True)
class Edit:
    """One wanted change to one file: set `key` to `value` or unset it, for `finding`."""

    finding: Finding
    action: FixAction  # SET or UNSET
    key: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One change an editor made. Line numbers are 1-based; `before` is None for an inserted
    line, `after` None for a removed one. Never holds a value."""

    edit: Edit
    before: int | None
    after: int | None


@dataclass(frozen=True, slots=True)
class Edited:
    text: str
    changes: tuple[Change, ...]
    left: tuple[tuple[Edit, str], ...] = ()  # edits the editor could not make, with why


class EditorError(Exception):
    """The file cannot be edited safely (it does not parse); the message says why."""


class Editor(Protocol):
    """An editor for the input kinds in `kinds` (the kinds sources give, e.g. `spark-conf`)."""

    kinds: ClassVar[frozenset[str]]

    def apply(self, text: str, kind: str, edits: list[Edit]) -> Edited:
        """`text` with `edits` applied, everything else byte for byte; raise EditorError when
        the text cannot be edited safely. An edit already in effect changes nothing."""
        ...

    def masked(self, text: str) -> str:
        """`text` as a diff may print it: every secret value masked, the same lines."""
        ...
