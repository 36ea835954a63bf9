"""Where the wall time of one whole `triplock audit` command goes, phase by phase, with the CPU
time of the main process and of its workers in each phase:

- start: the modules and the rules imported, the options read (the interpreter's own start,
  ~20 ms, is before the first mark);
- read: the inputs read and linked, with the per-input rules judged on the workers
  (`--jobs N`), or read alone in one process (`--jobs 1`);
- judge: in the main process: cross-input rules, the workers' findings taken, per-input rules
  where linking changed a fact (everything with `--jobs 1`), sorting, waivers, the checklist;
- report: the JSON report encoded and written to a file.

Below the table, the run's floor: what the same work would take were the read phase's CPU
(the main process's and the workers') spread over every usable core without a wait, the other
phases, which the main process runs alone, as they took.

A second table splits the judge phase: the rules judged in the main process (the slowest three
named), the workers' findings taken, each rule's duplicates removed, the sort, the checklist.

    python benchmarks/timeline.py --tree benchmarks/.work/manifests-2000 --jobs 2
    python benchmarks/timeline.py --files 40000 --jobs 2   # generated Spark inputs
    python benchmarks/timeline.py --tree benchmarks/.work/manifests-2000 --free-yaml

(the manifests are those `benchmarks/k8s_vs_checkov.py -n 2000` generates; `--files` generates
the inputs of benchmarks/audit_speed.py). Each run is its own process; the run with the least
wall time of `--runs` is printed. The main process's CPU counts from its start (the start
phase's CPU includes the interpreter's); the workers' is counted once they have exited, at the
end of the read phase.

`--free-yaml` asks what a faster YAML reader could give at most: every YAML file's documents
are read ahead and that time left out of the marks; the audit is handed those trees, as if
reading YAML cost nothing, so the phases and the floor printed are those of the same audit
without the YAML reader's work.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
PHASES = ("start", "read", "judge", "report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="audit this directory")
    parser.add_argument("--files", type=int, help="generate this many Spark inputs instead")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--free-yaml", action="store_true", help="YAML read ahead, its time left out (a what-if)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.tree, args.jobs, args.free_yaml)
    if (args.tree is None) == (args.files is None):
        parser.error("give one of --tree and --files")
    with tempfile.TemporaryDirectory() as tmp:
        tree = args.tree
        if tree is None:
            sys.path.insert(0, str(ROOT))
            from tests.helpers.spark_tree import generate

            tree = str(Path(tmp) / "tree")
            generate(Path(tree), args.files)
        runs = [run(tree, args.jobs, args.free_yaml) for _ in range(args.runs)]
    best = min(runs, key=lambda r: r["report"]["end"])
    what_if = " (YAML read ahead, its time left out)" if args.free_yaml else ""
    print(f"{tree}{what_if}, --jobs {args.jobs}, {os.cpu_count()} cores, ", end="")
    print(f"best of {args.runs}, ", end="")
    print(f"load average {os.getloadavg()[0]:.2f}\n")
    print("| phase | wall (s) | main process CPU (s) | workers CPU (s) |")
    print("|---|---|---|---|")
    before = {"end": 0.0, "main": 0.0, "workers": 0.0}
    for phase in PHASES:
        mark = best[phase]
        cells = [mark[k] - before[k] for k in ("end", "main", "workers")]
        print(f"| {phase} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
        before = mark
    total = best["report"]
    print(f"| whole command | {total['end']:.2f} | {total['main']:.2f} | {total['workers']:.2f} |")
    print_floor(best, len(os.sched_getaffinity(0)))
    print_judge_parts(best["judge parts"])


def print_floor(marks: dict[str, dict[str, float]], cores: int) -> None:
    """The phases the main process runs alone at their wall time, and the read phase's CPU over
    the cores: the least wall time the same work allows on this machine."""
    start, read, end = marks["start"], marks["read"], marks["report"]
    alone = start["end"] + (end["end"] - read["end"])
    spread = (read["main"] - start["main"] + read["workers"] - start["workers"]) / cores
    print(
        f"\nfloor of this work on {cores} cores: {alone:.2f} s in the phases run alone (start, "
        f"judge, report) + {spread:.2f} s of read CPU spread over the cores = "
        f"{alone + spread:.2f} s (the whole command took {end['end']:.2f} s)"
    )


def print_judge_parts(parts: dict[str, float]) -> None:
    """The judge phase's parts (wall seconds, the same run): the rules judged in the main
    process (cross-input rules, and per-input rules on facts linking added or changed), the
    slowest three of them, and the engine's own steps."""
    rules = sorted(((s, n) for n, s in parts.items() if n.startswith("rule ")), reverse=True)
    rows = [("rules judged in the main process", sum(s for s, _ in rules))]
    rows += [(f"  of which {name}", seconds) for seconds, name in rules[:3]]
    rows += [
        ("the workers' findings taken (`Prejudged.of`)", parts.get("taken", 0.0)),
        ("each rule's duplicates removed", parts.get("deduplicated", 0.0)),
        ("findings sorted", parts.get("sorted", 0.0)),
        ("checklist", parts.get("checklist", 0.0)),
    ]
    print("\n| in the judge phase | wall (s) |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")


