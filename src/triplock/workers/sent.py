"""What a worker sends back for a chunk of files, and how it travels: the facts (slotted
dataclasses pickled as tuples of their values), and what the per-input rules concluded, in
columns of numbers into the chunk's distinct verdicts and places."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from functools import partial
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter, itemgetter
from typing import Any

from triplock.audit import Judgement
from triplock.facts.shell import Arg
from triplock.model import (
    IDENTITY_FIELDS,
    Evidence,
    Fix,
    InputError,
    InputRecord,
    RuleMeta,
    Severity,
    Status,
    Verdict,
)
from triplock.rules.registry import Outcome
from triplock.sources.discovery import Walked

# Where the dataclasses a worker sends back are defined.
_SENT_MODULES = (
    "triplock.facts",
    "triplock.model",
    "triplock.inventory",
    "triplock.rules.registry",
)


# A verdict as sent: Verdict's fields with the rule's id for the rule (no waiver, not
# baselined: those are the main process's post steps), named in SENT_FIELDS.
SentVerdict = tuple[str, Status, str, Severity, tuple[Evidence, ...], Fix | None, bool, str | None]
SENT_FIELDS = ("rule", "status", "message", "severity", "evidence", "fix", "fix_here", "cause")
# What a verdict adds to a finding's identity, read from a sent one.
SENT_IDENTITY: Callable[[SentVerdict], object] = itemgetter(
    *map(SENT_FIELDS.index, IDENTITY_FIELDS)
)
# A location as sent: Location's fields as a plain tuple (a Location would be rebuilt through
# its Python constructor; a tuple is made a Location in C on arrival).
Where = tuple[str | None, int | None, str | None, str | None]


@dataclass
class Judged:
    """One rule's outcomes on a chunk's facts, in columns: numbers in arrays, which pickle as
    bytes, where a tuple an outcome cost most of the hand-off (~800,000 at 40,000 inputs)."""

    rule_id: str
    facts: array[int] = field(default_factory=partial(array, "I"))  # in `Chunk.facts`
    counts: array[int] = field(default_factory=partial(array, "I"))  # outcomes of each; 0: error
    verdicts: array[int] = field(default_factory=partial(array, "I"))  # each outcome's
    places: array[int] = field(default_factory=partial(array, "I"))  # each outcome's
    errors: list[InputError] = field(default_factory=list)  # the facts counted 0, in order
    # No two outcomes share an identity (status, location, message), and each is located in a
    # file of the chunk: no other chunk's can share one either, so nothing is to deduplicate.
    distinct: bool = False

    def add(self, position: int, meta: RuleMeta, judged: Judgement, numbers: Numbers) -> None:
        """What judging the fact at `position` gave: nothing, outcomes or an error."""
        if isinstance(judged, InputError):
            self.facts.append(position)
            self.counts.append(0)
            self.errors.append(judged)
        elif judged:
            self.facts.append(position)
            self.counts.append(len(judged))
            for outcome in judged:
                verdict, place = numbers.of(meta, outcome)
                self.verdicts.append(verdict)
                self.places.append(place)


class Numbers:
    """A chunk's distinct verdicts and places, numbered as they come."""

    def __init__(self) -> None:
        self.verdicts: dict[SentVerdict, int] = {}
        self.places: dict[Where, int] = {}

    def of(self, meta: RuleMeta, outcome: Outcome) -> tuple[int, int]:
        verdict = sent_verdict(meta, outcome)
        return (
            self.verdicts.setdefault(verdict, len(self.verdicts)),
            self.places.setdefault(outcome.location, len(self.places)),
        )

    def mark_distinct(self, judged: list[Judged], files: list[Walked]) -> None:
        """Set `distinct` on each rule's outcomes that have it."""
        paths = {found.path for found in files}
        local = [where[0] in paths for where in self.places]
        # The first verdict with what verdicts add to an identity (model.IDENTITY_FIELDS)
        # stands for all that share it.
        first: dict[object, int] = {}
        same = [first.setdefault(SENT_IDENTITY(v), n) for n, v in enumerate(self.verdicts)]
        for rule in judged:
            identities = set(zip(rule.places, map(same.__getitem__, rule.verdicts), strict=True))
            rule.distinct = len(identities) == len(rule.places) and all(
                map(local.__getitem__, rule.places)
            )


