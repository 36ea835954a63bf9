"""The worker processes of `audit --jobs N`: inputs read and per-input rules judged in parallel.

The main process walks the paths (what cannot be walked is its error entry) and hands the files
out in chunks, in walk order. A worker reads each file of its chunk through the sources, as
discovery does, and judges the per-input rules (`Scope.PER_INPUT`) on the facts it read; it
sends back the facts, the input records, the errors and the outcomes (plain tuples, equal
values shared within the chunk). The main process merges the chunks in walk order, so that its
inventory is the one a single process builds, turns the outcomes into findings as they arrive
(while the workers still read), links the inputs, and judges (`audit.judge`): cross-input rules
on the whole inventory, per-input rules only where a worker's judgement does not hold — a fact
that linking added or changed (`Inventory.changed`), or a rule that read `ctx.inventory`
although it is not declared to.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields, is_dataclass
from functools import partial
from itertools import count, islice
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter, itemgetter, lt
from typing import TYPE_CHECKING, Any

from triplock.audit import Found, Judgement, Taken, judge_fact
from triplock.facts.shell import Arg
from triplock.inventory import Inventory, RunOptions
from triplock.model import (
    IDENTITY_FIELDS,
    Evidence,
    Finding,
    Fix,
    InputError,
    InputRecord,
    Location,
    RuleMeta,
    Severity,
    Status,
    Verdict,
)
from triplock.rules.registry import Context, Outcome, Rule, all_rules
from triplock.sources import all_sources
from triplock.sources.discovery import PROGRESS_EVERY, Walked, link_inputs, read_input, walk
from triplock.sources.interface import Source

if TYPE_CHECKING:
    from triplock.audit import AuditOptions

# Fewer files than this are read in the main process. Starting two workers cost ~35 ms of CPU
# (20 files: 0.047 s in one process, 0.083 s with workers), some 40 files' work; the margin is
# for a loaded machine, where a worker may wait for a core.
MIN_FILES = 200
CHUNK_FILES = 100  # files per task: small enough to share the work, large enough to batch
IN_FLIGHT = 4  # chunks a worker may have out (queued, read, or waiting to be merged)
# Where the dataclasses a worker sends back are defined.
_SENT_MODULES = (
    "triplock.facts",
    "triplock.model",
    "triplock.inventory",
    "triplock.rules.registry",
)


def usable_cores() -> int:
    """The cores this process may run on (its affinity), the default of --jobs."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CrossInputRead(BaseException):
    """A per-input rule read `ctx.inventory` in a worker, which holds only its own inputs.
    A BaseException, so that no `except Exception` in a rule swallows it."""


class _Elsewhere(Inventory):
    """A worker's `ctx.inventory`: the other inputs are in other processes."""

    def __init__(self) -> None:
        pass

    def __getattribute__(self, name: str) -> Any:
        raise CrossInputRead(name)


@dataclass(frozen=True)
class _Setup:
    max_bytes: int
    options: RunOptions
    spark_version: str | None
    rule_ids: tuple[str, ...]  # the per-input rules to judge, in the audit's order
    gc_threshold: tuple[int, int, int]


# A verdict as sent: Verdict's fields with the rule's id for the rule (no waiver, not
# baselined: those are the main process's post steps), named in _SENT_FIELDS.
_SentVerdict = tuple[str, Status, str, Severity, tuple[Evidence, ...], Fix | None, bool, str | None]
_SENT_FIELDS = ("rule", "status", "message", "severity", "evidence", "fix", "fix_here", "cause")
# What a verdict adds to a finding's identity, read from a sent one.
_SENT_IDENTITY: Callable[[_SentVerdict], object] = itemgetter(
    *map(_SENT_FIELDS.index, IDENTITY_FIELDS)
)
# A location as sent: Location's fields as a plain tuple (a Location would be rebuilt through
# its Python constructor; a tuple is made a Location in C on arrival).
_Where = tuple[str | None, int | None, str | None, str | None]


@dataclass
class _Judged:
    """One rule's outcomes on a chunk's facts, in columns: numbers in arrays, which pickle as
    bytes, where a tuple an outcome cost most of the hand-off (~800,000 at 40,000 inputs)."""

    rule_id: str
    facts: array[int] = field(default_factory=partial(array, "I"))  # in `_Chunk.facts`
    counts: array[int] = field(default_factory=partial(array, "I"))  # outcomes of each; 0: error
    verdicts: array[int] = field(default_factory=partial(array, "I"))  # each outcome's
    places: array[int] = field(default_factory=partial(array, "I"))  # each outcome's
    errors: list[InputError] = field(default_factory=list)  # the facts counted 0, in order
    # No two outcomes share an identity (status, location, message), and each is located in a
    # file of the chunk: no other chunk's can share one either, so nothing is to deduplicate.
    distinct: bool = False

    def add(self, position: int, meta: RuleMeta, judged: Judgement, numbers: _Numbers) -> None:
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


