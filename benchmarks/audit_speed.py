"""How fast `triplock audit` reads Spark deployments, and how much memory each input keeps: N
generated spark-defaults.conf files and spark-submit scripts (half each), audited in one run
with every rule and the JSON report written to a file (as a CI job would); prints files/s,
peak RSS and the bytes of peak RSS each input adds.

    python benchmarks/audit_speed.py [--files 10000] [--keep DIR]
    python benchmarks/audit_speed.py --files 100000     # the memory goal: < 500 MiB peak RSS
    python benchmarks/audit_speed.py --files 100000 --jobs 1   # the same, in one process
    python benchmarks/audit_speed.py --files 40000 --jobs 2 --runs 3

With --jobs N (N > 1), audits the same files with --jobs 1 and with --jobs N, taking turns
--runs times, and prints the best run of each side by side with the ratio (and the load
average, for numbers taken on a shared machine), and the ceiling of that ratio on the machine:
N processes of plain Python work side by side over one alone.
Otherwise (with --jobs 1: each run in one process; without: triplock's default --jobs):

Four runs, each its own process, peak RSS of each read with wait4():
- one input, every rule: what every run pays (interpreter, modules, rules);
- the N inputs, every rule, the JSON report: peak RSS, and its growth over the one-input run
  per input (the findings included: about 20 per input here) and per finding;
- one input and the N inputs judged by one rule that finds nothing in them (HADOOP-001): the
  growth per input beyond the findings, what each input's facts keep (goal <= 2 KiB).
Memory figures do not depend on the machine's load; the wall time does.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.spark_tree import generate  # noqa: E402

FACTS_ONLY_RULE = "HADOOP-001"  # a Hadoop rule: no finding on Spark inputs


@dataclass
class Run:
    seconds: float
    peak_kib: int
    report: Path


def run(root: Path, report: Path, *extra: str) -> Run:
    """One `triplock audit` process writing `report`; its peak RSS from wait4(). The counts
    are read after every run: Linux charges a child with the RSS of the parent it was forked
    from, so this process stays small until the last one has run."""
    command = [sys.executable, "-m", "triplock", "audit", str(root), "--format", "json"]
    start = time.perf_counter()
    with open(os.devnull, "wb") as quiet:
        proc = subprocess.Popen(
            [*command, "-o", str(report), *extra], stdout=quiet, stderr=subprocess.PIPE
        )
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"triplock failed ({code}): {errors[-2000:].decode()}")
    return Run(seconds, usage.ru_maxrss, report)


def counts(report: Path) -> tuple[int, int]:
    """Inputs and findings in a JSON report, without loading it whole (it can be GiBs): the
    inputs array comes first, then the findings, each finding an object opening with rule_id."""
    data = report.read_bytes()
    split = data.index(b'],"findings":[')
    inputs = len(orjson.loads(data[data.index(b'"inputs":[') + 9 : split + 1]))
    return inputs, data.count(b'{"rule_id":', split)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    parser.add_argument(
        "--jobs", type=int, help="1: every run in one process; N > 1: --jobs 1 and N side by side"
    )
    parser.add_argument("--runs", type=int, default=1, help="with --jobs N > 1: runs of each")
    args = parser.parse_args()
    if args.jobs and args.jobs > 1:
        return compare(args.files, args.jobs, args.keep, args.runs)
    jobs = ("-j", str(args.jobs)) if args.jobs else ()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or Path(tmp) / "tree")
        if not any(root.glob("app-*")):
            generate(root, args.files)
        one = Path(tmp) / "one"
        generate(one, 1)
        only = ("--only", FACTS_ONLY_RULE, *jobs)
        startup = run(one, Path(tmp) / "startup.json", *jobs)
        audit = run(root, Path(tmp) / "audit.json", *jobs)
        facts_startup = run(one, Path(tmp) / "facts-startup.json", *only)
        facts = run(root, Path(tmp) / "facts.json", *only)
        inputs, findings = counts(audit.report)
        facts_inputs, _ = counts(facts.report)
    grown = (audit.peak_kib - startup.peak_kib) * 1024
    beyond = (facts.peak_kib - facts_startup.peak_kib) * 1024 / facts_inputs
    print(f"files generated       {args.files:>12,}")
    print(f"inputs audited        {inputs:>12,}")
    print(f"findings              {findings:>12,}")
    print(f"wall time             {audit.seconds:>12.2f} s")
    print(f"throughput            {inputs / audit.seconds:>12,.0f} files/s")
    print(f"peak RSS              {audit.peak_kib / 1024:>12,.0f} MiB")
    print(f"peak RSS, one input   {startup.peak_kib / 1024:>12,.0f} MiB")
    print(f"bytes per input       {grown / inputs:>12,.0f} B (findings included)")
    print(f"bytes per finding     {grown / max(findings, 1):>12,.0f} B (all growth)")
    print(f"bytes per input       {beyond:>12,.0f} B (beyond findings: --only {FACTS_ONLY_RULE})")
    print(f"--jobs                {args.jobs or 'default':>12}")
    print(f"cpu count             {os.cpu_count():>12}")
    print(f"load average          {os.getloadavg()[0]:>12.1f}")


def compare(files: int, jobs: int, keep: str | None, runs: int) -> None:
    """--jobs 1 and --jobs N on the same files, taking turns `runs` times; the run with the
    least wall time of each is printed."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep or Path(tmp) / "tree")
        if not any(root.glob("app-*")):
            generate(root, files)
        ones: list[tuple[Run, float]] = []
        pools: list[tuple[Run, float]] = []
        for _ in range(runs):
            ones.append(timed(root, Path(tmp) / "one.json", "-j", "1"))
            pools.append(timed(root, Path(tmp) / "pool.json", "-j", str(jobs)))
        (one, one_cpu), (pool, pool_cpu) = (
            min(r, key=lambda t: t[0].seconds) for r in (ones, pools)
        )
        inputs, _ = counts(one.report)
    best = ceiling(jobs)
    print(f"{inputs:,} inputs, {os.cpu_count()} cores, best of {runs}, load average {_load()}\n")
    print(f"{'':18}{'--jobs 1':>12}{f'--jobs {jobs}':>12}")
    print(f"{'wall time (s)':18}{one.seconds:>12.2f}{pool.seconds:>12.2f}")
    print(f"{'files/s':18}{inputs / one.seconds:>12,.0f}{inputs / pool.seconds:>12,.0f}")
    # All processes' CPU time: what the pool costs beyond one process (the hand-off).
    print(f"{'CPU seconds':18}{one_cpu:>12.2f}{pool_cpu:>12.2f}")
    print(f"{'peak RSS (MiB)':18}{one.peak_kib / 1024:>12,.0f}{pool.peak_kib / 1024:>12,.0f}")
    print(f"\n--jobs {jobs} is {one.seconds / pool.seconds:.2f}x the throughput of --jobs 1")
    print(f"{jobs} processes of plain Python work side by side: {best:.2f}x one (the ceiling)")
    if best > 1:  # what the pool gains over one process, as a share of what the machine allows
        gained = (one.seconds / pool.seconds - 1) / (best - 1)
        print(f"--jobs {jobs} gains {gained:.0%} of what the ceiling allows over one process")


# Plain Python work (a dict, tuples, strings), the kind an audit does, for about 1.5 s.
_PLAIN_WORK = "d = {}\nfor i in range(4_000_000):\n    d[i & 1023] = (i, str(i & 255))\n"


def ceiling(jobs: int) -> float:
    """The throughput of `jobs` processes of plain Python work side by side over one alone:
    what any pool of processes can reach on this machine, with nothing to hand off (cores
    that share caches, or a hypervisor's, give less than `jobs`)."""

    def seconds(processes: int) -> float:
        start = time.perf_counter()
        running = [subprocess.Popen([sys.executable, "-c", _PLAIN_WORK]) for _ in range(processes)]
        for proc in running:
            proc.wait()
        return time.perf_counter() - start

    alone, together = zip(*((seconds(1), seconds(jobs)) for _ in range(3)), strict=True)
    return jobs * min(alone) / min(together)


def timed(root: Path, report: Path, *extra: str) -> tuple[Run, float]:
    """`run`, and the CPU seconds of the process and its workers."""
    before = _cpu()
    done = run(root, report, *extra)
    return done, _cpu() - before


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
