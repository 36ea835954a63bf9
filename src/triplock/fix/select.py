"""--only/--exclude for fix: rule ids, slugs, control ids, or a severity (`high`: exactly;
`high+`: that or higher)."""

from __future__ import annotations

from dataclasses import dataclass

from triplock.model import SEVERITY_NAMES, Finding, Severity


class UnknownSelector(ValueError):
    pass


@dataclass(frozen=True)
class Selection:
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from triplock.controls import CONTROLS
        from triplock.rules.registry import all_rules

        names = {n for r in all_rules() for n in (r.meta.id, r.meta.slug)} | set(CONTROLS)
        names |= {*SEVERITY_NAMES, *(s + "+" for s in SEVERITY_NAMES)}
        unknown = [n for n in (*self.only, *self.exclude) if n not in names]
        if unknown:
            raise UnknownSelector(
                f"unknown rule, control or severity: {', '.join(unknown)} (see `triplock rules`)"
            )

    def wants(self, finding: Finding) -> bool:
        if self.only and not any(_matches(n, finding) for n in self.only):
            return False
        return not any(_matches(n, finding) for n in self.exclude)


def _matches(name: str, finding: Finding) -> bool:
    if name.endswith("+"):
        return finding.severity >= Severity(name[:-1])
    if name in SEVERITY_NAMES:
        return finding.severity is Severity(name)
    meta = finding.rule
    return name in (meta.id, meta.slug, meta.control)
