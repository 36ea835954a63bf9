"""The Hadoop XML editor: text edits of one <property>, never a re-serialised document; the
real Hadoop Configuration (tests/fixtures/hadoop/ConfDump.java, as in the differential test of
the source) reads every changed key with its new value and every other key unchanged."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, need, need_command
from tests.helpers.jvm import HADOOP_JARS as JARS
from tests.helpers.jvm import HADOOP_PROGRAM as PROGRAM
from triplock.facts.hadoop import current_name
from triplock.fix.hadoop_xml import EDITOR
from triplock.fix.interface import Edit, EditorError
from triplock.model import Finding, FixAction, Location, Severity, Status
from triplock.rules.registry import all_rules

_RULE = all_rules()[0].meta


def _edit(action: FixAction, key: str, value: str | None = None) -> Edit:
    finding = Finding(_RULE, Status.FAIL, "m", Location("x.xml", 1), Severity.HIGH)
    return Edit(finding, action, key, value)


MULTI = """<?xml version="1.0"?>
<!-- keep me <property><name>a</name><value>in a comment</value></property> -->
<configuration>
  <property>
    <name>hadoop.rpc.protection</name>
    <value>authentication</value>
    <description>keep</description>
  </property>

  <property>
    <name>dfs.permissions.enabled</name>
    <value>false</value>
  </property>
</configuration>
"""


def test_set_changes_only_the_value_text() -> None:
    edited = EDITOR.apply(
        MULTI, "hadoop-xml", [_edit(FixAction.SET, "hadoop.rpc.protection", "privacy")]
    )
    assert edited.text == MULTI.replace(">authentication<", ">privacy<")
    assert [(c.before, c.after) for c in edited.changes] == [(6, 6)]


def test_unset_removes_the_element_with_its_lines_only() -> None:
    edited = EDITOR.apply(MULTI, "hadoop-xml", [_edit(FixAction.UNSET, "dfs.permissions.enabled")])
    assert edited.text == MULTI.replace(
        "  <property>\n    <name>dfs.permissions.enabled</name>\n    <value>false</value>\n"
        "  </property>\n",
        "",
    )
    assert [(c.before, c.after) for c in edited.changes] == [(10, None)]


def test_a_new_property_follows_the_files_style_and_escapes() -> None:
    edited = EDITOR.apply(MULTI, "hadoop-xml", [_edit(FixAction.SET, "x.y", 'a<b&"c"')])
    assert edited.text.endswith(
        "  <property>\n    <name>x.y</name>\n    <value>a&lt;b&amp;&quot;c&quot;</value>\n"
        "  </property>\n</configuration>\n"
    )
    one_line = "<configuration>\n\t<property><name>a</name><value>1</value></property>\n"
    one_line += "</configuration>"
    added = EDITOR.apply(one_line, "hadoop-xml", [_edit(FixAction.SET, "b", "2")])
    assert added.text == one_line.replace(
        "</configuration>",
        "\t<property><name>b</name><value>2</value></property>\n</configuration>",
    )
    assert [(c.before, c.after) for c in added.changes] == [(3, 3)]


def test_a_deprecated_name_is_the_key_it_stands_for() -> None:
    text = "<configuration><property><name>dfs.permissions</name><value>false</value>"
    text += "</property></configuration>"
    edited = EDITOR.apply(
        text, "hadoop-xml", [_edit(FixAction.SET, "dfs.permissions.enabled", "true")]
    )
    assert edited.text == text.replace(">false<", ">true<")


def test_comments_are_not_properties_and_masked_hides_secrets() -> None:
    text = MULTI.replace(
        "</configuration>",
        "  <property><name>ssl.server.keystore.password"
        "</name><value>hunter2-CANARY</value></property>\n</configuration>",
    )
    edited = EDITOR.apply(text, "hadoop-xml", [_edit(FixAction.UNSET, "a")])
    assert edited.text == text and edited.changes == ()
    assert "hunter2" not in EDITOR.masked(text)
    assert EDITOR.masked(text).count("\n") == text.count("\n")


def test_malformed_xml_is_refused() -> None:
    with pytest.raises(EditorError):
        EDITOR.apply("<configuration><property>", "hadoop-xml", [_edit(FixAction.UNSET, "a")])


_FILES = sorted(
    p
    for p in [
        *(ROOT / "tests/fixtures/hadoop").glob("*/*.xml"),
        *(ROOT / "examples/spark-on-k8s/insecure/hadoop").glob("*.xml"),
    ]
    if "xi:include" not in p.read_text()
)
_NAME = re.compile(r"<name>\s*([^<]+?)\s*</name>")


def _dump(files: list[tuple[str, Path, list[str]]]) -> dict[str, dict[str, str | None]]:
    java = need_command("java")
    need(any(JARS.glob("hadoop-client-api-*.jar")), "pyspark's hadoop-client-api jar")
    spec: list[str] = ["hdfs"]  # deprecated names known, as every HDFS daemon loads them
    for name, path, keys in files:
        spec += [f"conf {name}", f"file {path}", *(f"key {k}" for k in keys), "end"]
    done = subprocess.run(
        [java, "-cp", f"{JARS}/*", str(PROGRAM)],
        input="\n".join(spec) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out: dict[str, dict[str, str | None]] = {}
    for line in done.stdout.splitlines():
        case, key, _final, value = line.split("\t")
        out.setdefault(case, {})[key] = None if value == "<null>" else value
    return out


@pytest.mark.jvm
def test_hadoop_configuration_reads_the_edited_files(tmp_path: Path) -> None:
    cases: list[tuple[str, Path, list[str]]] = []
    expected: dict[str, dict[str, str | None]] = {}
    empty = tmp_path / "empty.xml"
    empty.write_text("<configuration/>")
    for i, original in enumerate(_FILES):
        text = original.read_text()
        names = [n for n in dict.fromkeys(_NAME.findall(text)) if f"${{{n}}}" not in text]
        # One key changed, another (not a name of the same key) removed, one added.
        unset = [n for n in names[1:] if current_name(n) != current_name(names[0])][:1]
        edits = [_edit(FixAction.SET, "triplock.fix.added", "new & <value>")]
        edits += [_edit(FixAction.SET, n, f"changed-{n}") for n in names[:1]]
        edits += [_edit(FixAction.UNSET, n) for n in unset]
        edited = tmp_path / f"{i}-{original.name}"
        edited.write_text(EDITOR.apply(text, "hadoop-xml", edits).text)
        keys = [*names, "triplock.fix.added"]
        cases += [(f"before-{i}", original, keys), (f"after-{i}", edited, keys)]
        # Every name of an unset key falls back to its default; every name of a set key reads
        # the new value.
        gone = [n for n in names if unset and current_name(n) == current_name(unset[0])]
        cases.append((f"defaults-{i}", empty, gone))
        expected[str(i)] = {"triplock.fix.added": "new & <value>"}
        expected[str(i)] |= {
            n: f"changed-{names[0]}" for n in names if current_name(n) == current_name(names[0])
        }
    assert len(_FILES) >= 10
    dumped = _dump(cases)
    for i in expected:
        before, after = dumped[f"before-{i}"], dumped[f"after-{i}"]
        wanted = before | expected[i] | dumped.get(f"defaults-{i}", {})
        assert after == wanted, (i, _FILES[int(i)])
