"""--format sarif: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

Failures are results of kind `fail` with a level by severity; findings that could not be judged
are kind `review`; passes are left out (code scanning would show them as alerts) and the checklist
travels in the run's property bag. Waived findings are results with a suppression. Each result
has a fingerprint of rule, file, object and message that survives lines moving.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from triplock import __version__, fingerprint
from triplock.controls import CONTROLS
from triplock.formats._stream import pieces
from triplock.model import AuditResult, Finding, RuleMeta, Severity, Status

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this property to rank alerts (critical > 9.0, high 7.0-8.9, ...).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def render(result: AuditResult) -> str:
    return b"".join(chunks(result)).decode()


def chunks(result: AuditResult) -> Iterator[bytes]:
    """The log in UTF-8 pieces, its results written as they come (formats._stream). Compact
    (machines read SARIF): what json.dumps(ensure_ascii=False, separators=(",", ":")) writes,
    as formats.json does, in a fraction of the time."""
    yield from pieces(sarif(result), orjson.dumps)
    yield b"\n"


def sarif(result: AuditResult) -> dict[str, Any]:
    """The SARIF log as JSON data, its results an iterator."""
    root = Path.cwd()
    rules = _rules(result)
    index = {r.id: i for i, r in enumerate(rules)}
    shown = [f for f in result.findings if f.status is not Status.PASS]
    fingerprints = fingerprint.fingerprints(shown, root)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "triplock",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
                "invocations": [_invocation(result, root)],
                "results": (
                    _result(f, index[f.rule.id], fp, root)
                    for f, fp in zip(shown, fingerprints, strict=True)
                ),
                "properties": {"checklist": _checklist(result)},
            }
        ],
    }


def _rules(result: AuditResult) -> list[RuleMeta]:
    metas = {meta.id: meta for meta in result.rules}
    for f in result.findings:
        metas.setdefault(f.rule.id, f.rule)
    return sorted(metas.values(), key=lambda m: m.id)


def _rule(meta: RuleMeta) -> dict[str, Any]:
    control = CONTROLS[meta.control]
    help_text = (
        f"{meta.rationale}\n\nFix: {meta.remediation}\n\nControl {meta.control}: {control.asks}"
    )
    help_md = (
        f"{meta.rationale}\n\n**Fix:** {meta.remediation}\n\n"
        f"**Control** `{meta.control}` ({control.stage}): {control.asks}"
    )
    if meta.references:
        help_md += "\n\n" + "\n".join(f"- <{ref}>" for ref in meta.references)
    out: dict[str, Any] = {
        "id": meta.id,
        "name": meta.slug,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.rationale},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "properties": {
            "control": meta.control,
            "stage": control.stage,
            "severity": meta.severity.value,
            "security-severity": _SECURITY_SEVERITY[meta.severity],
            "tags": ["security", meta.control, control.stage],
        },
    }
    if meta.references:
        out["helpUri"] = meta.references[0]
    return out


def _result(f: Finding, rule_index: int, print_: str, root: Path) -> dict[str, Any]:
    v = f.verdict
    rule = v.rule
    failed = v.status is Status.FAIL
    text = v.message
    evidence = "; ".join(d for d in (e.describe() for e in v.evidence) if d)
    if evidence:
        text += f" (evidence: {evidence})"
    fix = f.fix
    out: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": rule_index,
        "kind": "fail" if failed else "review",
        "level": _LEVEL[v.severity] if failed else "none",
        "message": {"text": text},
        "locations": [_location(f, root)],
        "partialFingerprints": {fingerprint.SCHEME: print_},
        "properties": {
            "control": rule.control,
            "stage": rule.stage,
            "severity": v.severity.value,
            "status": f.shown_status,
            "fix": fix.describe() if fix else rule.remediation,
        },
    }
    if v.baselined:
        out["baselineState"] = "unchanged"
    waiver = v.waiver
    if waiver is not None:
        suppression: dict[str, Any] = {
            "kind": "inSource" if waiver.inline else "external",
            "status": "accepted",
            "justification": waiver.reason,
            "properties": {"source": waiver.source},
        }
        if waiver.expires:
            suppression["properties"]["expires"] = waiver.expires
        out["suppressions"] = [suppression]
    return out


def _location(f: Finding, root: Path) -> dict[str, Any]:
    loc = f.location
    out: dict[str, Any] = {}
    if loc.path is not None or loc.url is not None:
        physical: dict[str, Any] = {"artifactLocation": _artifact(loc.path, loc.url, root)}
        if loc.line is not None and loc.line >= 1:
            physical["region"] = {"startLine": loc.line}
        out["physicalLocation"] = physical
    if loc.object:
        out["logicalLocations"] = [{"fullyQualifiedName": loc.object}]
    if not out:
        out["message"] = {"text": "the deployment as a whole"}
    return out


def _artifact(path: str | None, url: str | None, root: Path) -> dict[str, Any]:
    if path is None:
        return {"uri": url}
    relative = fingerprint.relative(path, root)
    if relative is not None:
        return {"uri": _uri_path(relative), "uriBaseId": SRCROOT}
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": _uri_path(path)}


@functools.lru_cache(maxsize=4096)  # a file has a result per rule that failed on it
def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace(os.sep, "/"), safe="/")


def _invocation(result: AuditResult, root: Path) -> dict[str, Any]:
    notes: list[dict[str, Any]] = [
        {
            "level": "error",
            "message": {"text": f"{e.path}: {e.reason}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": _artifact(e.path, None, root)}}
            ],
        }
        for e in result.errors
    ]
    notes += [{"level": "warning", "message": {"text": w}} for w in result.expired_waivers]
    notes += [{"level": "note", "message": {"text": w}} for w in result.unused_waivers]
    return {"executionSuccessful": True, "toolExecutionNotifications": notes}


def _checklist(result: AuditResult) -> list[dict[str, Any]]:
    return [
        {
            "control": c.control,
            "stage": CONTROLS[c.control].stage,
            "status": c.status,
            "fail": c.fail,
            "pass": c.passed,
            "unknown": c.unknown,
            "waived": c.waived,
        }
        for c in result.checklist
    ]
