"""--format json: the stable contract of docs/reports.md (schema_version 1.x, additive only)."""

from __future__ import annotations

import orjson

from triplock.formats._common import result_dict
from triplock.model import AuditResult


def render(result: AuditResult) -> str:
    # Compact UTF-8, byte for byte what json.dumps(ensure_ascii=False, separators=(",", ":"))
    # writes, in about half the time on large reports (benchmarks/phases.py).
    return orjson.dumps(result_dict(result)).decode() + "\n"
