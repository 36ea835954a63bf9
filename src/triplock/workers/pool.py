"""The pool of `audit --jobs N`, run by the main process: the walk handed out in chunks of
files as it goes, the chunks merged back in walk order as they come, the workers stopped with
the audit (Ctrl-C included); a chunk a dead worker left is read here."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from triplock.inventory import Inventory
from triplock.rules.registry import Rule
from triplock.sources import all_sources
from triplock.sources.discovery import PROGRESS_EVERY, Walked, link_inputs, read_input
from triplock.sources.interface import Source
from triplock.workers.merge import Merge, Walk
from triplock.workers.prejudged import Prejudged
from triplock.workers.sent import ARRIVED, Chunk
from triplock.workers.worker import HELD, Setup, initialize, read, read_and_judge

if TYPE_CHECKING:
    from triplock.audit import AuditOptions

# Fewer files than this are read in the main process. Starting two workers cost ~35 ms of CPU
# (20 files: 0.047 s in one process, 0.083 s with workers), some 40 files' work; the margin is
# for a loaded machine, where a worker may wait for a core.
MIN_FILES = 200
CHUNK_FILES = 100  # files per task: small enough to share the work, large enough to batch
IN_FLIGHT = 4  # chunks a worker may have out (queued, read, or waiting to be merged)


def usable_cores() -> int:
    """The cores this process may run on (its affinity), the default of --jobs."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_on_workers(
    options: AuditOptions, inventory: Inventory, rules: list[Rule[Any]]
) -> Prejudged | None:
    """Read and link the inputs of `options.paths` into `inventory` as `discover` does, on
    `options.jobs` worker processes which also judge `rules` (per-input). None when the
    files were too few to be worth the workers and were read here."""
    sources = all_sources()
    walked = Walk(options)
    jobs = options.jobs or usable_cores()
    if not walked.until(MIN_FILES) or jobs == 1:
        _read_here(walked, sources, inventory, options)
        link_inputs(sources, inventory)
        return None
    setup = Setup(
        options.max_bytes,
        inventory.options,
        options.spark_version,
        tuple(r.meta.id for r in rules),
        gc.get_threshold(),
    )
    prejudged = Prejudged(rules, inventory, apart(options.paths))
    merged = Merge(inventory, walked, prejudged)
    _run(walked, jobs, setup, sources, merged, options)
    merged.finish()
    inventory.track_late()
    link_inputs(sources, inventory)
    return prejudged


def apart(paths: list[str]) -> bool:
    """Whether no path given is another one or inside another: the walk then finds no file
    under a name it found before, and each file is in one chunk."""
    normal = [os.path.normpath(path) for path in paths]
    given = set(normal)
    if len(given) < len(normal):
        return False
    for path in normal:
        parent = os.path.dirname(path)
        while parent != path:
            if parent in given:
                return False
            path, parent = parent, os.path.dirname(parent)
    return True


def _read_here(
    walked: Walk, sources: list[Source], inventory: Inventory, options: AuditOptions
) -> None:
    """Every file of the walk, the files already walked and the rest, read in this process
    and in walk order, as `discover` reads them."""
    merged = Merge(inventory, walked, None)
    walked.until(sys.maxsize)
    for index, found in enumerate(walked.files(0, walked.found)):
        merged.place_walk_errors(walked.mark(index))
        read_input(found, sources, inventory, options.max_bytes)
        if options.progress is not None and (index + 1) % PROGRESS_EVERY == 0:
            options.progress(index + 1)
    merged.finish()


def _run(
    walked: Walk,
    jobs: int,
    setup: Setup,
    sources: list[Source],
    merged: Merge,
    options: AuditOptions,
) -> None:
    """Hand out each chunk as soon as the walk has found its files (the workers read while
    this process walks on), and merge the chunks in walk order as they come back; no more than
    IN_FLIGHT chunks a worker are out at once, so that what they send back waits in memory
    only that long."""
    context = multiprocessing.get_context(_start_method())
    walked.until(jobs * CHUNK_FILES)  # no more workers than chunks
    jobs = min(jobs, -(-walked.found // CHUNK_FILES))
    executor = ProcessPoolExecutor(jobs, context, initializer=initialize, initargs=(setup,))
    # The objects of this process so far (modules, rules, sources) are left out of the
    # collector's passes: in a forked worker, a pass would write to every one of their pages,
    # copying them; here, there is nothing to collect among them.
    gc.freeze()
    try:
        pending: deque[tuple[int, Future[Chunk] | None]] = deque()
        handed = 0  # files handed out
        walking = True
        while walking or pending:
            walking = walked.until(handed + CHUNK_FILES)
            if walked.found > handed:
                files = walked.files(handed, CHUNK_FILES)
                pending.append((handed, _submit(executor, files)))
                handed += len(files)
            while pending and (len(pending) > IN_FLIGHT * jobs or not walking):
                start, task = pending.popleft()
                files = walked.files(start, CHUNK_FILES)
                merged.add(_result(task, files, sources, setup), start)
                walked.release(len(files))
                done = start + len(files)
                if (
                    options.progress is not None
                    and done // PROGRESS_EVERY > start // PROGRESS_EVERY
                ):
                    options.progress(done)
    except BaseException:  # Ctrl-C included: no worker outlives the audit
        _stop(executor)
        raise
    finally:
        ARRIVED.clear()
        gc.unfreeze()
    executor.shutdown()


def _submit(executor: ProcessPoolExecutor, files: list[Walked]) -> Future[Chunk] | None:
    """A chunk handed to the workers; None once the pool is broken (a worker died), when the
    chunk is read in this process."""
    # A Ctrl-C or SIGTERM waits until the workers exist (see HELD); it is raised here on
    # unblocking, and stops them.
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        return executor.submit(read_and_judge, files)
    except BrokenProcessPool:
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)


def _start_method() -> str:
    """`fork` when this process runs one thread (an audit's case): the workers start at once
    with the sources and rules already imported. Otherwise a fork would copy other threads'
    locks in whatever state they are, so workers come from a fork server."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "forkserver"


def _result(
    task: Future[Chunk] | None, files: list[Walked], sources: list[Source], setup: Setup
) -> Chunk:
    """A worker's chunk; if the worker failed (it died, or its result could not be sent) or
    the chunk was never handed out, it is read here, as one process reads it."""
    try:
        if task is not None:
            return task.result()
    except Exception:
        pass
    return read(files, sources, setup.max_bytes, setup.options)[1]


def _stop(executor: ProcessPoolExecutor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
