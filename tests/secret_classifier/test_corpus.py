"""The classifier against a labelled corpus: 600+ key/value pairs, secrets and look-alikes, each
written here after a pattern seen in a named public project (corpus.tsv names it on every
line). Precision and recall are printed (pytest -s) and must stay at 0.97 or more."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from tests.helpers import ROOT
from triplock.secret_classifier import literal_secret

CORPUS = ROOT / "tests" / "secret_classifier" / "corpus.tsv"
FLOOR = 0.97


@dataclass(frozen=True)
class Pair:
    secret: bool
    key: str
    value: str
    project: str


def corpus() -> list[Pair]:
    with CORPUS.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r]
    pairs = [Pair(r[0] == "secret", r[1], r[2], r[3]) for r in rows if not r[0].startswith("#")]
    assert all(len(r) == 4 for r in rows if not r[0].startswith("#"))
    return pairs


def test_corpus_is_large_varied_and_labelled() -> None:
    pairs = corpus()
    assert len(pairs) >= 400
    assert len({p.project for p in pairs}) >= 12
    assert sum(p.secret for p in pairs) >= 100
    assert sum(not p.secret for p in pairs) >= 200


def test_precision_and_recall() -> None:
    pairs = corpus()
    judged = [(p, literal_secret(p.key, p.value) is not None) for p in pairs]
    true_pos = sum(1 for p, said in judged if said and p.secret)
    false_pos = [p for p, said in judged if said and not p.secret]
    false_neg = [p for p, said in judged if not said and p.secret]
    precision = true_pos / (true_pos + len(false_pos))
    recall = true_pos / (true_pos + len(false_neg))
    print(
        f"\nsecret classifier on {len(pairs)} pairs: precision {precision:.3f}, recall {recall:.3f}"
    )
    for p in false_pos:
        print(f"  false alarm: {p.key}  ({p.project})")
    for p in false_neg:
        print(f"  missed:      {p.key}  ({p.project})")
    assert precision >= FLOOR
    assert recall >= FLOOR
