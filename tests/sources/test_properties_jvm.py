"""Differential test: triplock's properties parser against the real JVM's java.util.Properties.

A committed corpus of tricky files plus a few hundred generated ones (seeded, so failures
reproduce) go through one `java LoadProperties.java` run; every key and value must agree, and a
file the JVM rejects must be rejected by triplock too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.jvm import PROPERTIES_CORPUS as CORPUS
from tests.helpers.jvm import generated_properties as _generated
from tests.helpers.jvm import jvm_parse_properties as _jvm_parse
from triplock.sources.properties import MalformedProperties, parse_properties


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