class _Numbers:
    """A chunk's distinct verdicts and places, numbered as they come."""

    def __init__(self) -> None:
        self.verdicts: dict[_SentVerdict, int] = {}
        self.places: dict[_Where, int] = {}

    def of(self, meta: RuleMeta, outcome: Outcome) -> tuple[int, int]:
        verdict = _sent_verdict(meta, outcome)
        return (
            self.verdicts.setdefault(verdict, len(self.verdicts)),
            self.places.setdefault(outcome.location, len(self.places)),
        )

    def mark_distinct(self, judged: list[_Judged], files: list[Walked]) -> None:
        """Set `distinct` on each rule's outcomes that have it."""
        paths = {found.path for found in files}
        local = [where[0] in paths for where in self.places]
        # The first verdict with what verdicts add to an identity (model.IDENTITY_FIELDS)
        # stands for all that share it.
        first: dict[object, int] = {}
        same = [first.setdefault(_SENT_IDENTITY(v), n) for n, v in enumerate(self.verdicts)]
        for rule in judged:
            identities = set(zip(rule.places, map(same.__getitem__, rule.verdicts), strict=True))
            rule.distinct = len(identities) == len(rule.places) and all(
                map(local.__getitem__, rule.places)
            )


@dataclass
class _Chunk:
    """What one chunk of files gave: facts in the order they were added (by type), input
    records, errors by the index of their file in the chunk, and what the worker judged: by
    rule, the verdicts and places of its outcomes as indexes into `verdicts` and `places`
    (distinct ones, each sent once a chunk)."""

    facts: list[object]
    inputs: list[InputRecord]
    errors: list[tuple[int, InputError]]
    judged: list[_Judged] = field(default_factory=list)
    verdicts: list[_SentVerdict] = field(default_factory=list)
    places: list[_Where] = field(default_factory=list)
    deferred: list[tuple[str, object]] = field(default_factory=list)  # rules that read more
    from_worker: bool = False


_STATE: tuple[_Setup, list[Source], list[Rule[Any]]] | None = None
_TERMINATING = (signal.SIGTERM, signal.SIGHUP)
# Held back while the workers are forked: a worker inherits the mask, so that a signal sent to
# it before its initializer has replaced the CLI's handlers waits and then ends it quietly.
_HELD = {signal.SIGINT, *_TERMINATING}


def _start(setup: _Setup) -> None:
    """A worker's initializer: the sources and rules, the CLI's collector thresholds."""
    global _STATE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    for signum in _TERMINATING:  # a forked worker has the CLI's handlers: a signal ends it
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    gc.set_threshold(*setup.gc_threshold)
    by_id = {r.meta.id: r for r in all_rules()}
    _STATE = (setup, all_sources(), [by_id[i] for i in setup.rule_ids])
    for kind in _slotted_dataclasses():
        ForkingPickler.register(kind, _reducer(kind))


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
_ARRIVED: dict[object, object] = {}  # for the run: emptied once the workers are stopped


def _arrived(kind: type, values: tuple[object, ...]) -> object:
    value = kind(*values)
    return _ARRIVED.setdefault(value, value)


def _rebuilt(kind: type, names: tuple[str, ...], values: tuple[object, ...]) -> object:
    obj: object = object.__new__(kind)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(obj, name, value)
    return obj


def _read_and_judge(files: list[Walked]) -> _Chunk:
    """A worker's task: read the files, judge the per-input rules on their facts."""
    assert _STATE is not None, "the worker was not started by _start"
    setup, sources, rules = _STATE
    inventory, chunk = _read(files, sources, setup.max_bytes, setup.options)
    ctx = Context(_Elsewhere(), setup.spark_version, setup.options)
    position = {id(fact): index for index, fact in enumerate(chunk.facts)}
    numbers = _Numbers()
    for rule in rules:
        judged = _Judged(rule.meta.id)
        for fact in inventory.of(rule.target):
            try:
                outcome = judge_fact(rule, fact, ctx)
            except CrossInputRead:
                chunk.deferred.append((rule.meta.id, fact))
                continue
            judged.add(position[id(fact)], rule.meta, outcome, numbers)
        if judged.facts:
            chunk.judged.append(judged)
    numbers.mark_distinct(chunk.judged, files)
    chunk.verdicts = list(numbers.verdicts)
    chunk.places = [tuple(where) for where in numbers.places]  # type: ignore[misc]
    chunk.from_worker = True
    return chunk


