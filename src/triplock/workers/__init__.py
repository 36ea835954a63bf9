"""The worker processes of `audit --jobs N`: inputs read and per-input rules judged in parallel.

The main process walks the paths (what cannot be walked is its error entry) and hands the files
out in chunks, in walk order. A worker reads each file of its chunk through the sources, as
discovery does, and judges the per-input rules (`Scope.PER_INPUT`) on the facts it read; it
sends back the facts, the input records, the errors and the outcomes (plain tuples, equal
values shared within the chunk). The main process merges the chunks in walk order, so that its
inventory is the one a single process builds, turns the outcomes into findings as they arrive
(while the workers still read), links the inputs, and judges (`audit.judge`): cross-input rules
on the whole inventory, per-input rules only where a worker's judgement does not hold — a fact
that linking added or changed (`Inventory.changed`), or a rule that read `ctx.inventory`
although it is not declared to.

One module a part: `pool` (the main process's scheduling), `worker` (a worker's task), `sent`
(what a chunk sends back, and how it is pickled), `merge` (the chunks put back in walk order),
`prejudged` (the workers' findings as the engine takes them).
"""

from triplock.workers.pool import apart, read_on_workers, usable_cores
from triplock.workers.prejudged import Prejudged
from triplock.workers.worker import CrossInputRead

__all__ = ["CrossInputRead", "Prejudged", "apart", "read_on_workers", "usable_cores"]
