"""--format json: the stable contract of DESIGN.md (schema_version 1.x, additive changes only)."""

from __future__ import annotations

import json

from triplock.formats._common import result_dict
from triplock.model import AuditResult


def render(result: AuditResult) -> str:
    return json.dumps(result_dict(result), indent=2, ensure_ascii=False) + "\n"