def _sent_verdict(meta: RuleMeta, outcome: Outcome) -> _SentVerdict:
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
    return (meta.id, v.status, v.message, v.severity, v.evidence, v.fix, v.fix_here, v.cause)


def _read(
    files: list[Walked], sources: list[Source], max_bytes: int, options: RunOptions
) -> tuple[Inventory, _Chunk]:
    inventory = Inventory()
    inventory.options = options
    errors: list[tuple[int, InputError]] = []
    for index, found in enumerate(files):
        before = len(inventory.errors)
        read_input(found, sources, inventory, max_bytes)
        errors += [(index, e) for e in inventory.errors[before:]]
    facts: list[object] = []
    for kind in inventory.kinds():
        facts += inventory.of(kind)
    return inventory, _Chunk(facts, inventory.inputs, errors)


def read_on_workers(
    options: AuditOptions, inventory: Inventory, rules: list[Rule[Any]]
) -> Prejudged | None:
    """Read and link the inputs of `options.paths` into `inventory` as `discover` does, on
    `options.jobs` worker processes which also judge `rules` (per-input). None when the
    files were too few to be worth the workers and were read here."""
    sources = all_sources()
    walked = _Walk(options)
    jobs = options.jobs or usable_cores()
    if not walked.until(MIN_FILES) or jobs == 1:
        _read_here(walked, sources, inventory, options)
        link_inputs(sources, inventory)
        return None
    setup = _Setup(
        options.max_bytes,
        inventory.options,
        options.spark_version,
        tuple(r.meta.id for r in rules),
        gc.get_threshold(),
    )
    prejudged = Prejudged(rules, inventory, apart(options.paths))
    merged = _Merge(inventory, walked, prejudged)
    _run(walked, jobs, setup, sources, merged, options)
    merged.finish()
    inventory.track_late()
    link_inputs(sources, inventory)
    return prejudged


def apart(paths: list[str]) -> bool:
    """Whether no path given is another one or inside another: the walk then finds no file
    under a name it found before, and each file is in one chunk."""
    normal = [os.path.normpath(path) for path in paths]
    given = set(normal)
    if len(given) < len(normal):
        return False
    for path in normal:
        parent = os.path.dirname(path)
        while parent != path:
            if parent in given:
                return False
            path, parent = parent, os.path.dirname(parent)
    return True


def _read_here(
    walked: _Walk, sources: list[Source], inventory: Inventory, options: AuditOptions
) -> None:
    """Every file of the walk, the files already walked and the rest, read in this process
    and in walk order, as `discover` reads them."""
    merged = _Merge(inventory, walked, None)
    walked.until(sys.maxsize)
    for index, found in enumerate(walked.files(0, walked.found)):
        merged.place_walk_errors(walked.mark(index))
        read_input(found, sources, inventory, options.max_bytes)
        if options.progress is not None and (index + 1) % PROGRESS_EVERY == 0:
            options.progress(index + 1)
    merged.finish()


class _Walk:
    """The walk of the paths, taken as far as the files handed out need: its errors are kept
    apart (the chunks' own go among them, file by file), each file with the count of them
    recorded before it. Only the files not yet merged are kept: files are numbered from the
    walk's start, and the first `released` of them are forgotten."""

    def __init__(self, options: AuditOptions) -> None:
        self.record = Inventory()
        self.released = 0
        self._files: list[Walked] = []  # the files from `released` on
        self._marks: list[int] = []  # for each of them, the walk's errors recorded before it
        self._next = walk(options.paths, self.record, options.skip_paths, options.follow_symlinks)

    @property
    def found(self) -> int:
        """The files found so far."""
        return self.released + len(self._files)

    def files(self, start: int, count: int) -> list[Walked]:
        return self._files[start - self.released : start - self.released + count]

    def mark(self, index: int) -> int:
        """The walk's errors recorded before file `index`."""
        return self._marks[index - self.released]

    def release(self, count: int) -> None:
        """Forget the first `count` files kept (merged: their paths live on in the facts and
        input records, which hold the workers' copies)."""
        del self._files[:count], self._marks[:count]
        self.released += count

    def until(self, count: int) -> bool:
        """Walk on until `count` files are found; False if the walk ended before."""
        for found in self._next if self.found < count else ():
            self._marks.append(len(self.record.errors))
            self._files.append(found)
            if self.found >= count:
                break
        return self.found >= count


