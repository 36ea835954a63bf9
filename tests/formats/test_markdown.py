"""--format markdown: short, for a pull-request comment; input text cannot change the markup."""

from __future__ import annotations

from tests.helpers.sample import sample_result
from triplock.formats import markdown
from triplock.formats.markdown import render
from triplock.model import InputError


def test_headline_failing_table_and_folded_sections() -> None:
    text = render(sample_result())
    first = text.splitlines()[0]
    assert first.startswith("### triplock: 2 failing (1 critical, 1 high)")
    assert "1 unknown · 1 waived" in first
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| critical") or line.startswith("| high")
    ]
    assert len(rows) == 2
    assert "deploy/spark\\-defaults.conf:3" not in text  # '-' is not special
    assert "deploy/spark-defaults.conf:3" in text
    assert text.count("<details>") == text.count("</details>") == 6
    assert "lab cluster, no data" in text
    assert "expired 2020-01-01" in text
    assert "1 unused waivers (matched no finding)" in text and "TEST-009" in text


def test_input_text_is_escaped() -> None:
    text = render(sample_result())
    assert "<script>" not in text
    assert "\\<script\\>alert(1)\\</script\\>" in text
    assert "\\| \\*x\\*" in text
    assert "hunter2" not in text


def test_long_lists_are_cut() -> None:
    result = sample_result()
    failing = result.findings[0]
    result.findings = [
        failing.replace(location=failing.location._replace(line=i)) for i in range(1, 80)
    ]
    text = render(result)
    assert text.count("| high | TEST-001 |") == markdown.MAX_ROWS
    assert f"and {79 - markdown.MAX_ROWS} more" in text


def test_nothing_failing() -> None:
    result = sample_result()
    result.findings = [f for f in result.findings if not f.counts]
    assert "No failing findings." in render(result)


def test_fits_in_a_pull_request_comment() -> None:
    result = sample_result()
    failing = result.findings[0]
    long = failing.replace(message="x " * 2000)
    result.findings = [long.replace(location=long.location._replace(line=i)) for i in range(1, 80)]
    text = render(result)
    assert len(text) <= markdown.MAX_CHARS
    assert "more (see the full report)" in text


def test_control_characters_from_the_inputs_are_shown_escaped() -> None:
    # An OSC-8 hyperlink and a colour in a file name, a bell and a CSI in a value: a terminal
    # or a renderer showing the comment must see text, not sequences (as the table shows them).
    result = sample_result()
    link = "\x1b]8;;evil.example/\x1b\\innocent.conf\x1b]8;;\x1b\\"
    result.errors.append(InputError(link, "bad \x07 value \x9b2J"))
    result.findings[0] = result.findings[0].replace(
        location=result.findings[0].location._replace(path="deploy/\x1b[31mred.conf"),
    )
    text = render(result)
    assert "\\x1b\\]8;;evil.example/\\x1b\\\\innocent.conf\\x1b\\]8;;\\x1b\\\\:" in text
    assert "bad \\x07 value \\x9b2J" in text
    assert "deploy/\\x1b\\[31mred.conf" in text
    assert not any(c in text for c in "\x1b\x07\x9b")
