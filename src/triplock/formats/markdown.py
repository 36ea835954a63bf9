"""--format markdown: a short report for a pull-request comment.

The failing findings first (at most MAX_ROWS), then the checklist, the waived findings, expired
waivers and unreadable inputs folded in <details>. Text from the audited files is escaped so that
it cannot change the comment's markup.
"""

from __future__ import annotations

import os
import re

from triplock.controls import CONTROLS, STAGE_TITLES
from triplock.formats._common import escape_controls
from triplock.model import AuditResult, Finding, Severity, Status

MAX_ROWS = 50
# GitHub refuses comments over 65,536 characters; tables shrink until the report fits.
MAX_CHARS = 60_000

_STATUS = {
    "fail": "❌ fail",
    "pass": "✅ pass",
    "unknown": "❔ unknown",
    "not assessed": "➖ not assessed",
}
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!])")


def render(result: AuditResult) -> str:
    rows = MAX_ROWS
    text = _render(result, rows)
    while len(text) > MAX_CHARS and rows > 1:
        rows //= 2
        text = _render(result, rows)
    return text


def _render(result: AuditResult, rows: int) -> str:
    failing = [f for f in result.findings if f.counts]
    waived = [f for f in result.findings if f.waiver is not None]
    unknown = [f for f in result.findings if f.status is Status.UNKNOWN and f.waiver is None]
    out = [f"### triplock: {_headline(failing, unknown, waived, result)}", ""]
    if failing:
        out += _findings_table(failing, rows)
    else:
        out += ["No failing findings.", ""]
    out += _checklist(result)
    if unknown:
        out += _details(f"{len(unknown)} could not be judged", _findings_table(unknown, rows))
    if waived:
        out += _details(f"{len(waived)} waived", _waived(waived, rows))
    baselined = [f for f in result.findings if f.baselined]
    if baselined:
        title = f"{len(baselined)} baselined (known failures, not counted)"
        out += _details(title, _findings_table(baselined, rows))
    if result.baseline_fixed:
        items = [f"- {_md(w)}" for w in result.baseline_fixed]
        out += _details(f"{len(result.baseline_fixed)} fixed since the baseline", items)
    if result.expired_waivers:
        items = [f"- {_md(w)}" for w in result.expired_waivers]
        out += _details(f"{len(result.expired_waivers)} expired waivers (no longer applied)", items)
    if result.unused_waivers:
        items = [f"- {_md(w)}" for w in result.unused_waivers]
        out += _details(f"{len(result.unused_waivers)} unused waivers (matched no finding)", items)
    if result.errors:
        items = [f"- {_md(_path(e.path))}: {_md(e.reason)}" for e in result.errors]
        out += _details(f"{len(result.errors)} inputs could not be read", items)
    return "\n".join(out).rstrip() + "\n"


def _headline(
    failing: list[Finding], unknown: list[Finding], waived: list[Finding], result: AuditResult
) -> str:
    by_severity = [
        f"{n} {s.value}" for s in reversed(Severity) if (n := sum(f.severity is s for f in failing))
    ]
    head = f"{len(failing)} failing" + (f" ({', '.join(by_severity)})" if by_severity else "")
    return (
        f"{head} · {len(unknown)} unknown · {len(waived)} waived · "
        f"{len(result.inputs)} inputs · {len(result.errors)} input errors"
    )


def _findings_table(findings: list[Finding], limit: int) -> list[str]:
    rows = ["| severity | rule | where | finding | fix |", "|---|---|---|---|---|"]
    for f in findings[:limit]:
        fix = f.fix.describe() if f.fix else f.rule.remediation
        evidence = "; ".join(e.describe() for e in f.evidence if e.describe())
        finding = _md(f.message) + (f"<br>evidence: {_md(evidence)}" if evidence else "")
        rows.append(
            f"| {f.severity.value} | {f.rule.id} | {_md(_where(f))} | {finding} | {_md(fix)} |"
        )
    if len(findings) > limit:
        rows.append(f"\n… and {len(findings) - limit} more (see the full report).")
    return [*rows, ""]


def _checklist(result: AuditResult) -> list[str]:
    counts: dict[str, int] = {}
    for c in result.checklist:
        counts[c.status] = counts.get(c.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    rows = [
        "| stage | control | status | fail | pass | unknown | waived |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result.checklist:
        stage = STAGE_TITLES[CONTROLS[c.control].stage]
        rows.append(
            f"| {stage} | {c.control} | {_STATUS[c.status]} | {c.fail} | {c.passed} | "
            f"{c.unknown} | {c.waived} |"
        )
    return _details(f"Checklist: {summary}", rows)


def _waived(findings: list[Finding], limit: int) -> list[str]:
    rows = ["| rule | where | reason | expires |", "|---|---|---|---|"]
    for f in findings[:limit]:
        assert f.waiver is not None
        rows.append(
            f"| {f.rule.id} | {_md(_where(f))} | {_md(f.waiver.reason)} | "
            f"{f.waiver.expires or 'never'} |"
        )
    if len(findings) > limit:
        rows.append(f"\n… and {len(findings) - limit} more (see the full report).")
    return rows


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{_md(summary)}</summary>", "", *body, "", "</details>", ""]


def _where(f: Finding) -> str:
    loc = f.location
    where = _path(loc.path) if loc.path else loc.url or "deployment"
    if loc.line is not None:
        where += f":{loc.line}"
    if loc.object:
        where += f" ({loc.object})"
    return where


def _path(path: str) -> str:
    """Paths inside the working directory are shown relative to it (shorter in a comment)."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return os.path.relpath(absolute, cwd)
    return path


def _md(text: str) -> str:
    """Input text as inert Markdown: whitespace runs as one space, Markdown's punctuation
    backslash-escaped, control characters (ESC, OSC-8 links) shown as `\\x1b` as in the table."""
    return escape_controls(_SPECIAL.sub(r"\\\1", " ".join(text.split())))
