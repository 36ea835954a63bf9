"""What the workers judged, taken by the engine (`audit.judge`): each per-input rule's findings,
made in the main process as the chunks arrive, handed over as they are where nothing is to be
judged again."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import count, islice
from operator import lt
from typing import Any

from triplock.audit import Found, Taken
from triplock.inventory import Inventory
from triplock.model import (
    Finding,
    InputError,
    Location,
    Verdict,
)
from triplock.rules.registry import Rule
from triplock.workers.sent import Chunk, Judged, SentVerdict, Where


class Prejudged:
    """What the workers judged: each per-input rule's findings, by fact."""

    def __init__(self, rules: list[Rule[Any]], shared: Inventory, apart: bool) -> None:
        self.metas = {r.meta.id: r.meta for r in rules}  # the rules the workers judged
        self.shared = shared  # the run's inventory: its shared values, what link() changed
        # The ids of the facts read in this process (a chunk a dead worker left): no worker
        # judged them. Every fact added after the chunks were merged is in `shared.late`, so
        # that a fact link() adds is judged here even where it took a freed fact's id.
        self.local: set[int] = set()
        # By rule: the fact ids and, in step, what was found on each; most facts get one
        # finding from a rule, kept as it is (a tuple each would cost as much again as the
        # findings: 2 million of them on a large tree). Two flat sequences and not a dict by
        # fact: a dict entry a finding cost ~100 MiB at 100,000 inputs; `of` builds one rule's
        # dict at a time.
        self.found: dict[str, tuple[array[int], list[_Kept]]] = defaultdict(_no_findings)
        self.grouped: set[str] = set()  # rules with a fact of several findings, or an error
        # Rules whose findings may repeat an identity: all may repeat where a file was walked
        # twice (`apart`: the paths given do not overlap).
        self.repeating: set[str] = set() if apart else set(self.metas)
        self.deferred: dict[str, set[int]] = defaultdict(set)
        self._verdicts: dict[SentVerdict, Verdict] = {}  # as sent
        self._facts: list[object] = []  # the facts of the last rule taken as sent
        self._position: dict[int, int] = {}  # and their places, by id

    def receive(self, chunk: Chunk) -> None:
        """A worker's chunk: its findings made in C where each fact got one (most do)."""
        verdicts = [self._verdict(v) for v in chunk.verdicts]
        places = list(map(_location, chunk.places))
        for judged in chunk.judged:
            ids, kept = self.found[judged.rule_id]
            ids.extend(map(id, map(chunk.facts.__getitem__, judged.facts)))
            findings = map(
                Finding.at,
                map(places.__getitem__, judged.places),
                map(verdicts.__getitem__, judged.verdicts),
            )
            if not judged.distinct:
                self.repeating.add(judged.rule_id)
            if judged.errors or len(judged.verdicts) != len(judged.facts):
                self.grouped.add(judged.rule_id)
                kept += _grouped(judged, findings)
            else:  # one finding a fact
                kept += findings
        for rule_id, fact in chunk.deferred:
            self.deferred[rule_id].add(id(fact))

    def _verdict(self, sent: SentVerdict) -> Verdict:
        """The run's Verdict equal to one a worker sent (its rule the main process's). Looked
        up as sent: most chunks send the verdicts of earlier ones, and a Verdict's hash reads
        its rule's every field."""
        verdict = self._verdicts.get(sent)
        if verdict is None:
            rule_id, status, message, severity, evidence, fix, here, cause = sent
            meta = self.metas[rule_id]
            verdict = self.shared.one(
                Verdict(meta, status, message, severity, evidence, fix, here, None, False, cause)
            )
            self._verdicts[sent] = verdict
        return verdict

    def of(self, rule: Rule[Any], facts: list[object]) -> Taken | Iterable[_Ready] | None:
        """The workers' findings of `rule` on `facts`: where no fact of the rule is to be
        judged here, taken as sent; otherwise in the facts' order, (fact, what was found on
        it), or (fact, None) for a fact it must be judged on here (linking added or changed
        it, or the rule read other inputs). None for a rule the workers did not judge."""
        rule_id = rule.meta.id
        if rule_id not in self.metas:
            return None
        ids, kept = self.found.pop(rule_id, _no_findings())  # judged once: freed after
        deferred = self.deferred.get(rule_id, set())
        late = self.shared.late or set()
        here = self.local | self.shared.relinked | deferred | late
        if facts and self._in_order(ids, facts, here):
            distinct = rule_id not in self.repeating
            if rule_id not in self.grouped:  # a finding each
                return Taken(kept, [], distinct)  # type: ignore[arg-type]
            return _taken(kept, distinct)
        found = dict(zip(ids, kept, strict=True))
        del ids, kept
        ready = [None if key in here else _found(found.get(key, ())) for key in map(id, facts)]
        return zip(facts, ready, strict=True)

    def _in_order(self, ids: array[int], facts: list[object], here: set[int]) -> bool:
        """Whether the facts judged are facts of `facts`, each once and in their order, and
        none of `facts` is to be judged here."""
        position = self._positions(facts)
        if any(map(position.__contains__, here)):
            return False
        try:
            places = list(map(position.__getitem__, ids))
        except KeyError:  # linking removed it
            return False
        return all(map(lt, places, islice(places, 1, None)))

    def _positions(self, facts: list[object]) -> dict[int, int]:
        """Each fact's place in `facts`, by id; kept for the next rule of the same facts (rules
        of one fact type come together: one map at a time)."""
        if self._facts is not facts or len(self._position) != len(facts):
            self._facts = facts
            self._position = dict(zip(map(id, facts), count()))
        return self._position


_Kept = Finding | tuple[Finding, ...] | InputError
_Ready = tuple[object, Found | None]  # (fact, its findings), (fact, None): judge it here


# A sent place made a Location without its Python constructor (the tuple is Location's fields).
_location: Callable[[Where], Location] = partial(tuple.__new__, Location)


def _grouped(judged: Judged, findings: Iterator[Finding]) -> Iterator[_Kept]:
    """What was found on each fact, in order: its one finding, its findings, or its error."""
    errors = iter(judged.errors)
    for n in judged.counts:
        if n == 0:
            yield next(errors)
        elif n == 1:
            yield next(findings)
        else:
            yield tuple(islice(findings, n))


def _taken(kept: list[_Kept], distinct: bool) -> Taken:
    findings: list[Finding] = []
    errors: list[InputError] = []
    for one in kept:
        if isinstance(one, Finding):
            findings.append(one)
        elif isinstance(one, InputError):
            errors.append(one)
        else:
            findings += one
    return Taken(findings, errors, distinct)


def _no_findings() -> tuple[array[int], list[_Kept]]:
    return array("Q"), []


def _found(kept: _Kept) -> Found:
    return (kept,) if isinstance(kept, Finding) else kept
