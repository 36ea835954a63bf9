"""What `audit --jobs N` pays to hand a chunk's results back, next to what reading and judging
the chunk costs: N files of benchmarks/audit_speed.py, in chunks as the workers take them, all
in this one process (CPU seconds, so that a loaded machine shows the same ratios).

    python benchmarks/jobs_handoff.py [--files 4000]
    python benchmarks/jobs_handoff.py --tree benchmarks/.work/manifests-2000   # any tree

(the manifests are those benchmarks/k8s_vs_checkov.py generates).

- read + judge: the worker's task (sources, then every per-input rule on its facts);
- of which read: the sources alone;
- pickle (worker) and unpickle (main): one chunk's facts, records and outcomes, sent the way
  the pool sends them;
- merge + judge in main: the chunks merged in walk order, linking, and judge() taking the
  workers' outcomes (findings, their order, cross-input rules, the checklist).
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--tree", help="audit this tree instead of generated Spark files")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from multiprocessing.reduction import ForkingPickler

    from audit_speed import generate

    from triplock import workers
    from triplock.audit import AuditOptions, judge
    from triplock.inventory import Inventory, RunOptions
    from triplock.rules.registry import Scope, all_rules
    from triplock.sources import all_sources
    from triplock.sources.discovery import link_inputs
    from triplock.workers import merge, pool, worker

    gc.set_threshold(100_000, 50, 1000)  # as the CLI runs
    clock = time.process_time
    with tempfile.TemporaryDirectory() as tmp:
        root = args.tree or tmp
        if not args.tree:
            generate(Path(tmp), args.files)
        walked = merge.Walk(AuditOptions(paths=[root]))
        walked.until(sys.maxsize)
        files = walked.files(0, walked.found)
        rules = tuple(r.meta.id for r in all_rules() if r.scope is Scope.PER_INPUT)
        setup = worker.Setup(10 << 20, RunOptions(paths=(root,)), None, rules, gc.get_threshold())
        worker.initialize(setup)
        size = pool.CHUNK_FILES
        starts = range(0, len(files), size)
        t0 = clock()
        chunks = [worker.read_and_judge(files[s : s + size]) for s in starts]
        t1 = clock()
        for s in starts:
            worker.read(files[s : s + size], all_sources(), setup.max_bytes, setup.options)
        t2 = clock()
        sent = [bytes(ForkingPickler.dumps(chunk)) for chunk in chunks]
        t3 = clock()
        received = [pickle.loads(blob) for blob in sent]
        t4 = clock()
        inventory = Inventory()
        inventory.options = setup.options
        per_input = [r for r in all_rules() if r.meta.id in rules]
        prejudged = workers.Prejudged(per_input, inventory, workers.apart([root]))
        merged = merge.Merge(inventory, walked, prejudged)
        for start, chunk in zip(starts, received, strict=True):
            merged.add(chunk, start)
        merged.finish()
        link_inputs(all_sources(), inventory)
        judge(inventory, AuditOptions(paths=[root]), merged.prejudged)
        t5 = clock()
    work, handoff = t1 - t0, (t3 - t2) + (t4 - t3)
    print(f"{len(files):,} files in chunks of {size}, {sum(map(len, sent)) / 2**20:.1f} MiB sent\n")
    print("| step | CPU s |")
    print("|---|---|")
    for name, seconds in [
        ("read + judge (workers)", work),
        ("of which read", t2 - t1),
        ("pickle (workers)", t3 - t2),
        ("unpickle (main)", t4 - t3),
        ("merge, link, judge (main)", t5 - t4),
    ]:
        print(f"| {name} | {seconds:.2f} |")
    print(
        f"\nhand-off (pickle + unpickle): {handoff / work:.0%} of read + judge, "
        f"{handoff / (t2 - t1):.0%} of the read alone"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
