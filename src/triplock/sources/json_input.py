"""JSON as sources read it: every odd value an input error, never an exception of Python's."""

from __future__ import annotations

import json
import sys
from typing import Any

from triplock.sources.interface import SourceError


def loads(text: str) -> Any:
    """json.loads, with an integer of more digits than Python converts (4,300 by default)
    raising SourceError instead of a ValueError that reads like a bug."""
    return json.loads(text, parse_int=_int)


def list_field(data: dict[str, Any], key: str, where: str = "") -> list[Any]:
    """The list under `key` ([] when absent); anything else is a SourceError naming
    `where` + `key`."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{where}{key} must be a list, not {type(value).__name__}")
    return value


def _int(digits: str) -> int:
    limit = sys.get_int_max_str_digits()
    if limit and len(digits.lstrip("-")) > limit:
        raise SourceError(f"a number of {len(digits):,} digits (more than {limit:,})")
    return int(digits)
