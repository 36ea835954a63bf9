"""The source contract: every source claims in one of the named bands of sources/interface.py
(docs/architecture.md, "Source claim order"), never at a bare number."""

from __future__ import annotations

from triplock.sources import all_sources, interface

# In the order docs/architecture.md lists them.
BANDS = [
    interface.SIGNATURE,
    interface.OWN_KEYS,
    interface.PROPERTIES,
    interface.LAYOUT,
    interface.TOOL_KEYS,
    interface.SECTIONS,
    interface.ENV_NAME,
    interface.DOCUMENT,
    interface.BUILD,
    interface.SCRIPT,
    interface.LAST_RESORT,
]


def test_every_source_claims_in_a_named_band() -> None:
    sources = all_sources()
    assert sources
    assert {s.kind: s.priority for s in sources if s.priority not in BANDS} == {}


def test_the_bands_are_distinct_and_ordered_as_documented() -> None:
    assert sorted(set(BANDS)) == BANDS
