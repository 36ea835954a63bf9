"""Facts about command lines: the commands a script runs, after continuations and variables."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from triplock.model import Location


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument as the program receives it, and the line it was written on."""

    text: str
    line: int | None
    templated: bool = False  # holds a variable or substitution whose value is unknown
    refs: tuple[str, ...] = ()  # the names of the variables it was expanded from


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """One simple command, with `set -x` state: a traced command prints its expanded arguments.
    Where it was written is kept as fields, not a Location object (a script keeps several
    commands; `location` gives it)."""

    args: tuple[Arg, ...]
    path: str | None
    line: int | None
    xtrace: bool
    object: str | None = None  # the object of a manifest that embeds the script

    @property
    def location(self) -> Location:
        return Location(path=self.path, line=self.line, object=self.object)

    @property
    def program(self) -> str:
        return posixpath.basename(self.args[0].text) if self.args else ""

    @property
    def argv(self) -> list[str]:
        return [a.text for a in self.args]

    @property
    def launches_spark(self) -> bool:
        return launch_start(self.argv) is not None


SUBMIT_PROGRAMS = frozenset({"spark-submit", "pyspark", "spark-sql", "spark-shell", "sparkR"})
SUBMIT_CLASS = "org.apache.spark.deploy.SparkSubmit"


def launch_start(argv: list[str]) -> int | None:
    """Index of the first Spark argument when `argv` launches Spark, else None.

    Knows spark-submit and friends (by basename, so $SPARK_HOME/bin/spark-submit counts),
    and `spark-class`/`java` running org.apache.spark.deploy.SparkSubmit.
    """
    if not argv:
        return None
    program = posixpath.basename(argv[0])
    if program in SUBMIT_PROGRAMS:
        return 1
    if program in ("spark-class", "java") and SUBMIT_CLASS in argv:
        return argv.index(SUBMIT_CLASS) + 1
    return None


def clusters_flag(text: str, letter: str, sign: str = "-") -> bool:
    """Whether `text` is a cluster of single-letter options holding `letter` (`-sk`, `+ex`).
    Tested with str methods: `-[a-zA-Z]*k[a-zA-Z]*` backtracks quadratically on `-kkk...k1`."""
    letters = text[1:]
    return text[:1] == sign and letters.isascii() and letters.isalpha() and letter in letters


def wrapper_start(argv: list[str]) -> int | None:
    """Index of the first Spark argument when `argv` runs a spark-submit wrapper script (BigDL
    PPML's `bash bigdl-ppml-submit.sh --master ... --conf spark.x=y`), else None: a program
    named *submit* that takes spark-submit's `--master` or `--conf spark.*` options."""
    start = 2 if argv and posixpath.basename(argv[0]) in ("bash", "sh") else 1
    if len(argv) <= start or "submit" not in posixpath.basename(argv[start - 1]):
        return None
    rest = argv[start:]
    spark_conf = any(
        a == "--conf" and n.startswith("spark.") for a, n in zip(rest, [*rest[1:], ""], strict=True)
    )
    return start if "--master" in rest or spark_conf else None
