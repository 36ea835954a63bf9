"""--format summary (`triplock audit --summary`): counts by control and by rule, no finding text.

For a first look at a large tree: which controls fail and which rules account for the failures.
"""

from __future__ import annotations

from collections import Counter

from triplock.model import AuditResult, Finding, Status


def render(result: AuditResult) -> str:
    lines = ["control                   status        fail  unknown  waived  pass"]
    for c in result.checklist:
        if c.status == "not assessed":
            continue
        lines.append(
            f"{c.control:<25} {c.status:<13} {c.fail:>4} {c.unknown:>8} {c.waived:>7} {c.passed:>5}"
        )
    lines += ["", "rule        severity  fail  unknown  waived  title"]
    for rule_id, counts in _by_rule(result.findings):
        meta = counts.meta
        lines.append(
            f"{rule_id:<11} {meta.severity.value:<9} {counts.fail:>4} {counts.unknown:>8} "
            f"{counts.waived:>7}  {meta.title}"
        )
    failing = sum(1 for f in result.findings if f.counts)
    lines += [
        "",
        f"{len(result.inputs)} inputs, {failing} failing findings, "
        f"{len(result.errors)} input errors",
    ]
    return "\n".join(lines) + "\n"


class _Counts:
    def __init__(self, first: Finding) -> None:
        self.meta = first.rule
        self.n: Counter[str] = Counter()

    @property
    def fail(self) -> int:
        return self.n["fail"]

    @property
    def unknown(self) -> int:
        return self.n["unknown"]

    @property
    def waived(self) -> int:
        return self.n["waived"]


def _by_rule(findings: list[Finding]) -> list[tuple[str, _Counts]]:
    """Rules with a failing, unknown or waived finding: most failures first."""
    counts: dict[str, _Counts] = {}
    for f in findings:
        if f.status is Status.PASS:
            continue
        kind = "waived" if f.waiver is not None else f.status.value
        counts.setdefault(f.rule.id, _Counts(f)).n[kind] += 1
    return sorted(
        counts.items(), key=lambda item: (-item[1].fail, -item[1].meta.severity.rank, item[0])
    )
