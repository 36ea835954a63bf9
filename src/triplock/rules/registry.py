"""The typed rule registry: a decorator that carries a rule's metadata, dispatch by fact type.

A rule is a pure function `(fact, ctx) -> Iterable[Outcome]`. It never reads files or sockets.
Rule modules in this package are imported on first use, so adding a module adds its rules.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from triplock.controls import CONTROLS
from triplock.inventory import Inventory
from triplock.model import Evidence, Fix, Location, RuleMeta, Severity, Status

F = TypeVar("F")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a rule concluded about one fact; the engine turns it into a Finding."""

    status: Status
    message: str
    location: Location
    evidence: tuple[Evidence, ...] = ()
    fix: Fix | None = None
    severity: Severity | None = None  # overrides the rule's severity for this outcome
    # The one defect several findings stem from (a binding that grants many permissions): the
    # table shows them together and a waiver of one covers them all.
    cause: str | None = None


def fail(
    message: str,
    location: Location,
    *evidence: Evidence,
    fix: Fix | None = None,
    severity: Severity | None = None,
    cause: str | None = None,
) -> Outcome:
    return Outcome(Status.FAIL, message, location, evidence, fix, severity, cause)


def passed(message: str, location: Location, *evidence: Evidence) -> Outcome:
    return Outcome(Status.PASS, message, location, evidence)


def unknown(message: str, location: Location, *evidence: Evidence) -> Outcome:
    return Outcome(Status.UNKNOWN, message, location, evidence)


@dataclass
class Context:
    """What rules may know beyond their fact: user options and, for cross-layer rules, the
    whole inventory."""

    inventory: Inventory
    spark_version: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


RuleFunc = Callable[[Any, Context], Iterable[Outcome]]


@dataclass(frozen=True, slots=True)
class Rule:
    meta: RuleMeta
    target: type
    check: RuleFunc
    # Which facts of the target type the rule speaks to at all; the others get no finding.
    applies: Callable[[Any], bool] | None = None


_RULES: dict[str, Rule] = {}
_LOADED = False


def rule(
    *,
    id: str,
    slug: str,
    title: str,
    control: str,
    severity: Severity,
    target: type,
    rationale: str,
    remediation: str,
    references: tuple[str, ...] = (),
    applies: Callable[[Any], bool] | None = None,
) -> Callable[
    [Callable[[F, Context], Iterable[Outcome]]], Callable[[F, Context], Iterable[Outcome]]
]:
    """Register a rule. `target` is the fact type it judges (Inventory for cross-layer rules);
    `applies`, if given, narrows it to the facts the rule is about (a history server's
    configuration is not an application's)."""
    if control not in CONTROLS:
        raise ValueError(f"rule {id}: unknown control {control!r}")

    def register(
        func: Callable[[F, Context], Iterable[Outcome]],
    ) -> Callable[[F, Context], Iterable[Outcome]]:
        if id in _RULES:
            raise ValueError(f"duplicate rule id {id}")
        if any(r.meta.slug == slug for r in _RULES.values()):
            raise ValueError(f"duplicate rule slug {slug}")
        meta = RuleMeta(
            id=id,
            slug=slug,
            title=title,
            control=control,
            severity=severity,
            rationale=rationale,
            remediation=remediation,
            references=references,
            target=target.__name__,
        )
        _RULES[id] = Rule(meta, target, func, applies)
        return func

    return register


def load_all() -> None:
    """Import every rule module of this package (once)."""
    global _LOADED
    if _LOADED:
        return
    import triplock.rules as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_") and info.name != "registry":
            importlib.import_module(f"triplock.rules.{info.name}")
    _LOADED = True


def all_rules() -> list[Rule]:
    load_all()
    return sorted(_RULES.values(), key=lambda r: _sort_key(r.meta.id))


def rules_in(modules: Iterable[str]) -> list[Rule]:
    """The rules of the named modules of this package only, importing just those (a command
    that judges one kind of fact need not load every rule)."""
    names = {f"triplock.rules.{m}" for m in modules}
    for name in sorted(names):
        importlib.import_module(name)
    chosen = (r for r in _RULES.values() if r.check.__module__ in names)
    return sorted(chosen, key=lambda r: _sort_key(r.meta.id))


def _sort_key(rule_id: str) -> tuple[str, int]:
    prefix, _, number = rule_id.rpartition("-")
    return (prefix, int(number) if number.isdigit() else 0)
