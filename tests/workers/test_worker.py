"""A worker's task: the per-input rules it judges, and those it leaves to the main process."""

from __future__ import annotations

import dataclasses

import pytest

from tests.helpers import EXAMPLES
from triplock.inventory import Inventory, RunOptions
from triplock.rules.registry import Scope, all_rules
from triplock.sources import all_sources
from triplock.sources.discovery import walk
from triplock.workers import worker


def test_a_rule_reading_other_inputs_undeclared_is_judged_in_the_main_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """K8S-006 looks for the API server and the RBAC among the inputs; were it not declared,
    a worker would see only its own chunk. Declared per-input, the worker leaves it to the
    main process."""
    (k8s_006,) = [r for r in all_rules() if r.meta.id == "K8S-006"]
    assert k8s_006.scope is Scope.CROSS_INPUT
    undeclared = dataclasses.replace(k8s_006, scope=Scope.PER_INPUT)
    setup = worker.Setup(1 << 20, RunOptions(paths=(str(EXAMPLES),)), None, (), (700, 10, 10))
    monkeypatch.setattr(worker, "_STATE", (setup, all_sources(), [undeclared]))
    chunk = worker.read_and_judge(list(walk([str(EXAMPLES)], Inventory())))
    assert chunk.deferred
    assert {rule_id for rule_id, _ in chunk.deferred} == {"K8S-006"}
    assert not chunk.judged


def test_every_rule_of_a_whole_inventory_is_cross_input() -> None:
    rules = all_rules()
    assert all(r.scope is Scope.CROSS_INPUT for r in rules if r.target.__name__ == "Inventory")
    declared = {r.meta.id for r in rules if r.scope is Scope.CROSS_INPUT}
    assert {"CERT-001", "K8S-006", "KCFG-001"} <= declared
    assert sum(r.scope is Scope.PER_INPUT for r in rules) > len(rules) // 2
