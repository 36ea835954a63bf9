"""The walk as the pool takes it: only the files handed out and not yet merged are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from triplock import workers
from triplock.audit import AuditOptions
from triplock.inventory import Inventory
from triplock.workers import merge, pool


def test_the_walk_keeps_only_the_files_not_yet_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk of many files keeps those handed out and not yet merged, not every file found:
    on a large tree, a list entry a file would grow with the tree."""
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 2)
    walks: list[merge.Walk] = []
    most: list[int] = []

    class Watched(merge.Walk):
        def __init__(self, options: AuditOptions) -> None:
            super().__init__(options)
            walks.append(self)

        def release(self, count: int) -> None:
            most.append(len(self._files))
            super().release(count)

    monkeypatch.setattr(pool, "Walk", Watched)
    for i in range(60):
        (tmp_path / f"spark-{i}.conf").write_text(f"spark.app.name a{i}\n")
    inventory = Inventory()
    options = AuditOptions(paths=[str(tmp_path)], jobs=2)
    assert workers.read_on_workers(options, inventory, []) is not None
    (walk,) = walks
    assert (walk.found, walk.released, len(inventory.inputs)) == (60, 60, 60)
    assert max(most) <= (pool.IN_FLIGHT * 2 + 2) * 2  # the chunks out, and the next one
