"""The one boolean reader: each product's truth table, and for Spark and Hadoop the answers of
their own methods (ConfigHelpers.toBoolean, Configuration.getBoolean) on a corpus of tricky and
seeded random values, run through tests/sources/jvm/ReadBooleans.java."""

from __future__ import annotations

import random
import subprocess

import pytest

from tests.helpers import ROOT, need, need_command
from triplock.booleans import Dialect, flag_of, parse_bool
from triplock.inventory import Setting
from triplock.model import Location

PROGRAM = ROOT / "tests" / "sources" / "jvm" / "ReadBooleans.java"
JARS = ROOT / ".venv" / "lib" / "python3.11" / "site-packages" / "pyspark" / "jars"
# What Java's trim and equalsIgnoreCase see and Python's strip and lower do not (or the other
# way round): control characters, Unicode spaces, the long s that upper-cases to S.
_PIECES = [
    "true", "false", "TRUE", "False", "tRuE", "t", "rue", "fals", "e", "1", "0", "yes", "on",
    "", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\x01", "\x1f", "\x7f", "\xa0", "\u2003",
    "\u3000", "\u017f", "\u0131", "\u212a", "\u00df",
]  # fmt: skip
EDGE_CASES = [
    "true", "false", "TRUE", " FaLse\t", "\x01true\x1f", "\xa0true", "true\u2003", "fal\u017fe",
    "tru\u00e9", "yes", "no", "on", "off", "1", "0", "", " ", "truefalse", "t r u e",
]  # fmt: skip


def _corpus() -> list[str]:
    rng = random.Random(20261204)
    generated = ["".join(rng.choices(_PIECES, k=rng.randint(1, 4))) for _ in range(300)]
    return EDGE_CASES + generated


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        (" TRUE ", Dialect.SPARK, True),
        ("False", Dialect.HADOOP, False),
        ("yes", Dialect.SPARK, None),
        ("on", Dialect.HADOOP, None),
        ("true", Dialect.GRAMINE, True),
        ("True", Dialect.GRAMINE, None),
        ("1", Dialect.GRAMINE, None),
        ("1", Dialect.GRAPHENE, True),
        ("0", Dialect.GRAPHENE, False),
        ("yes", Dialect.GRAPHENE, None),
        ("false", Dialect.OCCLUM, False),
        (" false", Dialect.OCCLUM, None),
    ],
)
def test_each_dialect_takes_what_its_product_takes(
    text: str, dialect: Dialect, expected: bool | None
) -> None:
    assert parse_bool(text, dialect) is expected


def test_a_setting_is_unknown_when_templated_and_defaults_when_unset() -> None:
    where = Location(path="spark-defaults.conf", line=1)
    templated = Setting.literal_or_templated("spark.authenticate", "${AUTH}", where)
    assert flag_of(templated, False, Dialect.SPARK) is None
    assert flag_of(None, True, Dialect.SPARK) is True
    assert flag_of(None, True, Dialect.SPARK, partial=True) is None


@pytest.mark.jvm
def test_spark_and_hadoop_read_booleans_as_the_reader_does() -> None:
    java = need_command("java")
    need(any(JARS.glob("spark-core_*.jar")), "pyspark's jars (Spark and hadoop-client-api)")
    corpus = _corpus()
    done = subprocess.run(
        [java, "-cp", f"{JARS}/*", str(PROGRAM)],
        input="".join(value.encode().hex() + "\n" for value in corpus),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    answers = done.stdout.splitlines()
    assert len(answers) == len(corpus), done.stderr
    as_word = {True: "true", False: "false"}
    mismatches = [
        (value, answer)
        for value, answer in zip(corpus, answers, strict=True)
        if answer != f"{as_word.get(parse_bool(value, Dialect.SPARK), 'error')} "
        f"{as_word.get(parse_bool(value, Dialect.HADOOP), 'default')}"
    ]
    assert mismatches == []
    # The corpus reached every answer the JVM gives.
    assert {"true true", "false false", "error default"} <= set(answers)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TRUE", True),
        ("False", False),
        ("1", True),
        ("0", False),
        ("-2", True),
        ("+0", False),
        ("yes", None),
        ("on", None),
        ("1.0", None),
        ("99999999999", None),  # beyond strict_strtol's int range
        ("", None),
    ],
)
def test_ceph_takes_true_false_and_decimal_integers(text: str, expected: bool | None) -> None:
    assert parse_bool(text, Dialect.CEPH) is expected
