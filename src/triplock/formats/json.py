"""--format json: the stable contract of docs/reports.md (schema_version 1.x, additive only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from triplock.formats._common import result_document
from triplock.formats._stream import pieces
from triplock.model import AuditResult


def render(result: AuditResult) -> str:
    return "".join(chunks(result))


def chunks(result: AuditResult) -> Iterator[str]:
    """The report in pieces (written as they come: a large report is never one string).
    Compact UTF-8, byte for byte what json.dumps(ensure_ascii=False, separators=(",", ":"))
    writes, in about half the time on large reports (benchmarks/phases.py)."""
    yield from pieces(result_document(result), _encode)
    yield "\n"


def _encode(value: Any) -> str:
    return orjson.dumps(value).decode()
