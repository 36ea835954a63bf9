"""What the tests of the worker processes share: every run on workers, and what they judged."""

from __future__ import annotations

from typing import Any

import pytest

from triplock import workers
from triplock.workers import pool


@pytest.fixture
def every_run_on_workers(monkeypatch: pytest.MonkeyPatch) -> list[workers.Prejudged]:
    """The pool for any number of files, in chunks of 7 files (so that files one links to
    another sit in different chunks); collects what the workers judged, run by run."""
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 7)
    seen: list[workers.Prejudged] = []
    read_on_workers = workers.read_on_workers

    def spy(*args: Any) -> workers.Prejudged | None:
        prejudged = read_on_workers(*args)
        if prejudged is not None:
            seen.append(prejudged)
            prejudged.judged_facts = sum(len(ids) for ids, _ in prejudged.found.values())  # type: ignore[attr-defined]
        return prejudged

    monkeypatch.setattr(workers, "read_on_workers", spy)
    return seen
