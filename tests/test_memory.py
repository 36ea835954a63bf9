"""What an audit keeps per input (issue 18, goal 1), counted in bytes by tracemalloc (memory,
not time): small Spark inputs (tests/helpers/spark_tree.py, ~10 settings each, as in
benchmarks/audit_speed.py) keep their compact facts and nothing of their text, and each finding
keeps little beyond its own record: a location and a verdict shared with the equal findings of
other inputs. The bounds sit between today's figures (~1.9 KiB per input: a setting is six
references, where it was written kept as fields, not a Location object; ~83 B per finding,
the Location of a finding at a setting included) and the code before (~2.5 KiB per input with
a Location per setting; ~160 B per finding with a Finding of ten fields and a Fix each)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.helpers.spark_tree import generate
from triplock.audit import AuditOptions, judge
from triplock.inventory import Inventory, RunOptions
from triplock.model import AuditResult, InputWithWaivers
from triplock.sources import all_sources
from triplock.sources.discovery import discover

T = TypeVar("T")
INPUTS = 400
BYTES_PER_INPUT = 2200  # facts of one small input, after discovery
BYTES_PER_FINDING = 110  # a finding, its share of the verdicts and of the list's order


def read(root: Path) -> Inventory:
    inventory = Inventory()
    inventory.options = RunOptions(paths=(str(root),))
    discover([str(root)], all_sources(), inventory)
    return inventory


def judged(inventory: Inventory, root: Path) -> AuditResult:
    return judge(inventory, AuditOptions(paths=[str(root)]))


def retained(step: Callable[[], T]) -> tuple[T, int]:
    """What `step` returns, and the bytes it allocated that are still held afterwards."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value = step()
        gc.collect()
        return value, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warm = tmp_path_factory.mktemp("warm")  # modules, caches and patterns loaded before counting
    generate(warm, 20)
    judged(read(warm), warm)
    root = tmp_path_factory.mktemp("spark-tree")
    generate(root, INPUTS)
    return root


def test_each_small_input_keeps_compact_facts(tree: Path) -> None:
    inventory, kept = retained(lambda: read(tree))
    assert len(inventory.inputs) == INPUTS
    assert kept / INPUTS < BYTES_PER_INPUT, f"{kept / INPUTS:,.0f} B per input"


def test_each_finding_keeps_little_beyond_its_record(tree: Path) -> None:
    inventory = read(tree)
    result, kept = retained(lambda: judged(inventory, tree))
    assert len(result.findings) > 10 * INPUTS  # ~20 findings per input
    per_finding = kept / len(result.findings)
    assert per_finding < BYTES_PER_FINDING, f"{per_finding:,.0f} B per finding"


def test_parsed_inputs_hold_no_text(tree: Path) -> None:
    inventory = read(tree)
    texts = {p.read_text() for p in tree.rglob("*") if p.is_file()}
    lines = {line for text in texts for line in text.splitlines() if line.startswith("#!")}
    kept = set(strings(inventory))
    assert not kept & texts
    assert not kept & lines  # not even a line of the text: facts hold words and values
    assert not any(isinstance(i, InputWithWaivers) for i in inventory.inputs)


def test_equal_words_are_one_object_across_inputs(tree: Path) -> None:
    inventory = read(tree)
    from triplock.facts.spark import SparkApp

    keys = [k for app in inventory.of(SparkApp) for k in app.settings]
    values = [s.value for app in inventory.of(SparkApp) for s in app.settings.values()]
    assert len({id(k) for k in keys}) == len(set(keys))
    assert len({id(v) for v in values}) == len(set(values))


def strings(value: object, seen: set[int] | None = None) -> Iterator[str]:
    """Every string reachable from the inventory's facts and input records."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, Inventory):
        yield from strings([*value.inputs, *(f for k in value.kinds() for f in value.of(k))], seen)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k, seen)
            yield from strings(v, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from strings(item, seen)
    elif hasattr(type(value), "__slots__"):
        for cls in type(value).__mro__:
            for name in getattr(cls, "__slots__", ()):
                yield from strings(getattr(value, name, None), seen)
    elif hasattr(value, "__dict__"):
        yield from strings(vars(value), seen)
