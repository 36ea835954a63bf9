"""What a worker sends back: facts as tuples of their values, shared values shared again,
verdicts whose fields and identity are the run's."""

from __future__ import annotations

import argparse
from operator import itemgetter
from pathlib import Path

import pytest

from triplock import workers
from triplock.audit import AuditOptions
from triplock.facts.shell import ShellCommand
from triplock.inventory import Inventory
from triplock.model import IDENTITY_FIELDS, Evidence, Finding, Fix, Location, Verdict
from triplock.rules.registry import Scope, all_rules, fail
from triplock.workers import pool, sent


def test_equal_shell_arguments_from_different_chunks_are_one_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process shares equal arguments (`Inventory.one`); with workers, a chunk's arrive
    as one object a chunk and are shared again across chunks as they arrive."""
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 2)
    for i in range(6):
        (tmp_path / f"run-{i}.sh").write_text(f"spark-submit --conf spark.app.name=a{i} x.py\n")
    inventory = Inventory()
    options = AuditOptions(paths=[str(tmp_path)], jobs=2)
    assert workers.read_on_workers(options, inventory, []) is not None
    commands = inventory.of(ShellCommand)
    assert len(commands) == 6
    firsts = {id(c.args[0]) for c in commands}  # `spark-submit` at line 1, in every file
    assert len(firsts) == 1
    assert len({id(c.args[2]) for c in commands}) == 6  # the app names differ
    assert not sent.ARRIVED  # emptied at the end of the run


def test_a_fact_is_pickled_as_a_tuple_of_its_values_whatever_their_count() -> None:
    """attrgetter of one name gives the value itself, not a tuple of it: the reducer's values
    are a tuple for none, one and several fields alike."""
    fact = argparse.Namespace(a=1, b="two")
    assert sent._values(())(fact) == ()
    assert sent._values(("a",))(fact) == (1,)
    assert sent._values(("b", "a"))(fact) == ("two", 1)


@pytest.mark.parametrize("fix_path", ["/deploy/spark-defaults.conf", "/deploy/other.conf", None])
def test_a_sent_verdict_holds_the_verdict_fields_it_names_and_the_same_identity(
    fix_path: str | None,
) -> None:
    """The workers' chunks judge which findings are distinct on sent verdicts: what each field
    of a sent one holds, and the identity read from it, are those of the run's Verdict."""
    rule = next(r for r in all_rules() if r.scope is Scope.PER_INPUT)
    where = Location(path="/deploy/spark-defaults.conf", line=3)
    outcome = fail(
        "spark.ssl.enabled is false",
        where,
        Evidence.of("spark.ssl.enabled", "false"),
        fix=Fix("set", "spark.ssl.enabled", "true", fix_path),
        cause="c",
    )
    sent_as = sent.sent_verdict(rule.meta, outcome)
    verdict = Verdict.at(
        where.path,
        rule.meta,
        outcome.status,
        outcome.message,
        rule.meta.severity,
        outcome.evidence,
        outcome.fix,
        cause=outcome.cause,
    )
    assert len(sent_as) == len(sent.SENT_FIELDS)
    for name, value in zip(sent.SENT_FIELDS, sent_as, strict=True):
        expected = getattr(verdict, name)
        assert value == (expected.id if name == "rule" else expected), name
    (identity,) = Finding.identities([Finding.at(where, verdict)])
    assert identity == (where, *map(verdict.__getattribute__, IDENTITY_FIELDS))
    assert sent.SENT_IDENTITY(sent_as) == itemgetter(*range(1, len(identity)))(identity)