@dataclass
class Chunk:
    """What one chunk of files gave: facts in the order they were added (by type), input
    records, errors by the index of their file in the chunk, and what the worker judged: by
    rule, the verdicts and places of its outcomes as indexes into `verdicts` and `places`
    (distinct ones, each sent once a chunk)."""

    facts: list[object]
    inputs: list[InputRecord]
    errors: list[tuple[int, InputError]]
    judged: list[Judged] = field(default_factory=list)
    verdicts: list[SentVerdict] = field(default_factory=list)
    places: list[Where] = field(default_factory=list)
    deferred: list[tuple[str, object]] = field(default_factory=list)  # rules that read more
    from_worker: bool = False


def _slotted_dataclasses() -> Iterator[type]:
    """The facts' and findings' dataclasses with slots, of which a chunk holds thousands.
    Pickled their own way, each object's state is read and written through `fields()`; a
    tuple of values rebuilt by the constructor costs half as much (see `_reducer`)."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(_SENT_MODULES):
            continue
        for kind in vars(module).values():
            if (
                isinstance(kind, type)
                and kind.__module__ == name
                and is_dataclass(kind)
                and set(getattr(kind, "__slots__", ())) == {f.name for f in fields(kind)}
            ):
                yield kind


def register_reducers() -> None:
    """The facts' and findings' dataclasses sent as `_reducer` makes them, in this process."""
    for kind in _slotted_dataclasses():
        ForkingPickler.register(kind, _reducer(kind))


def _reducer(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    """A tuple of the values, rebuilt by the constructor when it takes them all as they are,
    else slot by slot (`Evidence` has no constructor; a `__post_init__` would run twice)."""
    names = tuple(f.name for f in fields(kind))
    plain = all(f.init for f in fields(kind)) and not hasattr(kind, "__post_init__")
    values = _values(names)
    if vars(kind).get("__init__") is None or not plain:
        return lambda obj: (_rebuilt, (kind, names, values(obj)))
    if kind in _SHARED_VALUES:
        return lambda obj: (_arrived, (kind, values(obj)))
    return lambda obj: (kind, values(obj))


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """An object's values of these fields as a tuple, read in C (thousands of facts a chunk)."""
    if len(names) == 1:  # attrgetter of one name gives the value itself
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    return attrgetter(*names) if names else lambda obj: ()


# Values the sources share through `Inventory.one` (equal ones are one object): a chunk's
# arrive as one object a chunk, and are shared again here, across chunks, as they arrive.
_SHARED_VALUES: frozenset[type] = frozenset({Arg})
ARRIVED: dict[object, object] = {}  # for the run: emptied once the workers are stopped


def _arrived(kind: type, values: tuple[object, ...]) -> object:
    value = kind(*values)
    return ARRIVED.setdefault(value, value)


def _rebuilt(kind: type, names: tuple[str, ...], values: tuple[object, ...]) -> object:
    obj: object = object.__new__(kind)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(obj, name, value)
    return obj


def sent_verdict(meta: RuleMeta, outcome: Outcome) -> SentVerdict:
    """An outcome's verdict as sent: made into the run's Verdict once a chunk in the main
    process."""
    v = Verdict.at(
        outcome.location.path,
        meta,
        outcome.status,
        outcome.message,
        outcome.severity or meta.severity,
        outcome.evidence,
        outcome.fix,
        cause=outcome.cause,
    )
    return (meta.id, *_VERDICT_FIELDS(v))


# The fields of SENT_FIELDS but the rule (sent as its id), read off the run's Verdict.
_VERDICT_FIELDS = attrgetter(*SENT_FIELDS[1:])
