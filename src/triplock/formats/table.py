"""--format table: the checklist by control, then what failed (most severe first) or could not
be judged, by file."""

from __future__ import annotations

import io
import os
import re
from collections import Counter, defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from triplock.controls import CONTROLS, STAGE_TITLES
from triplock.formats._common import escape_controls
from triplock.model import AuditResult, Finding, Severity, Status

_STATUS_STYLE = {
    "fail": "bold red",
    "pass": "green",
    "unknown": "yellow",
    "not assessed": "dim",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render(result: AuditResult, color: bool = False, width: int | None = None) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width or _width(),
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        markup=False,
        soft_wrap=False,
    )
    _checklist(console, result)
    lines = _Lines(console.width, color)
    _findings(lines, result)
    _errors(lines, result)
    _summary(lines, result)
    return out.getvalue() + lines.text()


def _width() -> int:
    try:
        return max(100, os.get_terminal_size().columns)
    except OSError:
        return 120


def _checklist(console: Console, result: AuditResult) -> None:
    table = Table(title="Secure Your Services checklist", title_justify="left")
    table.add_column("stage", no_wrap=True)
    table.add_column("control", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("findings", overflow="fold")
    previous_stage = ""
    assessed = [c for c in result.checklist if c.status != "not assessed"]
    for c in assessed:
        control = CONTROLS[c.control]
        stage = STAGE_TITLES[control.stage] if control.stage != previous_stage else ""
        previous_stage = control.stage
        counts = [
            (c.fail, "fail"),
            (c.passed, "pass"),
            (c.unknown, "unknown"),
            (c.waived, "waived"),
            (c.baselined, "baselined"),
        ]
        detail = ", ".join(f"{n} {label}" for n, label in counts if n)
        table.add_row(stage, c.control, Text(c.status, style=_STATUS_STYLE[c.status]), detail)
    if assessed:
        console.print(table)
    missing = [c.control for c in result.checklist if c.status == "not assessed"]
    if missing:
        console.print(
            Text(
                f"Not assessed by these inputs ({len(missing)} of {len(result.checklist)} "
                f"controls): {', '.join(missing)}. `triplock rules` lists the rules "
                "that assess each.",
                style="dim",
            )
        )


def _findings(out: _Lines, result: AuditResult) -> None:
    """Failures from the most severe down, then what could not be judged, then the waived;
    within each group by file and line."""
    shown = [f for f in result.findings if f.status is not Status.PASS]
    if not shown:
        out.blank()
        out.add("No failing or unknown findings.")
        return
    # A group's count is every finding of its kind, also those shown under a same-cause head
    # of another group, so that the counts add up to the summary line.
    counts = Counter(_group(f) for f in shown)
    shown, same_cause = _by_cause(shown)
    groups: dict[tuple[int, int], list[Finding]] = defaultdict(list)
    for f in shown:
        groups[_group(f)].append(f)
    for key in sorted(groups):
        findings = groups[key]
        count = counts[key]
        out.blank()
        out.add(f"{_group_title(key, findings[0])} ({count})", "bold")
        by_file: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            by_file[f.location.path or f.location.url or "<deployment>"].append(f)
        for path in sorted(by_file):
            out.add(path, "bold underline")
            for f in sorted(by_file[path], key=lambda f: (f.location.line or 0, f.rule.id)):
                _finding(out, f, same_cause.get(id(f), []))


def _by_cause(findings: list[Finding]) -> tuple[list[Finding], dict[int, list[Finding]]]:
    """Findings of one cause in one file (and the same waived/baselined state) are shown once:
    the most severe, with the others listed under it."""
    heads: dict[tuple[str | None, str, int], Finding] = {}
    rest: dict[int, list[Finding]] = defaultdict(list)
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-f.severity.rank, f.rule.id)):
        if f.cause is None:
            out.append(f)
            continue
        key = (f.location.path, f.cause, _group(f)[0])
        head = heads.setdefault(key, f)
        if head is f:
            out.append(f)
        else:
            rest[id(head)].append(f)
    return out, rest


_UNKNOWN, _BASELINED, _WAIVED = 1, 2, 3
_GROUP_TITLE = {
    _UNKNOWN: "Could not be judged",
    _BASELINED: "Baselined (known failures, not counted)",
    _WAIVED: "Waived",
}


def _group(f: Finding) -> tuple[int, int]:
    if f.waiver is not None:
        return (_WAIVED, 0)
    if f.baselined:
        return (_BASELINED, 0)
    if f.status is Status.UNKNOWN:
        return (_UNKNOWN, 0)
    return (0, -f.severity.rank)


def _group_title(key: tuple[int, int], first: Finding) -> str:
    return _GROUP_TITLE.get(key[0]) or f"{first.severity.value.capitalize()} failures"


def _finding(out: _Lines, f: Finding, same_cause: list[Finding] | None = None) -> None:
    v, where = f.verdict, f.location
    line = f"{where.line:>5}" if where.line else "    -"
    status, style = v.status.value, _STATUS_STYLE[v.status.value]
    if v.waiver is not None:
        status, style = "waived", "magenta"
    elif v.baselined:
        status, style = "known", "dim"
    parts = [
        (f"  {line}  ", ""),
        (f"{status.upper():<7} ", style),
        (f"{v.severity.value:<8} ", _SEVERITY_STYLE[v.severity]),
        (f"{v.rule.id} ", "bold"),
        (v.message, ""),
    ]
    if where.object:
        parts.append((f"  [{where.object}]", "dim"))
    out.add_parts(parts, indent=_DETAIL)
    for e in v.evidence:
        out.add(f"{_DETAIL}evidence: {e.describe()}", "dim", indent=_DETAIL + "  ")
    if same_cause:
        out.add(f"{_DETAIL}the same cause ({v.cause}) also:", "bold", indent=_DETAIL + "  ")
        for other in same_cause:
            out.add_parts(
                [
                    (f"{_DETAIL}  {other.severity.value:<8} ", _SEVERITY_STYLE[other.severity]),
                    (f"{other.rule.id} ", "bold"),
                    (other.message, ""),
                ],
                indent=_DETAIL + "    ",
            )
    fix = f.fix
    remedy = fix.describe() if fix else v.rule.remediation
    out.add(f"{_DETAIL}fix: {remedy}", "cyan", indent=_DETAIL + "  ")
    if v.waiver:
        out.add(f"{_DETAIL}waived: {v.waiver.reason}", "magenta", indent=_DETAIL + "  ")


