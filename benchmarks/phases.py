"""Where `triplock audit` spends its time on N Kubernetes manifests (the k8s_vs_checkov set),
phase by phase, in one process:

    python benchmarks/phases.py [-n 2000] [--runs 3]

- imports: triplock's modules, every rule and every source (the first thing a run pays);
- discover: reading and parsing the manifests into the inventory (sources and their links);
- judge: every rule over its facts, findings, waivers (none here) and the checklist;
- render json (orjson, as shipped) next to the standard library's encoder, both from the result;
- render sarif and render table: the code-scanning and the terminal formats;
- pickle: a round trip of the whole inventory, what handing every parsed fact to another
  process would cost (`--jobs` workers send back facts and outcomes by chunk: triplock.workers).
Each phase but imports is the best of --runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def best(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    fastest, value = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        value = fn()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="number of manifests (default 2000)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    import triplock.commands.audit  # noqa: F401  (what the CLI imports)
    from triplock.audit import AuditOptions, judge
    from triplock.formats import json as json_format
    from triplock.formats._common import result_dict
    from triplock.formats.sarif import render as render_sarif
    from triplock.formats.table import render as render_table
    from triplock.inventory import Inventory, RunOptions
    from triplock.model import AuditResult
    from triplock.rules.registry import all_rules
    from triplock.secret_classifier import masked_key, secret_key
    from triplock.secret_classifier.remembered import forget
    from triplock.sources import all_sources
    from triplock.sources.discovery import discover
    from triplock.waivers import WaiverStep

    all_rules()
    sources = all_sources()
    imports = time.perf_counter() - start

    sys.path.insert(0, str(HERE))
    from k8s_vs_checkov import generate

    manifests = str(generate(args.n))
    gc.set_threshold(100_000, 50, 1000)  # as the CLI runs

    def read() -> Inventory:
        inventory = Inventory()
        inventory.options = RunOptions(paths=(manifests,))
        discover([manifests], sources, inventory)
        return inventory

    discovered, inventory = best(args.runs, read)
    options = AuditOptions(paths=[manifests], post_steps=[WaiverStep([])])

    def judge_cold() -> AuditResult:
        # The rules' caches start empty, as in a run of the CLI.
        secret_key.cache_clear()
        masked_key.cache_clear()
        forget()  # literal_secret's and redact.show's
        return judge(inventory, options)

    judged, result = best(args.runs, judge_cold)
    orjson_s, _ = best(args.runs, lambda: json_format.render(result))
    stdlib_s, _ = best(
        args.runs,
        lambda: json.dumps(result_dict(result), ensure_ascii=False, separators=(",", ":")),
    )
    sarif_s, _ = best(args.runs, lambda: render_sarif(result))
    table_s, table = best(args.runs, lambda: render_table(result, width=120))
    pickle_s, _ = best(args.runs, lambda: pickle.loads(pickle.dumps(inventory, protocol=5)))

    pickled = len(pickle.dumps(inventory, protocol=5))
    print(f"{args.n} manifests, {len(result.findings)} findings, best of {args.runs}\n")
    print("| phase | seconds |")
    print("|---|---|")
    rows = [
        ("imports (modules, rules, sources)", imports),
        ("discover (read and parse)", discovered),
        ("judge (rules, findings, waivers, checklist)", judged),
        ("render json (orjson, as shipped)", orjson_s),
        ("render json with the standard library", stdlib_s),
        ("render sarif", sarif_s),
        (f"render table ({table.count(chr(10)):,} lines)", table_s),
        (f"pickle round trip of the inventory ({pickled / 1e6:.1f} MB)", pickle_s),
    ]
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
