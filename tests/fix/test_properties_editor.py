"""The properties editor: minimal edits, byte for byte elsewhere, read back by the real
java.util.Properties (the differential harness of tests/sources/test_properties_jvm.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.jvm import PROPERTIES_CORPUS as CORPUS
from tests.helpers.jvm import generated_properties as _generated
from tests.helpers.jvm import jvm_parse_properties as _jvm_parse
from triplock.fix.interface import Edit, EditorError
from triplock.fix.properties import EDITOR
from triplock.model import Finding, FixAction, Location, Severity, Status
from triplock.rules.registry import all_rules
from triplock.sources.properties import MalformedProperties, parse_properties

_RULE = all_rules()[0].meta


def _edit(action: FixAction, key: str, value: str | None = None) -> Edit:
    finding = Finding(_RULE, Status.FAIL, "m", Location("x.conf", 1), Severity.HIGH)
    return Edit(finding, action, key, value)


def _set(key: str, value: str) -> Edit:
    return _edit(FixAction.SET, key, value)


def _unset(key: str) -> Edit:
    return _edit(FixAction.UNSET, key)


def test_set_keeps_key_separator_and_every_other_byte() -> None:
    text = (
        "# comment = x\nspark.a   true\n  spark.b : off\r\n! other comment\nspark.c=1\n\nspark.d\tv"
    )
    edited = EDITOR.apply(text, "spark-conf", [_set("spark.b", "on"), _set("spark.c", "2")])
    assert edited.text == text.replace("spark.b : off", "spark.b : on").replace("c=1", "c=2")
    assert [(c.before, c.after) for c in edited.changes] == [(3, 3), (5, 5)]


def test_set_of_a_continued_value_replaces_all_its_lines() -> None:
    text = "a=1\nspark.x = one,\\\n    two,\\\n    three\nb=2\n"
    edited = EDITOR.apply(text, "spark-conf", [_set("spark.x", "four")])
    assert edited.text == "a=1\nspark.x = four\nb=2\n"


def test_unset_removes_every_occurrence_and_continuations_only() -> None:
    text = "# keep\nspark.s=1\nk=v\nspark.s = two \\\n  lines\n# keep too\n"
    edited = EDITOR.apply(text, "spark-conf", [_unset("spark.s")])
    assert edited.text == "# keep\nk=v\n# keep too\n"
    assert [(c.before, c.after) for c in edited.changes] == [(2, None), (4, None)]


def test_append_uses_the_files_aligned_separator_and_newline() -> None:
    text = "spark.master        local\r\nspark.app.name      x"
    edited = EDITOR.apply(text, "spark-conf", [_set("spark.io.encryption.enabled", "true")])
    assert edited.text == (
        "spark.master        local\r\nspark.app.name      x\r\nspark.io.encryption.enabled true\r\n"
    )
    assert [(c.before, c.after) for c in edited.changes] == [(None, 3)]


def test_hadoop_key_in_a_spark_conf_is_its_spark_hadoop_form() -> None:
    text = "spark.hadoop.fs.s3a.secret.key=abc\n"
    assert EDITOR.apply(text, "spark-conf", [_unset("fs.s3a.secret.key")]).text == ""
    added = EDITOR.apply("", "spark-conf", [_set("fs.s3a.encryption.algorithm", "SSE-KMS")])
    assert added.text == "spark.hadoop.fs.s3a.encryption.algorithm=SSE-KMS\n"


def test_an_edit_already_in_effect_changes_nothing() -> None:
    text = "spark.a true\n"
    edited = EDITOR.apply(text, "spark-conf", [_set("spark.a", "true"), _unset("spark.b")])
    assert edited.text == text and edited.changes == ()


def test_a_malformed_file_is_refused() -> None:
    with pytest.raises(EditorError):
        EDITOR.apply("a=\\u00zz\n", "spark-conf", [_set("a", "b")])


def test_masked_hides_secret_values_on_every_line_of_an_entry() -> None:
    text = "spark.authenticate.secret   8f2b1d7e9c3a\\\n    4f6b0e5d2c1a9b8e7f6d\nspark.a true\n"
    shown = EDITOR.masked(text)
    assert "8f2b1d7e9c3a" not in shown and "4f6b0e5d" not in shown
    assert shown == "spark.authenticate.secret   ****\n\nspark.a true\n"


def _edits_for(entries: dict[str, str]) -> tuple[list[Edit], dict[str, str]]:
    """Set the first key, unset the second, add a new one; and what the JVM must then read."""
    keys = sorted(entries)
    edits = [_set("spark.added.key", "new value \\ with: = signs")]
    expected = dict(entries) | {"spark.added.key": "new value \\ with: = signs"}
    if keys:
        edits.append(_set(keys[0], " changed\tvalue"))
        expected[keys[0]] = " changed\tvalue"
    if len(keys) > 1:
        edits.append(_unset(keys[1]))
        del expected[keys[1]]
    return edits, expected


@pytest.mark.jvm
def test_edited_files_read_by_java_util_properties(tmp_path: Path) -> None:
    sources = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.properties"))]
    sources += _generated(300)
    edited_paths: list[Path] = []
    expected: list[dict[str, str]] = []
    for i, text in enumerate(sources):
        try:
            entries = {p.key: p.value for p in parse_properties(text)}
        except MalformedProperties:
            continue
        if "" in entries or any(k.startswith("spark.added") for k in entries):
            continue
        edits, wanted = _edits_for(entries)
        path = tmp_path / f"edited-{i:03}.properties"
        path.write_bytes(EDITOR.apply(text, "plain", edits).text.encode("utf-8"))
        edited_paths.append(path)
        expected.append(wanted)
    assert len(edited_paths) > 150
    jvm = _jvm_parse(edited_paths)
    mismatches = [
        (path.name, jvm[i], expected[i])
        for i, path in enumerate(edited_paths)
        if jvm[i] != expected[i]
    ]
    assert mismatches == [], mismatches[:3]