def _errors(out: _Lines, result: AuditResult) -> None:
    sections = [
        ("Inputs that could not be read", [f"{e.path}: {e.reason}" for e in result.errors], ""),
        ("Expired waivers (no longer applied)", result.expired_waivers, "magenta"),
        ("Unused waivers (matched no finding)", result.unused_waivers, "dim"),
        (
            "Fixed since the baseline (remove from the baseline file)",
            result.baseline_fixed,
            "green",
        ),
    ]
    for title, items, style in sections:
        if items:
            out.blank()
            out.add(title, "bold")
            for item in items:
                out.add(f"  {item}", style, indent="    ")


def _summary(out: _Lines, result: AuditResult) -> None:
    fails = [f for f in result.findings if f.counts]
    by_sev = {s: sum(1 for f in fails if f.severity is s) for s in Severity}
    parts = ", ".join(f"{n} {s.value}" for s, n in reversed(by_sev.items()) if n)
    unknown = sum(1 for f in result.findings if f.status is Status.UNKNOWN)
    waived = sum(1 for f in result.findings if f.waiver is not None)
    baselined = sum(1 for f in result.findings if f.baselined)
    out.blank()
    out.add(
        f"{len(result.inputs)} inputs, {len(fails)} failing findings"
        + (f" ({parts})" if parts else "")
        + f", {unknown} unknown, {waived} waived, {len(result.errors)} input errors"
        + (f", {baselined} baselined" if baselined else "")
        + (f", {result.skipped} files skipped (not configuration)" if result.skipped else "")
    )


# ---- lines: wrapped to the width, styled with ANSI codes when colour is on ---------------------

_DETAIL = " " * 11  # where evidence, fix and waiver lines start: under the finding's status
_SGR = {
    "bold": "1",
    "bold red": "1;31",
    "bold underline": "1;4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
    "dim": "2",
}
_WORD = re.compile(r"\S+")
_LAID_OUT = 4096  # texts whose lines are kept


def _clean(text: str) -> str:
    return escape_controls(text.replace("\t", " "))


class _Lines:
    """The report's text after the checklist. Rich renders the checklist table; the findings
    (tens of thousands of lines on a large deployment: see benchmarks/phases.py) are laid out
    here, a plain string per line, instead of going through Rich's console line by line."""

    def __init__(self, width: int, color: bool) -> None:
        self.width, self.color = width, color
        self.lines: list[str] = []
        # The lines of a one-style text: a finding's evidence, fix and waiver recur in each
        # finding of its verdict, and a rule's remediation in each of its findings.
        self._laid_out: dict[tuple[str, str, str], list[str]] = {}

    def blank(self) -> None:
        self.lines.append("")

    def add(self, text: str, style: str = "", indent: str = "") -> None:
        key = (text, style, indent)
        lines = self._laid_out.get(key)
        if lines is None:
            if len(self._laid_out) >= _LAID_OUT:
                self._laid_out.clear()
            lines = self._laid_out[key] = self._lay_out([(text, style)], indent)
        self.lines += lines

    def add_parts(self, parts: list[tuple[str, str]], indent: str = "") -> None:
        """One logical line made of styled parts, wrapped at word boundaries; continuation
        lines start with `indent`."""
        self.lines += self._lay_out(parts, indent)

    def _lay_out(self, parts: list[tuple[str, str]], indent: str) -> list[str]:
        text, spans, at = "", [], 0
        for piece, style in parts:
            piece = _clean(piece)
            text += piece
            if style:
                spans.append((at, at + len(piece), style))
            at += len(piece)
        return [
            (indent if number else "") + self._paint(text, start, end, spans)
            for number, (start, end) in enumerate(_wrap(text, self.width, len(indent)))
        ]

    def _paint(self, text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
        if not self.color or not spans:
            return text[start:end]
        out, at = [], start
        for s_start, s_end, style in spans:
            lo, hi = max(s_start, start), min(s_end, end)
            if lo >= hi:
                continue
            out.append(text[at:lo])
            out.append(f"\x1b[{_SGR[style]}m{text[lo:hi]}\x1b[0m")
            at = hi
        out.append(text[at:end])
        return "".join(out)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _wrap(text: str, width: int, indent: int) -> list[tuple[int, int]]:
    """Greedy word wrap as (start, end) offsets into `text`: the first line is `width` wide
    (leading spaces included), the others `width - indent` (the caller adds their indent). A
    word longer than a line is cut."""
    if len(text) <= width:
        return [(0, len(text))]
    lines: list[tuple[int, int]] = []
    start = end = 0  # the current line is text[start:end]
    room = width
    for word in _WORD.finditer(text):
        w_start, w_end = word.span()
        if w_end - start <= room:
            end = w_end
            continue
        if end > start:  # close the current line; the next one starts at this word
            lines.append((start, end))
            start, room = w_start, max(width - indent, 1)
        while w_end - start > room:  # a word longer than a whole line
            lines.append((start, start + room))
            start, room = start + room, max(width - indent, 1)
        end = w_end
    lines.append((start, end))
    return lines
