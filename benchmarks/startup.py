"""Start-up time: `triplock --version` (the lazy-import fast path) and `triplock rules` (which
loads every rule module), median of N runs each.

    python benchmarks/startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
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


if __name__ == "__main__":
    main()
