"""The worker processes of `audit --jobs N`: inputs read and per-input rules judged in parallel.

The main process walks the paths (what cannot be walked is its error entry) and hands the files
out in chunks, in walk order. A worker reads each file of its chunk through the sources, as
discovery does, and judges the per-input rules (`Scope.PER_INPUT`) on the facts it read; it
sends back the facts, the input records, the errors and the outcomes. The main process merges
the chunks in walk order, so that its inventory is the one a single process builds, links the
inputs, and judges (`audit.judge`): cross-input rules on the whole inventory, per-input rules
only where a worker's judgement does not hold — a fact that linking added or changed, or a rule
that read `ctx.inventory` although it is not declared to.
"""

from __future__ import annotations

import gc
import multiprocessing
import operator
import os
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields, is_dataclass
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING, Any

from triplock.audit import Judgement, judge_fact
from triplock.inventory import Inventory, RunOptions
from triplock.model import InputError, InputRecord
from triplock.rules.registry import Context, Rule, all_rules
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


@dataclass
class _Chunk:
    """What one chunk of files gave: facts in the order they were added (by type), input
    records, errors by the index of their file in the chunk, and what the worker judged."""

    facts: list[object]
    inputs: list[InputRecord]
    errors: list[tuple[int, InputError]]
    judged: list[tuple[str, object, Judgement]] = field(default_factory=list)
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
    if vars(kind).get("__init__") is None or not plain:
        return lambda obj: (_rebuilt, (kind, names, tuple(getattr(obj, n) for n in names)))
    return lambda obj: (kind, tuple(getattr(obj, n) for n in names))


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
    for rule in rules:
        for fact in inventory.of(rule.target):
            try:
                judged = judge_fact(rule, fact, ctx)
            except CrossInputRead:
                chunk.deferred.append((rule.meta.id, fact))
                continue
            if judged:  # () is nothing to say; an InputError is always true
                chunk.judged.append((rule.meta.id, fact, judged))
    chunk.from_worker = True
    return chunk


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
    files: list[Walked] = []
    marks: list[int] = []  # the walk's errors recorded before each file
    for found in walk(options.paths, inventory, options.skip_paths, options.follow_symlinks):
        marks.append(len(inventory.errors))
        files.append(found)
    if len(files) < MIN_FILES:
        for seen, found in enumerate(files, start=1):
            if options.progress is not None and seen % PROGRESS_EVERY == 0:
                options.progress(seen)
            read_input(found, sources, inventory, options.max_bytes)
        link_inputs(sources, inventory)
        return None
    setup = _Setup(
        options.max_bytes,
        inventory.options,
        options.spark_version,
        tuple(r.meta.id for r in rules),
        gc.get_threshold(),
    )
    merged = _Merge(inventory, marks, Prejudged(rule_ids=set(setup.rule_ids)))
    _run(files, setup, sources, merged, options)
    merged.finish()
    link_inputs(sources, inventory)
    return merged.prejudged


