"""JSON and SARIF written in pieces: the pieces join to exactly the document encoded whole, for
batches of any size, and a large result comes out in many pieces (no one string holds it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.helpers import EXAMPLES
from triplock.audit import AuditOptions, audit
from triplock.formats import _stream, chunker
from triplock.formats import json as json_format
from triplock.formats import sarif as sarif_format
from triplock.formats._common import result_dict
from triplock.model import AuditResult


@pytest.fixture(scope="module")
def examples() -> AuditResult:
    return audit(AuditOptions(paths=[str(EXAMPLES)]))


def whole(value: Any) -> Any:
    """The document with every iterator in it made a list."""
    if isinstance(value, Iterator):
        return [whole(v) for v in value]
    if isinstance(value, dict):
        return {k: whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole(v) for v in value]
    return value


@pytest.mark.parametrize("batch", [1, 2, 7, 2000])
def test_json_pieces_join_to_the_whole_document(
    examples: AuditResult, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "_BATCH", batch)
    expected = orjson.dumps(result_dict(examples)).decode() + "\n"
    assert b"".join(json_format.chunks(examples)).decode() == expected
    assert json.loads(expected)["findings"]  # the examples have findings to stream


@pytest.mark.parametrize("batch", [1, 3, 2000])
def test_sarif_pieces_join_to_the_whole_log(
    examples: AuditResult, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "_BATCH", batch)
    log = whole(sarif_format.sarif(examples))
    expected = json.dumps(log, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert b"".join(sarif_format.chunks(examples)).decode() == expected
    assert log["runs"][0]["results"]


def test_a_large_result_comes_in_many_pieces(
    examples: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "_BATCH", 10)
    pieces = list(chunker("json")(examples))
    largest = max(len(p) for p in pieces)
    assert len(examples.findings) > 100
    assert largest < len(b"".join(pieces)) / 10


def test_formats_that_do_not_stream_are_their_text_in_one_piece(examples: AuditResult) -> None:
    from triplock.formats.markdown import render

    assert list(chunker("markdown")(examples)) == [render(examples).encode()]


def test_empty_arrays_and_nested_iterators() -> None:
    def document() -> dict[str, Any]:
        return {"a": iter([]), "b": [1, {"c": iter([{"d": "é"}, 2])}], "e": "x"}

    expected = orjson.dumps(whole(document())).decode()
    assert expected == '{"a":[],"b":[1,{"c":[{"d":"é"},2]}],"e":"x"}'
    assert b"".join(_stream.pieces(document(), orjson.dumps)).decode() == expected
