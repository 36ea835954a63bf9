"""Scan a fleet of endpoints concurrently: bounded connections per host (all of its ports
together) and overall, one result each (an error or observations), progress on stderr."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO

from triplock.facts.tls import Endpoint
from triplock.tlsscan.connector import Limits, Target
from triplock.tlsscan.probe import probe

Progress = Callable[[int, int], None]
PROBE_PARALLELISM = 5
PROGRESS_AFTER = 2.0  # seconds before a run starts reporting progress


def stderr_progress(stream: TextIO = sys.stderr) -> Progress:
    """Report progress when the run is long enough for a person to wonder."""
    started = time.monotonic()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - started < PROGRESS_AFTER or (now - last[0] < 1.0 and done < total):
            return
        last[0] = now
        stream.write(f"triplock scan: {done}/{total} endpoints ({now - started:.0f} s)\n")
        stream.flush()

    return report


async def scan_async(
    targets: list[Target], limits: Limits, progress: Progress | None = None
) -> list[Endpoint]:
    overall = asyncio.Semaphore(limits.overall)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_host))
    # Endpoints in flight are bounded too: the full handshakes of each hold a worker thread.
    # One endpoint's probe keeps up to about PROBE_PARALLELISM exchanges going at once.
    workers = max(1, min(64, limits.overall // PROBE_PARALLELISM))
    active = asyncio.Semaphore(workers)
    done = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="triplock-tls") as pool:

        async def one(target: Target) -> Endpoint:
            nonlocal done
            async with active:
                endpoint = await probe(target, limits, overall, per_host[target.host.lower()], pool)
            done += 1
            if progress is not None:
                progress(done, len(targets))
            return endpoint

        return list(await asyncio.gather(*(one(t) for t in targets)))


def scan(targets: list[Target], limits: Limits, progress: Progress | None = None) -> list[Endpoint]:
    return asyncio.run(scan_async(targets, limits, progress))
