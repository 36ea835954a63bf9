"""Everything known about a deployment: typed facts, each value with its provenance.

Sources add facts; rules read them. Fact classes live in triplock.facts, one module per
component; the Inventory stores them by type so that a new component needs no change here.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from triplock.model import Evidence, InputError, InputRecord, InputWithWaivers, Location

T = TypeVar("T")

_VARIABLE = re.compile(r"\$[A-Za-z_]")


def is_templated(value: str) -> bool:
    """True when a value holds a shell/Hadoop variable, command substitution or Helm template.

    `${...}` and `{{...}}` are found with str.find: as regex alternatives, every unclosed `${`
    or `{{` rescanned the rest of the value (quadratic)."""
    if "`" in value or "$(" in value or _VARIABLE.search(value):
        return True
    brace = value.find("${")
    if brace >= 0 and value.find("}", brace + 2) >= 0:
        return True
    return _has_helm_action(value)


def _has_helm_action(value: str) -> bool:
    """`{{` closed by `}}` on the same line; the first `{{` of a line decides for the line."""
    start = value.find("{{")
    while start >= 0:
        end = value.find("\n", start)
        end = len(value) if end < 0 else end
        if value.find("}}", start + 2, end) >= 0:
            return True
        start = value.find("{{", end)
    return False


# Setting.flags: what a setting's value is, and whether `where` is a URL rather than a path.
_TEMPLATED, _EXPOSED, _AT_URL = 1, 2, 4


@dataclass(frozen=True, slots=True)
class Setting:
    """One key=value as written somewhere, with where it was written.

    `templated`: the value holds a variable or template, so its real value is unknown.
    `exposed`: the value is visible beyond the file (a command line, a pod spec).

    An input keeps a setting per line, so a setting is six references: where it was written
    is kept as the parts of a Location (`where` is its path, or its URL for an observation
    of a live service; no setting has both), the two booleans as bits of `flags`. `Setting.at`
    builds one from a Location, `location` gives the Location back.
    """

    key: str
    value: str
    where: str | None
    line: int | None
    object: str | None
    flags: int

    @classmethod
    def at(
        cls,
        key: str,
        value: str,
        location: Location,
        templated: bool = False,
        exposed: bool = False,
    ) -> Setting:
        if location.path is not None and location.url is not None:
            raise ValueError(f"a setting is written at a path or a URL, not both: {location}")
        at_url = location.url is not None
        flags = templated * _TEMPLATED | exposed * _EXPOSED | at_url * _AT_URL
        where = location.url if at_url else location.path
        return cls(key, value, where, location.line, location.object, flags)

    @property
    def location(self) -> Location:
        if self.flags & _AT_URL:
            return Location(None, self.line, self.where, self.object)
        return Location(self.where, self.line, None, self.object)

    @property
    def path(self) -> str | None:
        return None if self.flags & _AT_URL else self.where

    @property
    def templated(self) -> bool:
        return bool(self.flags & _TEMPLATED)

    @property
    def exposed(self) -> bool:
        return bool(self.flags & _EXPOSED)

    def evidence(self) -> Evidence:
        return Evidence.of(self.key, self.value)

    @classmethod
    def literal_or_templated(
        cls, key: str, value: str, location: Location, exposed: bool = False
    ) -> Setting:
        return cls.at(shared(key), shared(value), location, is_templated(value), exposed)


def shared(text: str) -> str:
    """One object for equal strings kept in facts: the same keys, values and words recur in
    thousands of inputs, and each input would otherwise keep its own copies."""
    return sys.intern(text)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What a run was asked beyond its inputs, for the sources that need it in link() and for
    rules (Context.options)."""

    paths: tuple[str, ...] = ()  # the audited paths: the roots keystore references may name
    keystore_password_files: tuple[str, ...] = ()  # --keystore-password-file, in order
    now: dt.datetime | None = None  # pins the clock of date checks; None: the real clock
    helm: str | None = None  # --helm: the helm binary that renders charts; None: no rendering


class Inventory:
    def __init__(self) -> None:
        self._facts: dict[type, list[object]] = defaultdict(list)
        self.inputs: list[InputRecord] = []
        self.errors: list[InputError] = []
        self.skipped = 0  # files a tree walk passed over as plainly not configuration
        self.options = RunOptions()
        self._shared: dict[object, object] = {}
        self.relinked: set[int] = set()  # ids of the facts link() changed in place
        self.late: set[int] | None = None  # ids of the facts added since track_late()

    def add(self, fact: object) -> None:
        self._facts[type(fact)].append(fact)
        if self.late is not None:
            self.late.add(id(fact))

    def track_late(self) -> None:
        """From now on, record the facts added (by link(), by later steps): what worker
        processes judged before (triplock.workers) does not cover them."""
        self.late = set()

    def changed(self, fact: object) -> None:
        """A source's link() changed this fact in place (assigned a field, edited a container):
        what a worker process judged of it before linking no longer holds (triplock.workers). Every
        in-place change by link() is declared so; adding and removing facts need not be."""
        self.relinked.add(id(fact))

    def one(self, value: T) -> T:
        """The first value equal to `value` this run kept: small inputs repeat the same words,
        messages and evidence, and one shared object costs a fraction of thousands of equal
        ones. Only for immutable values."""
        return self._shared.setdefault(value, value)  # type: ignore[return-value]

    def of(self, kind: type[T]) -> list[T]:
        return self._facts.get(kind, [])  # type: ignore[return-value]

    def remove(self, fact: object) -> None:
        self.remove_all([fact])

    def remove_all(self, facts: Iterable[object]) -> None:
        """Remove these very facts (by identity), one pass per fact type: list.remove per fact
        compared dataclasses field by field, quadratic in the facts of a type."""
        gone: dict[type, set[int]] = defaultdict(set)
        for fact in facts:
            gone[type(fact)].add(id(fact))
        for kind, ids in gone.items():
            kept = self._facts[kind]
            kept[:] = [f for f in kept if id(f) not in ids]  # in place: of() hands out the list

    def kinds(self) -> list[type]:
        return [k for k, v in self._facts.items() if v]

    def record_input(self, path: str, kind: str, waiver_text: str | None = None) -> None:
        self.inputs.append(
            InputRecord(path, kind)
            if waiver_text is None
            else InputWithWaivers(path, kind, waiver_text)
        )

    def record_error(self, path: str, reason: str) -> None:
        self.errors.append(InputError(path, reason))
