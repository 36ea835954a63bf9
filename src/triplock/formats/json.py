"""--format json: the stable contract of DESIGN.md (schema_version 1.x, additive changes only)."""

from __future__ import annotations

import json

from triplock.formats._common import result_dict
from triplock.model import AuditResult


def render(result: AuditResult) -> str:
    # Compact: the C encoder is many times faster than indent= on large reports (pipe to jq).
    return json.dumps(result_dict(result), ensure_ascii=False, separators=(",", ":")) + "\n"
