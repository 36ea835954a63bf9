"""Deterministic growth checks for parsers fed hostile input.

The work a call does is counted, not timed: every Python line executed, function call,
generator resumption and call into C (a regex search, str.find) is one step, counted with
sys.settrace and sys.setprofile. A parser is linear when doubling its input no more than
doubles its steps (plus a small allowance for set-up). Steps inside one C call are not
visible: a backtracking regex is caught by the regression tests at the original repro sizes,
and kept out of the code by construction.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

SLACK = 0.25  # allowance over 2x for set-up and rounding
FLOOR = 200  # steps that do not depend on the input (imports, first-call caches)


def steps(call: Callable[[], object]) -> int:
    """The lines, calls and C calls that `call()` executes."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return trace

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "c_call":
            count += 1

    old_trace, old_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.settrace(old_trace)
        sys.setprofile(old_profile)
    return count


def assert_linear(run: Callable[[int], object], n: int) -> list[int]:
    """run(n), run(2n) and run(4n) each do at most about twice the steps of the size before;
    returns the three counts (for the failure message and for curious readers)."""
    run(n)  # warm caches (lazy imports, lru_caches) so that they do not count once only
    counts = [steps(lambda size=size: run(size)) for size in (n, 2 * n, 4 * n)]
    for small, large in itertools.pairwise(counts):
        assert large <= (2 + SLACK) * small + FLOOR, f"steps grow faster than the input: {counts}"
    return counts
