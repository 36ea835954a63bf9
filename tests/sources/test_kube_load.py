"""The YAML loader's fast path (sources/kube_load.py): implicit types as YAML 1.1 has them,
the line of every key and item, merge keys, complex keys and the alias budget."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from triplock.facts.kube import YList, YMap
from triplock.sources.interface import SourceError
from triplock.sources.kube_load import load_documents


def _one(text: str) -> YMap:
    (doc,) = load_documents(text)
    return doc


def test_only_booleans_and_nulls_are_implicit_types() -> None:
    doc = _one(
        "kind: X\na: yes\nb: 'yes'\nc: !!str on\nd: ~\ne:\nf: 0755\ng: y\nh: Off\ni: 1.10\n"
        'j: "null"\nk: NULL\n'
    )
    assert dict(doc) == {
        "kind": "X",
        "a": True,
        "b": "yes",
        "c": "on",
        "d": None,
        "e": None,
        "f": "0755",
        "g": "y",
        "h": False,
        "i": "1.10",
        "j": "null",
        "k": None,
    }


def test_every_key_and_item_keeps_its_line() -> None:
    doc = _one("kind: X\nitems:\n- plain\n- |\n  block text\n- >\n  folded\n- {a: 1}\n- [b]\n")
    items = doc.list("items")
    assert (doc.line_of("kind"), doc.line_of("items"), items.line) == (1, 2, 3)
    # a block scalar's text starts on the line below its indicator
    assert items.lines == [3, 5, 7, 8, 9]
    assert items == ["plain", "block text\n", "folded\n", {"a": "1"}, ["b"]]
    nested = items[3]
    assert isinstance(nested, YMap) and (nested.line, nested.line_of("a")) == (8, 8)


def test_merge_keys_from_a_list_keep_the_first_value_and_its_line() -> None:
    doc = _one("kind: X\na: &a {p: 1}\nb: &b\n  p: 2\n  q: 2\nm:\n  <<: [*a, *b]\n  r: 3\n")
    merged = doc.map("m")
    assert merged == {"r": "3", "p": "1", "q": "2"}
    assert merged is not None and [merged.line_of(k) for k in ("r", "p", "q")] == [8, 2, 5]


def test_a_complex_key_is_read_as_text() -> None:
    doc = _one("kind: X\n? [a, b]\n: c\n")
    assert doc["['a', 'b']"] == "c"


def test_a_mapping_as_a_flow_key_is_an_unrendered_helm_action() -> None:
    with pytest.raises(SourceError, match="line 2: unrendered Helm template"):
        list(load_documents("kind: X\nmeta: { {a: 1}: 2 }\n"))


def test_helm_actions_in_plain_keys_are_refused_and_quoted_ones_read() -> None:
    with pytest.raises(SourceError, match="line 3: unrendered Helm template"):
        list(load_documents("kind: X\nlabels:\n  {{ .Values.key }}x: 1\n"))
    assert _one("kind: X\n'{{ a }}': '{{ b }}'\n")["{{ a }}"] == "{{ b }}"


def test_aliases_within_the_budget_are_expanded_into_separate_trees() -> None:
    # 9**3 = 729 leaves through three levels of aliases: far below a real manifest's budget
    text = 'kind: X\na: &a ["x","x","x","x","x","x","x","x","x"]\n'
    text += "b: &b [" + ",".join(["*a"] * 9) + "]\n"
    text += "c: [" + ",".join(["*b"] * 9) + "]\n"
    doc = _one(text)
    leaves = [leaf for b in doc.list("c") for a in b for leaf in a]
    assert len(leaves) == 729 and set(leaves) == {"x"}
    # each copy is its own tree, with the lines of the anchored node it copies
    first, second = doc.list("c")[0], doc.list("c")[1]
    assert isinstance(first, YList) and first is not second and first.lines == [2] * 9


def test_the_alias_budget_counts_every_node_once() -> None:
    # Each level multiplies the expansion by 9: the budget (the text's size plus 10,000 node
    # visits) holds 9**4 leaves and refuses 9**5, both from texts of a few hundred bytes.
    def laughs(levels: int) -> str:
        text = 'kind: X\nl0: &l0 ["x","x","x","x","x","x","x","x","x"]\n'
        for i in range(1, levels):
            text += f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n"
        return text

    assert len(_one(laughs(4))) == 5
    with pytest.raises(SourceError, match="alias bomb"):
        list(load_documents(laughs(5)))


def test_a_list_document_is_read_an_item_at_a_time() -> None:
    """A cluster dump is one `kind: List` document: read from the parser's events, no graph
    of the whole document is held on the way, so the most memory the reading takes is little
    more than what it returns (a node graph of it took three times that again)."""
    items = "".join(
        f"- kind: ConfigMap\n  metadata: {{name: c{i}, namespace: n}}\n  data:\n    a: '1'\n"
        for i in range(2000)
    )
    text = "apiVersion: v1\nitems:\n" + items + "kind: List\n"
    tracemalloc.start()
    try:
        docs = list(load_documents(text))
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(docs) == 2000 and docs[-1].line == 2 + 4 * 1999 + 1
    assert peak < 1.5 * kept


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("kind: X\na: *nope\n", "line 2: malformed YAML: found undefined alias"),
        ("kind: X\na: &x 1\nb: &x 2\n", "line 3: malformed YAML: second occurrence"),
        ("kind: X\na: &r [1, *r]\n", "line 2: recursive YAML alias"),
        ("kind: X\na: &r\n  b: *r\n", "line 2: recursive YAML alias"),
        ("kind: X\nm: &r { *r : 1 }\n", "line 2: unrendered Helm template"),
    ],
)
def test_aliases_that_cannot_be_read_are_errors_with_their_line(text: str, error: str) -> None:
    with pytest.raises(SourceError, match=re.escape(error)):
        list(load_documents(text))


def test_an_alias_reads_its_anchor_where_it_was_written() -> None:
    """An alias of a scalar is the scalar as its anchor wrote it (a block's text a line
    below), as a key or an item; anchors are a document's own."""
    doc = _one("kind: X\na: &b |\n  text\n&k name: 1\n*k : 2\nl:\n- *b\n- &i {p: 1}\n- *i\n")
    assert doc["a"] == "text\n" and doc["name"] == "2"
    assert doc.list("l").lines == [3, 8, 8]
    assert _duplicates("kind: X\n&k name: 1\n*k : 2\n") == {(2, "name")}  # the anchor's line
    with pytest.raises(SourceError, match="found undefined alias"):
        list(load_documents("a: &x 1\n---\nb: *x\n"))


def _duplicates(text: str) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    list(load_documents(text, found))
    return found
