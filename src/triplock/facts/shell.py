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
    """One simple command, with `set -x` state: a traced command prints its expanded arguments."""

    args: tuple[Arg, ...]
    location: Location
    xtrace: bool

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
