"""Start-up time: `triplock --version` (the lazy-import fast path) and `triplock rules` (which
loads every rule module), median of N runs each; then, in one process that imports what an
audit imports (an audit of an empty directory), the part of that start spent by the standard
library generating dataclasses' methods and compiling regular expressions (median of N runs).

    python benchmarks/startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# Run in a fresh interpreter: the time inside dataclasses._process_class and inside
# re._compiler.compile (cache misses only) while an empty audit runs; printed as JSON.
_BREAKDOWN = """
import dataclasses, json, os, re, sys, tempfile, time
spent = {"dataclasses": 0.0, "regular expressions": 0.0, "whole": 0.0}
counts = {"dataclasses": 0, "regular expressions": 0}

def timed(module, name, part):
    original = getattr(module, name)
    def call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - start
            counts[part] += 1
    setattr(module, name, call)

timed(dataclasses, "_process_class", "dataclasses")
timed(re._compiler, "compile", "regular expressions")
start = time.perf_counter()
from triplock import cli
with tempfile.TemporaryDirectory() as empty:
    cli.main(["audit", empty, "--format", "json", "-o", os.path.join(empty, "r.json")])
spent["whole"] = time.perf_counter() - start
print(json.dumps({"spent": spent, "counts": counts}))
"""


def breakdown(runs: int) -> tuple[dict[str, float], dict[str, int]]:
    """Median seconds of each part over `runs` fresh interpreters, and the counts of one."""
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _BREAKDOWN], check=True, capture_output=True, text=True
        )
        samples.append(json.loads(out.stdout))
    parts = samples[0]["spent"]
    return {p: statistics.median(s["spent"][p] for s in samples) for p in parts}, samples[0][
        "counts"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    base = [sys.executable, "-m", "triplock"]
    python_only = median_seconds([sys.executable, "-c", "pass"], args.runs)
    version = median_seconds([*base, "--version"], args.runs)
    rules = median_seconds([*base, "rules", "--format", "json"], args.runs)
    print(f"python -c pass            {python_only:6.3f} s  (interpreter start, for reference)")
    print(f"triplock --version        {version:6.3f} s  (goal < 0.300 s)")
    print(f"triplock rules --format json  {rules:6.3f} s  (imports every rule module)")
    spent, counts = breakdown(args.runs)
    print(f"\nan empty audit, in process   {spent['whole']:6.3f} s  (imports, rules, options)")
    for part, n in counts.items():
        print(f"  of which {part:19} {spent[part]:6.3f} s  ({n} made)")


if __name__ == "__main__":
    main()
