"""The main process's side of the walk: the files found, handed out and not yet merged, and the
chunks put together in walk order, interleaved with the walk's own errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triplock.inventory import Inventory
from triplock.sources.discovery import Walked, walk
from triplock.workers.sent import Chunk

if TYPE_CHECKING:
    from triplock.audit import AuditOptions
    from triplock.workers.prejudged import Prejudged


class Walk:
    """The walk of the paths, taken as far as the files handed out need: its errors are kept
    apart (the chunks' own go among them, file by file), each file with the count of them
    recorded before it. Only the files not yet merged are kept: files are numbered from the
    walk's start, and the first `released` of them are forgotten."""

    def __init__(self, options: AuditOptions) -> None:
        self.record = Inventory()
        self.released = 0
        self._files: list[Walked] = []  # the files from `released` on
        self._marks: list[int] = []  # for each of them, the walk's errors recorded before it
        self._next = walk(options.paths, self.record, options.skip_paths, options.follow_symlinks)

    @property
    def found(self) -> int:
        """The files found so far."""
        return self.released + len(self._files)

    def files(self, start: int, count: int) -> list[Walked]:
        return self._files[start - self.released : start - self.released + count]

    def mark(self, index: int) -> int:
        """The walk's errors recorded before file `index`."""
        return self._marks[index - self.released]

    def release(self, count: int) -> None:
        """Forget the first `count` files kept (merged: their paths live on in the facts and
        input records, which hold the workers' copies)."""
        del self._files[:count], self._marks[:count]
        self.released += count

    def until(self, count: int) -> bool:
        """Walk on until `count` files are found; False if the walk ended before."""
        for found in self._next if self.found < count else ():
            self._marks.append(len(self.record.errors))
            self._files.append(found)
            if self.found >= count:
                break
        return self.found >= count


class Merge:
    """The chunks put together in walk order: facts, input records, and errors interleaved
    with the walk's own as one process records them."""

    def __init__(self, inventory: Inventory, walked: Walk, prejudged: Prejudged | None) -> None:
        self.inventory = inventory
        self.walk_errors = walked.record.errors
        self.placed = 0  # walk errors already placed
        self.prejudged = prejudged
        self.walked = walked

    def add(self, chunk: Chunk, start: int) -> None:
        for index, error in chunk.errors:
            self.place_walk_errors(self.walked.mark(start + index))
            self.inventory.errors.append(error)
        self.inventory.inputs += chunk.inputs
        for fact in chunk.facts:
            self.inventory.add(fact)
        if self.prejudged is None:
            return
        if chunk.from_worker:
            self.prejudged.receive(chunk)
        else:
            self.prejudged.local.update(map(id, chunk.facts))

    def finish(self) -> None:
        self.place_walk_errors(len(self.walk_errors))
        self.inventory.skipped += self.walked.record.skipped

    def place_walk_errors(self, mark: int) -> None:
        """The walk's errors recorded before the file with `mark` of them."""
        self.inventory.errors += self.walk_errors[self.placed : mark]
        self.placed = max(self.placed, mark)
