"""Pieces every format shares: the finding and result as plain data (the JSON contract)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from triplock import __version__
from triplock.controls import CONTROLS
from triplock.model import AuditResult, Finding

SCHEMA_VERSION = "1.0"

# Control characters from the inputs (an escape sequence in a file name or a value, OSC-8
# hyperlinks, a bell) are shown escaped (`\x1b`), never passed to a terminal or a renderer.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text) if _CONTROL.search(text) else text


def finding_dict(f: Finding) -> dict[str, Any]:
    v = f.verdict
    rule = v.rule
    fix = f.fix
    return {
        "rule_id": rule.id,
        "slug": rule.slug,
        "control": rule.control,
        "stage": rule.stage,
        "severity": v.severity.value,
        "status": f.shown_status,
        "title": rule.title,
        "message": v.message,
        "location": f.location.to_dict(),
        "evidence": [e.to_dict() for e in v.evidence],
        "remediation": rule.remediation,
        "fix": fix.to_dict() if fix else None,
        "waiver": v.waiver.to_dict() if v.waiver else None,
        "cause": v.cause,
    }


def result_dict(result: AuditResult) -> dict[str, Any]:
    document = result_document(result)
    return {k: list(v) if isinstance(v, Iterator) else v for k, v in document.items()}


def result_document(result: AuditResult) -> dict[str, Any]:
    """The result as JSON data, its per-input and per-finding arrays as iterators (written
    piece by piece by formats._stream)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "triplock", "version": __version__},
        "inputs": (i.to_dict() for i in result.inputs),
        "findings": map(finding_dict, result.findings),
        "checklist": [
            {
                "control": c.control,
                "stage": CONTROLS[c.control].stage,
                "status": c.status,
                "asks": CONTROLS[c.control].asks,
                "assessed_by": CONTROLS[c.control].assessed_by,
                "counts": {
                    "fail": c.fail,
                    "pass": c.passed,
                    "unknown": c.unknown,
                    "waived": c.waived,
                    "baselined": c.baselined,
                },
            }
            for c in result.checklist
        ],
        "errors": (e.to_dict() for e in result.errors),
        "expired_waivers": list(result.expired_waivers),
        "unused_waivers": list(result.unused_waivers),
        "skipped": result.skipped,
        "baseline_fixed": list(result.baseline_fixed),
    }
