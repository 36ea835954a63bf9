"""--format html: one self-contained page for a security reviewer.

No external asset: the style sheet and the script are inline, and a Content-Security-Policy that
allows only those two (by hash) keeps the page from loading anything, so it works offline and
nothing from an audited file can run in it. Every text from an input is escaped.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from html import escape
from importlib import resources

from triplock import __version__
from triplock.controls import CONTROLS, STAGE_TITLES, STAGES
from triplock.model import AuditResult, Finding, Severity, Status

_ASSETS = resources.files("triplock") / "data"


def render(result: AuditResult) -> str:
    style = (_ASSETS / "report.css").read_text(encoding="utf-8")
    script = (_ASSETS / "report.js").read_text(encoding="utf-8")
    policy = (
        f"default-src 'none'; style-src '{_hash(style)}'; script-src '{_hash(script)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    body = "\n".join(
        [
            _header(result),
            _checklist(result),
            _findings(result),
            _inputs(result),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>triplock report</title>\n<style>{style}</style>\n</head>\n"
        f"<body>\n{body}\n<script>{script}</script>\n</body>\n</html>\n"
    )


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _header(result: AuditResult) -> str:
    failing = [f for f in result.findings if f.counts]
    by_severity = Counter(f.severity for f in failing)
    chips = "".join(
        f'<span class="chip sev-{s.value}">{by_severity[s]} {s.value}</span>'
        for s in reversed(Severity)
        if by_severity[s]
    )
    unknown = sum(1 for f in result.findings if f.status is Status.UNKNOWN and f.waiver is None)
    waived = sum(1 for f in result.findings if f.waiver is not None)
    baselined = sum(1 for f in result.findings if f.baselined)
    return (
        f'<header><h1>triplock report</h1><p class="meta">triplock {_e(__version__)} · '
        "Secure Your Services checklist</p>"
        f'<p class="summary"><strong>{len(failing)}</strong> failing findings {chips} · '
        f"{unknown} unknown · {waived} waived · {baselined} baselined · "
        f"{len(result.inputs)} inputs · "
        f"{len(result.errors)} input errors</p></header>"
    )


def _checklist(result: AuditResult) -> str:
    with_findings = {f.rule.control for f in result.findings}
    parts = ['<section id="checklist"><h2>Checklist by stage</h2>']
    for stage in STAGES:
        rows = [c for c in result.checklist if CONTROLS[c.control].stage == stage]
        if not rows:
            continue
        parts.append(f"<h3>{_e(STAGE_TITLES[stage])}</h3>")
        parts.append(
            '<table class="checklist"><thead><tr><th>control</th><th>status</th>'
            "<th>the guide asks</th><th>fail</th><th>pass</th><th>unknown</th><th>waived</th>"
            "</tr></thead><tbody>"
        )
        for c in rows:
            control = CONTROLS[c.control]
            name = _e(c.control)
            if c.control in with_findings:
                name = f'<a href="#findings" data-filter-control="{name}">{name}</a>'
            asks = _e(control.asks)
            if c.status == "not assessed":
                asks += f'<div class="hint">assessed by: {_e(control.assessed_by)}</div>'
            status = c.status.replace(" ", "-")
            parts.append(
                f'<tr data-control="{_e(c.control)}"><td>{name}</td>'
                f'<td><span class="status st-{status}">{_e(c.status)}</span></td>'
                f"<td>{asks}</td><td>{c.fail}</td><td>{c.passed}</td><td>{c.unknown}</td>"
                f"<td>{c.waived}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


def _status(f: Finding) -> str:
    return "waived" if f.waiver is not None else f.shown_status


def _file(f: Finding) -> str:
    return f.location.path or f.location.url or "(deployment)"


def _findings(result: AuditResult) -> str:
    findings = result.findings
    controls = sorted({f.rule.control for f in findings})
    files = sorted({_file(f) for f in findings})
    parts = [
        '<section id="findings"><h2>Findings</h2>',
        '<div class="filters" role="search">',
        _select(
            "f-status",
            "status",
            [
                ("open", "all but pass"),
                ("fail", "fail"),
                ("unknown", "unknown"),
                ("waived", "waived"),
                ("baselined", "baselined"),
                ("pass", "pass"),
                ("all", "all"),
            ],
        ),
        _select(
            "f-severity",
            "minimum severity",
            [(str(s.rank), s.value) for s in Severity],
        ),
        _select("f-control", "control", [("", "all controls"), *[(c, c) for c in controls]]),
        _select("f-file", "file", [("", "all files"), *[(p, p) for p in files]]),
        '<span id="shown-count" aria-live="polite"></span>',
        "</div>",
        '<table id="findings-table"><thead><tr><th>status</th><th>severity</th><th>rule</th>'
        "<th>where</th><th>finding</th><th>why and fix</th></tr></thead><tbody>",
    ]
    parts += [_row(f) for f in findings]
    parts.append("</tbody></table>")
    if not findings:
        parts.append('<p class="empty">No findings: no input spoke to any rule.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _select(element_id: str, label: str, options: list[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in options)
    return f'<label>{_e(label)} <select id="{element_id}">{opts}</select></label>'


def _row(f: Finding) -> str:
    loc = f.location
    where = _e(_file(f)) + (f":{loc.line}" if loc.line is not None else "")
    if loc.object:
        where += f'<div class="hint">{_e(loc.object)}</div>'
    evidence = "".join(
        f'<div class="evidence"><code>{_e(e.describe())}</code></div>'
        for e in f.evidence
        if e.describe()
    )
    waiver = ""
    if f.waiver is not None:
        until = f", until {_e(f.waiver.expires)}" if f.waiver.expires else ""
        waiver = (
            f'<div class="waiver">waived: {_e(f.waiver.reason)}{until} '
            f'<span class="hint">({_e(f.waiver.source)})</span></div>'
        )
    fix = f.fix.describe() if f.fix else f.rule.remediation
    refs = "".join(
        f'<li><a href="{_e(r)}" rel="noreferrer noopener">{_e(r)}</a></li>'
        for r in f.rule.references
        if r.startswith(("https://", "http://"))
    )
    status = _status(f)
    return (
        f'<tr class="finding" data-status="{status}" data-rank="{f.severity.rank}" '
        f'data-control="{_e(f.rule.control)}" data-file="{_e(_file(f))}">'
        f'<td><span class="status st-{status}">{status}</span></td>'
        f'<td><span class="chip sev-{f.severity.value}">{f.severity.value}</span></td>'
        f'<td><strong>{_e(f.rule.id)}</strong><div class="hint">{_e(f.rule.control)}</div></td>'
        f"<td>{where}</td>"
        f"<td>{_e(f.message)}{evidence}{waiver}</td>"
        f"<td><details><summary>{_e(f.rule.title)}</summary><p>{_e(f.rule.rationale)}</p>"
        f'<p class="fix">fix: {_e(fix)}</p>'
        + (f"<ul>{refs}</ul>" if refs else "")
        + "</details></td></tr>"
    )


def _inputs(result: AuditResult) -> str:
    parts = ['<section id="inputs"><h2>Inputs</h2>']
    if result.inputs:
        parts.append('<table id="inputs-table"><thead><tr><th>file</th><th>read as</th></tr>')
        parts.append("</thead><tbody>")
        parts += [f"<tr><td>{_e(i.path)}</td><td>{_e(i.kind)}</td></tr>" for i in result.inputs]
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No input was read.</p>")
    if result.errors:
        parts.append('<h3>Inputs that could not be read</h3><ul id="errors">')
        parts += [f"<li>{_e(e.path)}: {_e(e.reason)}</li>" for e in result.errors]
        parts.append("</ul>")
    if result.expired_waivers:
        parts.append('<h3>Expired waivers (no longer applied)</h3><ul id="expired-waivers">')
        parts += [f"<li>{_e(w)}</li>" for w in result.expired_waivers]
        parts.append("</ul>")
    if result.unused_waivers:
        parts.append('<h3>Unused waivers (matched no finding)</h3><ul id="unused-waivers">')
        parts += [f"<li>{_e(w)}</li>" for w in result.unused_waivers]
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)