def _run(
    walked: _Walk,
    jobs: int,
    setup: _Setup,
    sources: list[Source],
    merged: _Merge,
    options: AuditOptions,
) -> None:
    """Hand out each chunk as soon as the walk has found its files (the workers read while
    this process walks on), and merge the chunks in walk order as they come back; no more than
    IN_FLIGHT chunks a worker are out at once, so that what they send back waits in memory
    only that long."""
    context = multiprocessing.get_context(_start_method())
    walked.until(jobs * CHUNK_FILES)  # no more workers than chunks
    jobs = min(jobs, -(-walked.found // CHUNK_FILES))
    executor = ProcessPoolExecutor(jobs, context, initializer=_start, initargs=(setup,))
    # The objects of this process so far (modules, rules, sources) are left out of the
    # collector's passes: in a forked worker, a pass would write to every one of their pages,
    # copying them; here, there is nothing to collect among them.
    gc.freeze()
    try:
        pending: deque[tuple[int, Future[_Chunk] | None]] = deque()
        handed = 0  # files handed out
        walking = True
        while walking or pending:
            walking = walked.until(handed + CHUNK_FILES)
            if walked.found > handed:
                files = walked.files(handed, CHUNK_FILES)
                pending.append((handed, _submit(executor, files)))
                handed += len(files)
            while pending and (len(pending) > IN_FLIGHT * jobs or not walking):
                start, task = pending.popleft()
                files = walked.files(start, CHUNK_FILES)
                merged.add(_result(task, files, sources, setup), start)
                walked.release(len(files))
                done = start + len(files)
                if (
                    options.progress is not None
                    and done // PROGRESS_EVERY > start // PROGRESS_EVERY
                ):
                    options.progress(done)
    except BaseException:  # Ctrl-C included: no worker outlives the audit
        _stop(executor)
        raise
    finally:
        _ARRIVED.clear()
        gc.unfreeze()
    executor.shutdown()


def _submit(executor: ProcessPoolExecutor, files: list[Walked]) -> Future[_Chunk] | None:
    """A chunk handed to the workers; None once the pool is broken (a worker died), when the
    chunk is read in this process."""
    # A Ctrl-C or SIGTERM waits until the workers exist (see _HELD); it is raised here on
    # unblocking, and stops them.
    signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        return executor.submit(_read_and_judge, files)
    except BrokenProcessPool:
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


def _start_method() -> str:
    """`fork` when this process runs one thread (an audit's case): the workers start at once
    with the sources and rules already imported. Otherwise a fork would copy other threads'
    locks in whatever state they are, so workers come from a fork server."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "forkserver"


def _result(
    task: Future[_Chunk] | None, files: list[Walked], sources: list[Source], setup: _Setup
) -> _Chunk:
    """A worker's chunk; if the worker failed (it died, or its result could not be sent) or
    the chunk was never handed out, it is read here, as one process reads it."""
    try:
        if task is not None:
            return task.result()
    except Exception:
        pass
    return _read(files, sources, setup.max_bytes, setup.options)[1]


def _stop(executor: ProcessPoolExecutor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


class _Merge:
    """The chunks put together in walk order: facts, input records, and errors interleaved
    with the walk's own as one process records them."""

    def __init__(self, inventory: Inventory, walked: _Walk, prejudged: Prejudged | None) -> None:
        self.inventory = inventory
        self.walk_errors = walked.record.errors
        self.placed = 0  # walk errors already placed
        self.prejudged = prejudged
        self.walked = walked

    def add(self, chunk: _Chunk, start: int) -> None:
        for index, error in chunk.errors:
            self.place_walk_errors(self.walked.mark(start + index))
            self.inventory.errors.append(error)
        self.inventory.inputs += chunk.inputs
        for fact in chunk.facts:
            self.inventory.add(fact)
        if self.prejudged is None:
            return
        if chunk.from_worker:
            self.prejudged.receive(chunk)
        else:
            self.prejudged.local.update(map(id, chunk.facts))

    def finish(self) -> None:
        self.place_walk_errors(len(self.walk_errors))
        self.inventory.skipped += self.walked.record.skipped

    def place_walk_errors(self, mark: int) -> None:
        """The walk's errors recorded before the file with `mark` of them."""
        self.inventory.errors += self.walk_errors[self.placed : mark]
        self.placed = max(self.placed, mark)


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
        self._verdicts: dict[_SentVerdict, Verdict] = {}  # as sent
        self._facts: list[object] = []  # the facts of the last rule taken as sent
        self._position: dict[int, int] = {}  # and their places, by id

    def receive(self, chunk: _Chunk) -> None:
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

    def _verdict(self, sent: _SentVerdict) -> Verdict:
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
_location: Callable[[_Where], Location] = partial(tuple.__new__, Location)


def _grouped(judged: _Judged, findings: Iterator[Finding]) -> Iterator[_Kept]:
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
