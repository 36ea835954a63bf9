from __future__ import annotations

import random

import pytest

from triplock.sources.properties import (
    MalformedProperties,
    _jdk_logical_lines,
    _plain_logical_lines,
    parse_properties,
)


def as_dict(text: str) -> dict[str, tuple[str, int]]:
    return {p.key: (p.value, p.line) for p in parse_properties(text)}


def test_separators_and_whitespace() -> None:
    got = as_dict("a=1\nb : 2\nc 3\n  d\t=\t4\ne\n")
    assert got == {"a": ("1", 1), "b": ("2", 2), "c": ("3", 3), "d": ("4", 4), "e": ("", 5)}


def test_comments_and_continuations_keep_start_line() -> None:
    text = "# comment\n! bang\nkey = one \\\n    two \\\n three\nnext=x\n"
    got = as_dict(text)
    assert got["key"] == ("one two three", 3)
    assert got["next"] == ("x", 6)


def test_escapes() -> None:
    got = as_dict("k\\=ey=v\\tal\\u0041\\\\\n")
    assert got == {"k=ey": ("v\talA\\", 1)}


def test_malformed_unicode_escape_is_an_error() -> None:
    with pytest.raises(MalformedProperties):
        parse_properties("a=\\u12\n")


def test_crlf_line_numbers() -> None:
    got = as_dict("a=1\r\n\r\nb=2\r\n")
    assert got == {"a": ("1", 1), "b": ("2", 3)}


def test_line_at_a_time_reading_matches_the_jdk_port() -> None:
    """Texts without backslashes or carriage returns are read a line at a time; what that
    gives must be what the character-by-character port of the JDK's reader gives."""
    rng = random.Random(18)
    pieces = ["a", "k.e-y", "=", ":", " ", "\t", "\f", "#", "!", "\n", "\n\n", "v a l", "=x"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30)))
        assert list(_plain_logical_lines(text)) == list(_jdk_logical_lines(text)), repr(text)