def run(tree: str, jobs: int, free_yaml: bool = False) -> dict[str, dict[str, float]]:
    command = [sys.executable, __file__, "--child", "--tree", tree, "--jobs", str(jobs)]
    command += ["--free-yaml"] if free_yaml else []
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the timed run failed: {out.stderr[-2000:]}")
    marks: dict[str, dict[str, float]] = json.loads(out.stdout)
    return marks


def child(tree: str, jobs: int, free_yaml: bool = False) -> None:
    """One audit in this process, each phase's end marked: printed as JSON on stdout."""
    marks: dict[str, dict[str, float]] = {}
    # --free-yaml: the time spent reading YAML ahead is taken off every mark after it.
    paused, cpu = 0.0, 0.0
    if free_yaml:
        from triplock.sources import kube_load, kube_yaml  # an audit's start imports them too

        before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        read_yaml_ahead(tree, kube_load, kube_yaml)
        after = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        paused = after[0] - before[0]
        cpu = sum(after[1][:2]) - sum(before[1][:2])

    def mark(phase: str) -> None:
        main = resource.getrusage(resource.RUSAGE_SELF)
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        marks[phase] = {
            "end": time.perf_counter() - START - paused,
            "main": main.ru_utime + main.ru_stime - cpu,
            "workers": workers.ru_utime + workers.ru_stime,
        }

    from triplock import audit, cli, workers

    def marked(function: Callable[..., Any], before: str, after: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            mark(before)
            result = function(*args, **kwargs)
            mark(after)
            return result

        return call

    parts: dict[str, float] = defaultdict(float)
    marks["judge parts"] = parts

    def timed(part: Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[part(*args)] += time.perf_counter() - start

        return call

    judge = audit.judge

    def judging(*args: Any, **kwargs: Any) -> Any:
        """judge(), its parts timed: from here on only this process works (the workers, which
        must not pay for the timers, are done)."""
        audit.judge_fact = timed(lambda rule, *_: f"rule {rule.meta.id}", audit.judge_fact)
        workers.Prejudged.of = timed(lambda *_: "taken", workers.Prejudged.of)  # type: ignore[method-assign]
        audit._distinct = timed(lambda *_: "deduplicated", audit._distinct)
        audit._sort = timed(lambda *_: "sorted", audit._sort)
        audit.checklist = timed(lambda *_: "checklist", audit.checklist)
        return judge(*args, **kwargs)

    # The phases' functions, as audit() calls them (module globals, looked up at each call).
    audit.discover = marked(audit.discover, "start", "read")  # type: ignore[attr-defined]
    workers.read_on_workers = marked(workers.read_on_workers, "start", "read")
    audit.judge = marked(judging, "read", "judge")
    with tempfile.TemporaryDirectory() as tmp:
        report = str(Path(tmp) / "report.json")
        code = cli.main(["audit", tree, "--jobs", str(jobs), "--format", "json", "-o", report])
    mark("report")
    if code not in (0, 1):
        raise SystemExit(f"triplock audit exited {code}")
    print(json.dumps(marks))


def read_yaml_ahead(tree: str, kube_load: Any, kube_yaml: Any) -> None:
    """Every YAML file's documents read now; the reader then hands back those trees (the
    workers, forked later, inherit them), as if reading YAML took no time."""
    read = kube_load.load_documents
    ready: dict[str, list[Any]] = {}
    for path in Path(tree).rglob("*"):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            text = path.read_text()
            ready[text] = list(read(text))

    def load_documents(text: str, duplicates: Any = None) -> Any:
        return iter(ready[text]) if text in ready else read(text, duplicates)

    kube_yaml.load_documents = load_documents


if __name__ == "__main__":
    main()
