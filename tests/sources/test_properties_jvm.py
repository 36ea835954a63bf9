"""Differential test: triplock's properties parser against the real JVM's java.util.Properties.

A committed corpus of tricky files plus a few hundred generated ones (seeded, so failures
reproduce) go through one `java LoadProperties.java` run; every key and value must agree, and a
file the JVM rejects must be rejected by triplock too.
"""

from __future__ import annotations

import base64
import random
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, need_command
from triplock.sources.properties import MalformedProperties, parse_properties

CORPUS = ROOT / "tests" / "fixtures" / "properties"
PROGRAM = Path(__file__).parent / "jvm" / "LoadProperties.java"
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


def _generated(count: int) -> list[str]:
    rng = random.Random(20261127)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))) for _ in range(count)]


def _jvm_parse(paths: list[Path]) -> dict[int, dict[str, str] | str]:
    java = need_command("java")
    out = subprocess.run(
        [java, str(PROGRAM), *map(str, paths)],
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


def _ours(path: Path) -> dict[str, str] | str:
    try:
        entries = parse_properties(path.read_text(encoding="utf-8"))
    except MalformedProperties:
        return "ERROR"
    return {p.key: p.value for p in entries}


@pytest.mark.jvm
def test_parser_agrees_with_java_util_properties(tmp_path: Path) -> None:
    files = sorted(CORPUS.glob("*.properties"))
    assert len(files) >= 6
    for i, text in enumerate(_generated(400)):
        path = tmp_path / f"gen-{i:03}.properties"
        path.write_bytes(text.encode("utf-8"))
        files.append(path)
    jvm = _jvm_parse(files)
    mismatches = [
        (path.name, jvm[i], _ours(path)) for i, path in enumerate(files) if jvm[i] != _ours(path)
    ]
    assert mismatches == [], mismatches[:5]
    # The corpus is not trivially empty: the JVM read real entries from it.
    assert sum(len(v) for v in jvm.values() if isinstance(v, dict)) > 400
