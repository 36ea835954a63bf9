"""rapidyaml vs libyaml on the k8s_vs_checkov manifests: what reading them into trees costs.

    pip install rapidyaml   # not a triplock dependency: only this comparison uses it
    python benchmarks/yaml_parsers.py [-n 2000] [--runs 5]

Rows, each the best of --runs in CPU seconds (the figure that holds on a busy machine):
- rapidyaml parse: `ryml.parse_in_arena` of every manifest, the tree left in C++;
- rapidyaml parse + walk: the least any reader of that tree must do from Python (each node's
  key and value decoded, its children visited; no line numbers, no YMap built): the Python
  wheel has no location API for nodes (`Location` comes only with parse errors), and keys and
  values are read-only memoryviews that do not say where in the buffer they start;
- libyaml events: PyYAML's C parser, every event of every manifest taken and dropped (the
  parser alone, what any reader of it pays);
- libyaml, as triplock reads: `load_documents`, the events built into YMap/YList trees with
  the line of every key and item, alias budget and Helm checks included.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def best_cpu(runs: int, fn: Callable[[], object]) -> float:
    fastest = float("inf")
    for _ in range(runs):
        start = time.process_time()
        fn()
        fastest = min(fastest, time.process_time() - start)
    return fastest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="number of manifests (default 2000)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    try:
        import ryml  # type: ignore[import-not-found]
        from ryml import _ryml
    except ImportError:
        print("rapidyaml is not installed: pip install rapidyaml", file=sys.stderr)
        return 2
    from yaml._yaml import CParser

    from triplock.sources.kube_load import load_documents

    sys.path.insert(0, str(HERE))
    from k8s_vs_checkov import generate

    texts = [p.read_text(encoding="utf-8") for p in sorted(generate(args.n).iterdir())]
    gc.set_threshold(100_000, 50, 1000)  # as the CLI runs

    def ryml_parse() -> None:
        for text in texts:
            ryml.parse_in_arena(text.encode())

    first, sibling = _ryml.Tree_first_child, _ryml.Tree_next_sibling
    has_key, has_val, key, val = (
        _ryml.Tree_has_key,
        _ryml.Tree_has_val,
        _ryml.Tree_key,
        _ryml.Tree_val,
    )
    leaf = ryml.parse_in_arena(b"a: 1")
    none = first(leaf, leaf.first_child(leaf.root_id()))  # the id that means "no node"

    def ryml_walk() -> None:
        for text in texts:
            tree = ryml.parse_in_arena(text.encode())
            stack = [tree.root_id()]
            while stack:
                node = stack.pop()
                if has_key(tree, node):
                    bytes(key(tree, node)).decode()
                if has_val(tree, node):
                    bytes(val(tree, node)).decode()
                child = first(tree, node)
                while child != none:
                    stack.append(child)
                    child = sibling(tree, child)

    def libyaml_events() -> None:
        for text in texts:
            parser = CParser(text)
            while parser.get_event() is not None:
                pass
            parser.dispose()

    def libyaml_trees() -> None:
        for text in texts:
            list(load_documents(text))

    print(f"{args.n} manifests, best of {args.runs}, CPU seconds\n")
    print("| reader | CPU s |")
    print("|---|---|")
    for name, fn in (
        ("rapidyaml parse (tree in C++)", ryml_parse),
        ("rapidyaml parse + minimal walk from Python (no lines)", ryml_walk),
        ("libyaml events (the parser alone)", libyaml_events),
        ("libyaml as triplock reads (trees with lines)", libyaml_trees),
    ):
        print(f"| {name} | {best_cpu(args.runs, fn):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
