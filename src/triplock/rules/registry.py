"""The typed rule registry: a decorator that carries a rule's metadata, dispatch by fact type.

A rule is a pure function `(fact, ctx) -> Iterable[Outcome]`. It never reads files or sockets.
Rule modules in this package are imported on first use, so adding a module adds its rules.
The registry is generic over the fact type: `@rule(target=SparkApp, ...)` makes mypy check that
the function takes a SparkApp (and that `applies` does).
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from triplock.controls import CONTROLS
from triplock.inventory import Inventory, RunOptions
from triplock.model import Evidence, Fix, Location, RuleMeta, Severity, Status

F = TypeVar("F")


class Outcome(NamedTuple):
    """What a rule concluded about one fact; the engine turns it into a Finding. A tuple:
    rules build one per fact they judge, and the workers send them as they are."""

    status: Status
    message: str
    location: Location
    evidence: tuple[Evidence, ...] = ()
    fix: Fix | None = None
    severity: Severity | None = None  # overrides the rule's severity for this outcome
    # The one defect several findings stem from (a binding that grants many permissions): the
    # table shows them together and a waiver of one covers them all.
    cause: str | None = None


class Shown(Protocol):
    """A fact that can show itself as evidence (a Setting, a Hadoop Value)."""

    def evidence(self) -> Evidence: ...


def evidence_of(*facts: Shown | None) -> tuple[Evidence, ...]:
    """The evidence of these facts, the absent ones left out: the one evidence helper."""
    return tuple(fact.evidence() for fact in facts if fact is not None)


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
    """What rules may know beyond their fact: the run's options and, for cross-layer rules, the
    whole inventory."""

    inventory: Inventory
    spark_version: str | None = None
    options: RunOptions = field(default_factory=RunOptions)


class Scope(enum.Enum):
    """What a rule reads, which decides where it runs when an audit uses worker processes."""

    # One fact of one input: judged by the worker process that read the input.
    PER_INPUT = "per-input"
    # The whole inventory (target Inventory, or `ctx.inventory` read): judged once every input
    # is read and linked, in the main process.
    CROSS_INPUT = "cross-input"


@dataclass(frozen=True, slots=True)
class Rule(Generic[F]):
    meta: RuleMeta
    target: type[F]
    check: Callable[[F, Context], Iterable[Outcome]]
    # Which facts of the target type the rule speaks to at all; the others get no finding.
    applies: Callable[[F], bool] | None = None
    scope: Scope = Scope.PER_INPUT


_RULES: dict[str, Rule[Any]] = {}
_LOADED = False


def rule(
    *,
    id: str,
    slug: str,
    title: str,
    control: str,
    severity: Severity,
    target: type[F],
    rationale: str,
    remediation: str,
    references: tuple[str, ...] = (),
    applies: Callable[[F], bool] | None = None,
    reads_inventory: bool = False,
) -> Callable[
    [Callable[[F, Context], Iterable[Outcome]]], Callable[[F, Context], Iterable[Outcome]]
]:
    """Register a rule. `target` is the fact type it judges (Inventory for cross-layer rules);
    `applies`, if given, narrows it to the facts the rule is about (a history server's
    configuration is not an application's). `reads_inventory`: the rule reads `ctx.inventory`
    (facts of other inputs), so it is judged on the whole inventory (Scope.CROSS_INPUT), as every
    rule whose target is Inventory is."""
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
        cross = reads_inventory or target is Inventory
        scope = Scope.CROSS_INPUT if cross else Scope.PER_INPUT
        _RULES[id] = Rule(meta, target, func, applies, scope)
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


def all_rules() -> list[Rule[Any]]:
    load_all()
    return sorted(_RULES.values(), key=lambda r: _sort_key(r.meta.id))


def rules_in(modules: Iterable[str]) -> list[Rule[Any]]:
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