def _run(
    files: list[Walked],
    setup: _Setup,
    sources: list[Source],
    merged: _Merge,
    options: AuditOptions,
) -> None:
    context = multiprocessing.get_context(_start_method())
    jobs = min(options.jobs, -(-len(files) // CHUNK_FILES))
    starts = range(0, len(files), CHUNK_FILES)
    executor = ProcessPoolExecutor(jobs, context, initializer=_start, initargs=(setup,))
    try:
        # A Ctrl-C or SIGTERM waits until the workers exist (see _HELD); it is raised here on
        # unblocking, and stops them.
        signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            tasks = [_submit(executor, files[s : s + CHUNK_FILES]) for s in starts]
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
        for start, task in zip(starts, tasks, strict=True):
            chunk = _result(task, files[start : start + CHUNK_FILES], sources, setup)
            merged.add(chunk, start)
            done = min(start + CHUNK_FILES, len(files))
            if options.progress is not None and done // PROGRESS_EVERY > start // PROGRESS_EVERY:
                options.progress(done)
    except BaseException:  # Ctrl-C included: no worker outlives the audit
        _stop(executor)
        raise
    executor.shutdown()


def _start_method() -> str:
    """`fork` when this process runs one thread (an audit's case): the workers start at once
    with the sources and rules already imported. Otherwise a fork would copy other threads'
    locks in whatever state they are, so workers come from a fork server."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "forkserver"


def _submit(executor: ProcessPoolExecutor, files: list[Walked]) -> Future[_Chunk] | None:
    """The chunk's task; None once a worker has died (the pool takes no more work)."""
    try:
        return executor.submit(_read_and_judge, files)
    except BrokenProcessPool:
        return None


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

    def __init__(self, inventory: Inventory, marks: list[int], prejudged: Prejudged) -> None:
        self.inventory = inventory
        self.walk_errors = list(inventory.errors)
        inventory.errors.clear()
        self.marks = marks
        self.placed = 0  # walk errors already placed
        self.prejudged = prejudged

    def add(self, chunk: _Chunk, start: int) -> None:
        for index, error in chunk.errors:
            self._walk_errors_until(self.marks[start + index])
            self.inventory.errors.append(error)
        self.inventory.inputs += chunk.inputs
        for fact in chunk.facts:
            self.inventory.add(fact)
        if chunk.from_worker:
            self.prejudged.receive(chunk)

    def finish(self) -> None:
        self._walk_errors_until(len(self.walk_errors))

    def _walk_errors_until(self, mark: int) -> None:
        self.inventory.errors += self.walk_errors[self.placed : mark]
        self.placed = max(self.placed, mark)


@dataclass
class Prejudged:
    """What the workers judged, by rule id and fact, and what each fact held when it arrived
    (linking may change it after: then its rules are judged again)."""

    rule_ids: set[str]  # the rules the workers judged
    shapes: dict[int, tuple[object, tuple[object, ...] | None]] = field(default_factory=dict)
    judged: dict[str, dict[int, Judgement]] = field(default_factory=lambda: defaultdict(dict))
    deferred: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    unchanged: set[int] = field(default_factory=set)

    def receive(self, chunk: _Chunk) -> None:
        for fact in chunk.facts:
            self.shapes[id(fact)] = (fact, _shape(fact))
        for rule_id, fact, judged in chunk.judged:
            self.judged[rule_id][id(fact)] = judged
        for rule_id, fact in chunk.deferred:
            self.deferred[rule_id].add(id(fact))

    def settle(self) -> None:
        """Once the inputs are linked: the facts that still hold what they arrived with."""
        self.unchanged = {
            key
            for key, (fact, shape) in self.shapes.items()
            if shape is not None and _same(shape, _shape(fact))
        }

    def of(self, rule: Rule[Any], facts: list[object]) -> list[Judgement | None] | None:
        """The workers' judgement of `rule` on each of `facts`, None for a fact it must be
        judged on here; None for a rule the workers did not judge."""
        if rule.meta.id not in self.rule_ids:
            return None
        judged = self.judged.get(rule.meta.id, {})
        deferred = self.deferred.get(rule.meta.id, set())
        unchanged = self.unchanged
        return [
            judged.get(key, ()) if key in unchanged and key not in deferred else None
            for key in map(id, facts)
        ]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _shape(fact: object) -> tuple[object, ...] | None:
    """What a fact holds, one level into its containers: a link changes a fact by assigning a
    field or by adding to, removing from or replacing in a container field. None for a fact
    that is not a dataclass (never taken from a worker)."""
    if not is_dataclass(fact) or isinstance(fact, type):
        return None
    names = _FIELDS.get(type(fact))
    if names is None:
        names = _FIELDS[type(fact)] = tuple(f.name for f in fields(fact))
    held: list[object] = []
    for name in names:
        value = getattr(fact, name)
        held.append(value)
        if isinstance(value, dict):
            held += [*value.keys(), *value.values()]
        elif isinstance(value, list | set):
            held += value
    return tuple(held)


def _same(before: tuple[object, ...], after: tuple[object, ...] | None) -> bool:
    return after is not None and len(before) == len(after) and all(map(operator.is_, before, after))
