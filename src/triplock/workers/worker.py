"""A worker process: started with the sources and the per-input rules, it reads a chunk of
files as discovery does and judges those rules on the facts it read."""

from __future__ import annotations

import gc
import signal
from dataclasses import dataclass
from typing import Any

from triplock.audit import judge_fact
from triplock.inventory import Inventory, RunOptions
from triplock.model import InputError
from triplock.rules.registry import Context, Rule, all_rules
from triplock.sources import all_sources
from triplock.sources.discovery import Walked, read_input
from triplock.sources.interface import Source
from triplock.workers.sent import Chunk, Judged, Numbers, register_reducers


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
class Setup:
    max_bytes: int
    options: RunOptions
    spark_version: str | None
    rule_ids: tuple[str, ...]  # the per-input rules to judge, in the audit's order
    gc_threshold: tuple[int, int, int]


_STATE: tuple[Setup, list[Source], list[Rule[Any]]] | None = None
_TERMINATING = (signal.SIGTERM, signal.SIGHUP)
# Held back while the workers are forked: a worker inherits the mask, so that a signal sent to
# it before its initializer has replaced the CLI's handlers waits and then ends it quietly.
HELD = {signal.SIGINT, *_TERMINATING}


def initialize(setup: Setup) -> None:
    """A worker's initializer: the sources and rules, the CLI's collector thresholds."""
    global _STATE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    for signum in _TERMINATING:  # a forked worker has the CLI's handlers: a signal ends it
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)
    gc.set_threshold(*setup.gc_threshold)
    by_id = {r.meta.id: r for r in all_rules()}
    _STATE = (setup, all_sources(), [by_id[i] for i in setup.rule_ids])
    register_reducers()


def read_and_judge(files: list[Walked]) -> Chunk:
    """A worker's task: read the files, judge the per-input rules on their facts."""
    assert _STATE is not None, "the worker was not started by worker.initialize"
    setup, sources, rules = _STATE
    inventory, chunk = read(files, sources, setup.max_bytes, setup.options)
    ctx = Context(_Elsewhere(), setup.spark_version, setup.options)
    position = {id(fact): index for index, fact in enumerate(chunk.facts)}
    numbers = Numbers()
    for rule in rules:
        judged = Judged(rule.meta.id)
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


def read(
    files: list[Walked], sources: list[Source], max_bytes: int, options: RunOptions
) -> tuple[Inventory, Chunk]:
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
    return inventory, Chunk(facts, inventory.inputs, errors)
