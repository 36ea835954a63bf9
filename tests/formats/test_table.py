"""--format table: the checklist, findings by file with evidence, fix and waiver, wrapped to the
width; colour only on request; text from the inputs can neither style nor control the terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.helpers.sample import sample_result
from triplock.formats.table import _wrap, render
from triplock.model import InputError

SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_findings_by_file_with_evidence_fix_waiver_and_sections() -> None:
    text = render(sample_result(), width=100)
    assert "Secure Your Services checklist" in text
    lines = text.splitlines()
    header = lines.index("deploy/spark-defaults.conf")
    assert lines[header + 1].startswith(
        "      3  FAIL    high     TEST-001 spark.authenticate is false"
    )
    assert lines[header + 2] == "           evidence: spark.authenticate=false"
    assert lines[header + 3] == "           fix: set spark.authenticate=true"
    assert "      2  WAIVED  medium   TEST-003 spark.io.encryption.enabled is false" in lines
    assert "           waived: lab cluster, no data" in lines
    assert "  deploy/broken.xml: hadoop-xml: not well-formed\\x01 (line 3)" in lines
    assert "  .triplock.yaml:9: waiver of TEST-009 matched no finding (fixed)" in lines
    assert lines[-1] == (
        "2 inputs, 2 failing findings (1 critical, 1 high), 1 unknown, 1 waived, 1 input errors"
    )
    assert "\x1b" not in text
    assert "RPC authentication: spark.authenticate=true" not in text  # passes are not listed


def test_colour_only_when_asked() -> None:
    text = render(sample_result(), color=True, width=100)
    assert "\x1b[1;31mFAIL    \x1b[0m\x1b[31mhigh     \x1b[0m\x1b[1mTEST-001 \x1b[0m" in text
    assert "\x1b[35mWAIVED  \x1b[0m" in text
    assert SGR.sub("", text) == render(sample_result(), width=100)


@pytest.mark.parametrize("width", [100, 140])
def test_every_line_fits_the_width(width: int) -> None:
    result = sample_result()
    long_word = "/very/" + "long" * 60 + "/path.conf"
    result.findings[0] = result.findings[0].replace(message=f"see {long_word} " + "word " * 80)
    text = render(result, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert long_word in text.replace("\n", "").replace(" " * 11, "")  # cut, not lost


def test_input_text_cannot_style_or_control_the_terminal() -> None:
    result = sample_result()
    result.errors.append(InputError("[/bold]odd[red].conf", "bad \x1b]0;owned\x07 title \x1b[2J"))
    result.findings[0] = result.findings[0].replace(message="[bold]x[/] \x1b[31mred\x9b")
    for color in (False, True):
        text = render(result, color=color, width=120)
        assert "[/bold]odd[red].conf: bad \\x1b]0;owned\\x07 title \\x1b[2J" in text
        assert "[bold]x[/] \\x1b[31mred\\x9b" in text
        # The only escape sequences are the report's own colours.
        assert "\x1b" not in SGR.sub("", text) and "\x07" not in text and "\x9b" not in text


def test_wrap_offsets() -> None:
    text = "  12  FAIL alpha beta gamma"
    lines = [text[a:b] for a, b in _wrap(text, 16, 4)]
    assert lines == ["  12  FAIL alpha", "beta gamma"]
    word = "abcdefghij"
    assert [word[a:b] for a, b in _wrap(word, 4, 0)] == ["abcd", "efgh", "ij"]
    assert _wrap("short", 80, 4) == [(0, 5)]


def test_controls_no_input_spoke_to_are_one_line(tmp_path: Path) -> None:
    conf = tmp_path / "spark-defaults.conf"
    conf.write_text("spark.authenticate false\n")
    out = run_cli("audit", str(conf), "--format", "table").out
    checklist = out.split("Not assessed by these inputs")[0]
    assert "spark.authentication" in checklist
    assert "k8s.rbac" not in checklist and "use.tee" not in checklist
    line = " ".join(out.split("Not assessed by these inputs")[1].split("\n\n")[0].split())
    assert line.startswith("(17 of 23 controls):")
    assert "k8s.rbac" in line and "use.tee" in line and "spark.authentication" not in line


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("width", [40, 120])
def test_texts_laid_out_once_are_the_same_lines_each_time(
    color: bool, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines of a repeated evidence, fix or waiver text are kept: a finding shows them
    as if they were laid out afresh, whatever the finding before it showed."""
    from tests.helpers.sample import every_kind_of_finding, result_with
    from triplock.formats import table

    result = result_with(every_kind_of_finding())
    # one text in three styles (expired: magenta, unused: dim, fixed: green)
    same = "a waiver text long enough to be wrapped on a narrow terminal, in three sections"
    result.expired_waivers = result.unused_waivers = result.baseline_fixed = [same]
    kept = render(result, color=color, width=width)

    def afresh(lines: table._Lines, text: str, style: str = "", indent: str = "") -> None:
        lines.add_parts([(text, style)], indent)

    monkeypatch.setattr(table._Lines, "add", afresh)  # nothing kept: every text laid out again
    assert render(result, color=color, width=width) == kept
    assert kept.count("fix:") >= 30  # repeated texts, reused
