"""Answers about a value remembered while the value is short: a deployment tree repeats the
same settings in thousands of files, and several rules and every report ask about each one. A
long value is rarely repeated, and would hold its memory for nothing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar, cast

SHORT_CHARS = 256  # values up to this long are remembered with their answer
_KEPT = 8192  # answers kept, the least recently asked dropped first

K = TypeVar("K")
R = TypeVar("R")
P = ParamSpec("P")

_FORGET: list[Callable[[], None]] = []  # each remembering function's cache_clear


def remembered_for_short(
    function: Callable[Concatenate[K, str, P], R],
) -> Callable[Concatenate[K, str, P], R]:
    """`function(key, value, ...)`, its answer remembered when `value` is short."""
    cache = functools.lru_cache(maxsize=_KEPT)(function)
    _FORGET.append(cache.cache_clear)
    # lru_cache's wrapper is typed as taking any hashable arguments: it takes the function's.
    remembered = cast(Callable[Concatenate[K, str, P], R], cache)

    @functools.wraps(function)
    def answer(key: K, value: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if len(value) > SHORT_CHARS:
            return function(key, value, *args, **kwargs)
        return remembered(key, value, *args, **kwargs)

    return answer


def forget() -> None:
    """Every remembered answer dropped: the next ones are worked out afresh, as at start-up."""
    for clear in _FORGET:
        clear()
