"""--format table: the checklist by control, then what failed or could not be judged, by file."""

from __future__ import annotations

import io
import os
from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from triplock.controls import CONTROLS, STAGE_TITLES
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
        soft_wrap=False,
    )
    _checklist(console, result)
    _findings(console, result)
    _errors(console, result)
    _summary(console, result)
    return out.getvalue()


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
    table.add_column("findings / what would assess it", overflow="fold")
    previous_stage = ""
    for c in result.checklist:
        control = CONTROLS[c.control]
        stage = STAGE_TITLES[control.stage] if control.stage != previous_stage else ""
        previous_stage = control.stage
        counts = [
            (c.fail, "fail"),
            (c.passed, "pass"),
            (c.unknown, "unknown"),
            (c.waived, "waived"),
        ]
        detail = ", ".join(f"{n} {label}" for n, label in counts if n)
        table.add_row(
            stage,
            c.control,
            Text(c.status, style=_STATUS_STYLE[c.status]),
            Text(detail or f"needs {control.assessed_by}", style="" if detail else "dim"),
        )
    console.print(table)


def _findings(console: Console, result: AuditResult) -> None:
    shown = [f for f in result.findings if f.status is not Status.PASS]
    if not shown:
        console.print("\nNo failing or unknown findings.")
        return
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in shown:
        by_file[f.location.path or f.location.url or "<deployment>"].append(f)
    for path in sorted(by_file):
        console.print()
        console.print(Text(path, style="bold underline"))
        for f in sorted(by_file[path], key=lambda f: (f.location.line or 0, f.rule.id)):
            _finding(console, f)


def _finding(console: Console, f: Finding) -> None:
    line = f"{f.location.line:>5}" if f.location.line else "    -"
    head = Text(f"  {line}  ")
    status = f.status.value.upper() if f.waiver is None else "WAIVED"
    head.append(f"{status:<7} ", style=_STATUS_STYLE.get(f.status.value, ""))
    head.append(f"{f.severity.value:<8} ", style=_SEVERITY_STYLE[f.severity])
    head.append(f"{f.rule.id} ", style="bold")
    head.append(f.message)
    if f.location.object:
        head.append(f"  [{f.location.object}]", style="dim")
    console.print(head)
    for e in f.evidence:
        console.print(Text(f"           evidence: {e.describe()}", style="dim"))
    fix = f.fix.describe() if f.fix else f.rule.remediation
    console.print(Text(f"           fix: {fix}", style="cyan"))
    if f.waiver:
        console.print(Text(f"           waived: {f.waiver.reason}", style="magenta"))


def _errors(console: Console, result: AuditResult) -> None:
    if result.errors:
        console.print()
        console.print(Text("Inputs that could not be read", style="bold"))
        for e in result.errors:
            console.print(f"  {e.path}: {e.reason}")
    if result.expired_waivers:
        console.print()
        console.print(Text("Expired waivers (no longer applied)", style="bold"))
        for w in result.expired_waivers:
            console.print(Text(f"  {w}", style="magenta"))
    if result.unused_waivers:
        console.print()
        console.print(Text("Unused waivers (matched no finding)", style="bold"))
        for w in result.unused_waivers:
            console.print(Text(f"  {w}", style="dim"))


def _summary(console: Console, result: AuditResult) -> None:
    fails = [f for f in result.findings if f.counts]
    by_sev = {s: sum(1 for f in fails if f.severity is s) for s in Severity}
    parts = ", ".join(f"{n} {s.value}" for s, n in reversed(by_sev.items()) if n)
    unknown = sum(1 for f in result.findings if f.status is Status.UNKNOWN)
    waived = sum(1 for f in result.findings if f.waiver is not None)
    console.print()
    console.print(
        f"{len(result.inputs)} inputs, {len(fails)} failing findings"
        + (f" ({parts})" if parts else "")
        + f", {unknown} unknown, {waived} waived, {len(result.errors)} input errors"
    )
