"""The rule catalogue itself: metadata complete, ids unique, docs/rules.md current, every rule
exercised by a test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT, need_module
from triplock.controls import CONTROLS
from triplock.model import Evidence
from triplock.redact import MASK
from triplock.rules.catalog import rules_markdown
from triplock.rules.registry import all_rules

_ID = re.compile(r"^[A-Z0-9]+-\d{3}$")


def test_every_rule_has_complete_metadata() -> None:
    rules = all_rules()
    assert len(rules) >= 20
    for r in rules:
        m = r.meta
        assert _ID.match(m.id), m.id
        assert m.control in CONTROLS, m.id
        assert len(m.rationale) > 40, f"{m.id}: rationale too thin"
        assert len(m.remediation) > 15, f"{m.id}: remediation too thin"
        assert m.title and m.slug == m.slug.lower(), m.id


def test_ids_and_slugs_are_unique() -> None:
    rules = all_rules()
    assert len({r.meta.id for r in rules}) == len(rules)
    assert len({r.meta.slug for r in rules}) == len(rules)


def test_docs_rules_md_is_current() -> None:
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(), "docs/rules.md is stale: run `make docs`"


def test_every_rule_is_named_by_a_test() -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    untested = [r.meta.id for r in all_rules() if r.meta.id not in tests]
    assert untested == []


def test_the_catalogue_says_which_facts_a_narrowed_rule_judges() -> None:
    from triplock.rules.catalog import rules_json

    by_id = {r["id"]: r for r in rules_json()}
    narrowed = "applications only, not a history server's own spark-defaults.conf"
    assert by_id["SPARK-001"]["applies_to"] == narrowed
    assert by_id["SPARK-031"]["applies_to"] is None  # the history server's own TLS rule
    assert f"judges SparkApp: {narrowed})" in rules_markdown()


TYPED_RULES = """
from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf
from triplock.facts.spark import SparkApp
from triplock.model import Severity
from triplock.rules.registry import Context, Outcome, rule


@rule(
    id="OK-001", slug="ok", title="ok", control="spark.authentication", severity=Severity.LOW,
    rationale="r", remediation="r", target=SparkApp, applies=lambda app: app.name != "",
)
def matches(app: SparkApp, ctx: Context) -> Iterator[Outcome]:
    yield from ()


@rule(
    id="BAD-001", slug="bad", title="bad", control="spark.authentication", severity=Severity.LOW,
    rationale="r", remediation="r", target=SparkApp,
)
def mismatched(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from ()
"""


def test_mypy_rejects_a_rule_whose_parameter_is_not_its_target(tmp_path: Path) -> None:
    need_module("mypy")
    from mypy import api

    module = tmp_path / "typed_rules.py"
    module.write_text(TYPED_RULES, encoding="utf-8")
    out, _, code = api.run(
        ["--strict", "--cache-dir", str(tmp_path / "cache"), "--no-incremental", str(module)]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert code == 1 and len(errors) == 1, out
    assert "typed_rules.py:18:" in errors[0] and "HadoopConf" in errors[0], out


def test_evidence_has_one_constructor() -> None:
    with pytest.raises(TypeError):
        Evidence("spark.authenticate.secret", "CANARY-raw")  # type: ignore[call-arg]
    shown = Evidence.of("spark.authenticate.secret", "CANARY-raw")
    assert (shown.key, shown.shown) == ("spark.authenticate.secret", MASK)


def _documented_bands() -> dict[tuple[str, str], set[str]]:
    """(prefix, band) -> modules, from docs/architecture.md's "Rule ids" table."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("### Rule ids", 1)[1].split("\n### ", 1)[0]
    bands: dict[tuple[str, str], set[str]] = {}
    for row in re.findall(r"^\| ([A-Z0-9]+) \| ([0-9x, ]+) \| [^|]+ \| ([^|]+) \|$", section, re.M):
        prefix, numbers, modules = row
        for band in numbers.split(","):
            bands[(prefix, band.strip()[:2])] = set(re.findall(r"`(\w+)\.py`", modules))
    return bands


def test_every_rule_id_is_in_a_documented_band_of_its_module() -> None:
    bands = _documented_bands()
    assert len(bands) > 20
    outside = []
    for r in all_rules():
        prefix, _, number = r.meta.id.rpartition("-")
        module = r.check.__module__.rpartition(".")[2]
        if module not in bands.get((prefix, number[:2]), set()):
            outside.append(f"{r.meta.id} ({module}.py)")
    assert outside == [], "add a row to docs/architecture.md's rule id table"
