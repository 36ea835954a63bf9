"""How fast `triplock audit` reads Spark deployments: N generated spark-defaults.conf files and
spark-submit scripts (half each), audited in one run; prints files/s and peak memory.
With --jobs N, audits the same files with --jobs 1 and with --jobs N and prints both side by
side with the ratio (and the load average, for numbers taken on a shared machine).

    python benchmarks/audit_speed.py [--files 10000] [--keep DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_KEYS = [
    ("spark.authenticate", ["true", "false"]),
    ("spark.network.crypto.enabled", ["true", "false"]),
    ("spark.network.crypto.cipher", ["AES/CTR/NoPadding", "AES/GCM/NoPadding"]),
    ("spark.io.encryption.enabled", ["true", "false", "${IO_ENC}"]),
    ("spark.io.encryption.keySizeBits", ["128", "256"]),
    ("spark.ssl.ui.enabled", ["true", "false"]),
    ("spark.ssl.keyStorePassword", ["changeit", "${KS_PW}"]),
    ("spark.ui.filters", ["org.apache.spark.ui.JWSFilter"]),
    ("spark.acls.enable", ["true", "false"]),
    ("spark.admin.acls", ["*", "admin"]),
    ("spark.kubernetes.namespace", ["default", "spark-jobs"]),
    ("spark.executor.memory", ["4g", "8g"]),
    ("spark.sql.shuffle.partitions", ["200", "400"]),
]


def generate(root: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for i in range(count):
        directory = root / f"app-{i // 100:03}"
        directory.mkdir(parents=True, exist_ok=True)
        settings = [(k, rng.choice(v)) for k, v in rng.sample(_KEYS, rng.randint(4, len(_KEYS)))]
        if i % 2 == 0:
            lines = ["# generated", "spark.master k8s://https://api:6443"]
            lines += [f"{k} {v}" for k, v in settings]
            (directory / f"spark-{i}.conf").write_text("\n".join(lines) + "\n")
        else:
            confs = " \\\n  ".join(f"--conf {k}={v}" for k, v in settings)
            script = (
                "#!/bin/bash\nset -euo pipefail\n"
                f"ARGS=(--master k8s://https://api:6443 --deploy-mode cluster)\n"
                f'"$SPARK_HOME/bin/spark-submit" "${{ARGS[@]}}" \\\n  {confs} \\\n'
                "  local:///opt/app/job.py --date 2026-11-27\n"
            )
            (directory / f"submit-{i}.sh").write_text(script)


def run(root: Path, jobs: int = 1) -> tuple[float, int, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "triplock", "audit", str(root), "--format", "json", "-j", str(jobs)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"triplock failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, len(report["inputs"]), peak_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    parser.add_argument("--jobs", type=int, help="also audit with --jobs N, side by side")
    args = parser.parse_args()
    if args.jobs:
        return compare(args.files, args.jobs, args.keep)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        generate(root, args.files)
        seconds, inputs, peak_kib = run(root)
    print(f"files generated   {args.files:>10,}")
    print(f"inputs audited    {inputs:>10,}")
    print(f"wall time         {seconds:>10.2f} s")
    print(f"throughput        {inputs / seconds:>10,.0f} files/s")
    print(f"peak memory       {peak_kib / 1024:>10,.0f} MiB")
    print(f"cpu count         {os.cpu_count():>10}")


def compare(files: int, jobs: int, keep: str | None) -> None:
    """--jobs 1 and --jobs N on the same files, one after the other."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep or tmp)
        generate(root, files)
        one_cpu = _cpu()
        one, inputs, _ = run(root, 1)
        pool_cpu = _cpu()
        pool, _, _ = run(root, jobs)
        pool_cpu, one_cpu = _cpu() - pool_cpu, pool_cpu - one_cpu
    print(f"{inputs:,} inputs, {os.cpu_count()} cores, load average {_load()}\n")
    print(f"{'':18}{'--jobs 1':>12}{f'--jobs {jobs}':>12}")
    print(f"{'wall time (s)':18}{one:>12.2f}{pool:>12.2f}")
    print(f"{'files/s':18}{inputs / one:>12,.0f}{inputs / pool:>12,.0f}")
    # All processes' CPU time: what the pool costs beyond one process (the hand-off).
    print(f"{'CPU seconds':18}{one_cpu:>12.2f}{pool_cpu:>12.2f}")
    print(f"\n--jobs {jobs} is {one / pool:.2f}x the throughput of --jobs 1")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
