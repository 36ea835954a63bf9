"""The JVM as a reference reader: java.util.Properties (tests/sources/jvm/LoadProperties.java) and
Hadoop's Configuration (tests/fixtures/hadoop/ConfDump.java, on pyspark's own jars)."""

from __future__ import annotations

import base64
import importlib.util
import random
import subprocess
from pathlib import Path

from tests.helpers import ROOT, need_command

PROPERTIES_CORPUS = ROOT / "tests" / "fixtures" / "properties"
PROPERTIES_PROGRAM = ROOT / "tests" / "sources" / "jvm" / "LoadProperties.java"
# Pieces that exercise every branch of the JDK's LineReader and load0.
_PIECES = [
    "spark.k",
    "a",
    "é",
    "✓",
    " ",
    "  ",
    "\t",
    "\f",
    "=",
    ":",
    "==",
    "\\",
    "\\\\",
    "\\\n",
    "\\\r\n",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "#",
    "!",
    "\\u0041",
    "\\u00e9",
    "\\t",
    "\\n",
    "\\=",
    "\\:",
    "\\ ",
    "\\#",
    "x y",
    "$VAR",
    "${x}",
]


def generated_properties(count: int) -> list[str]:
    rng = random.Random(20261127)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))) for _ in range(count)]


def jvm_parse_properties(paths: list[Path]) -> dict[int, dict[str, str] | str]:
    java = need_command("java")
    out = subprocess.run(
        [java, str(PROPERTIES_PROGRAM), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    parsed: dict[int, dict[str, str] | str] = {i: {} for i in range(len(paths))}
    for line in out.splitlines():
        index, first, *rest = line.split(" ", 2)
        if first == "ERROR":
            parsed[int(index)] = "ERROR"
            continue
        entries = parsed[int(index)]
        assert isinstance(entries, dict)
        value = rest[0] if rest else ""
        entries[base64.b64decode(first).decode()] = base64.b64decode(value).decode()
    return parsed


HADOOP_PROGRAM = ROOT / "tests" / "fixtures" / "hadoop" / "ConfDump.java"


def _pyspark_jars() -> Path:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        return ROOT / ".venv" / "no-pyspark"
    return Path(spec.origin).parent / "jars"


HADOOP_JARS = _pyspark_jars()
