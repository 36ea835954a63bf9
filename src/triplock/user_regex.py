"""Patterns that come from the audited files (spark.redaction.regex,
hadoop.security.sensitive-config-keys), run in linear time.

Python's `re` backtracks: a pattern such as `(a|a)*b` or `a*a*a*a*b` takes exponential or high
polynomial time, so a hostile file could hang the audit with its own pattern. These patterns
run on RE2 (google-re2), which matches in time linear in the subject. What RE2 cannot run
(backreferences, lookaround: features Java's regex has) is UnsafePattern, and the rule says
`unknown`.
"""

from __future__ import annotations

import os
from typing import Protocol


class UnsafePattern(ValueError):
    """A pattern that RE2 cannot compile (invalid, or a backtracking-only feature)."""


class UserPattern(Protocol):
    def search(self, text: str) -> object | None: ...


def compile_user_pattern(pattern: str) -> UserPattern:
    import re2  # type: ignore[import-untyped]

    # RE2 logs a failed compile to file descriptor 2 from C++: silence it, the error is ours.
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        compiled: UserPattern = re2.compile(pattern)
    except Exception as e:  # re2.error and the TypeErrors of odd input
        raise UnsafePattern(_reason(e)) from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    return compiled


def _reason(error: Exception) -> str:
    text = error.args[0] if error.args else error
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
