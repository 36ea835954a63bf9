"""Hostile inputs of issue 12 (item 4), each parsed at sizes n, 2n and 4n: the time of each
and the ratio to the size before. Linear parsing shows ratios near 2 (or below, where a fixed
cost dominates); quadratic parsing shows 4, cubic 8.

Each repro runs the parser it attacks in this process (the source's claims() and parse(),
the waiver glob, the shell reader), best of --runs; `--audit` also times the whole
`triplock audit` command on the repro's file at size n.

    python benchmarks/hostile_inputs.py [--runs 3] [--audit]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from triplock.inventory import Inventory
from triplock.sources import certs, enclave, kube_yaml, probe_json
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.shell import read_script
from triplock.waivers import glob_match


@dataclass(frozen=True)
class Repro:
    name: str
    issue: str  # what the issue measured before the fix
    n: int
    unit: str
    text: Callable[[int], str]  # the hostile input at size n
    file_name: str
    run: Callable[[str], object]


def _source(source: object, name: str) -> Callable[[str], object]:
    def run(text: str) -> object:
        file = InputFile(name, text.encode())
        if not source.claims(file):  # type: ignore[attr-defined]
            return None
        try:
            source.parse(file, Inventory())  # type: ignore[attr-defined]
        except SourceError as e:
            return e
        return None

    return run


def _shell(text: str) -> object:
    try:
        return read_script(text, "run.sh")
    except SourceError as e:
        return e


def _probe(n: int) -> str:
    hosts = [{"hostname": f"node-{i}"} for i in range(n)]
    return json.dumps({"kind": "triplock-probe", "hosts": hosts}, indent=2)


def _gramine(n: int) -> str:
    files = "".join(f'  "file:/lib/f{i}",\n' for i in range(n))
    return f'loader.entrypoint = "x"\nsgx.trusted_files = [\n{files}]\n'


def _nested(depth: int) -> str:
    return ("echo " + "$(curl -k x " * depth + ")" * depth + "\n") * 200


REPROS = (
    Repro(
        "pod template: spec: + blank lines",
        "5,000 lines 30 s; 10,000 lines 258 s",
        1_000_000,
        "lines",
        lambda n: "spec:\n" + "\n" * n,
        "t.yaml",
        _source(kube_yaml.SOURCE, "t.yaml"),
    ),
    Repro(
        "PEM: BEGIN lines without END",
        "20,000 lines 44 s",
        20_000,
        "lines",
        lambda n: "-----BEGIN CERTIFICATE-----\n" * n,
        "a.pem",
        _source(certs.SOURCE, "a.pem"),
    ),
    Repro(
        "probe JSON: hosts",
        "20,000 hosts 36 s",
        20_000,
        "hosts",
        _probe,
        "probe.json",
        _source(probe_json.SOURCE, "probe.json"),
    ),
    Repro(
        "shell: $( nested (capped at 32)",
        "1,000,000 deep > 60 s",
        1_000_000,
        "levels",
        lambda n: "echo " + "$(" * n + "\n",
        "deep.sh",
        _shell,
    ),
    Repro(
        "shell: $( nested n deep (8..32), 200 lines",
        "(re-lexed per level: quadratic)",
        8,
        "levels",
        _nested,
        "many.sh",
        _shell,
    ),
    Repro(
        "Gramine: trusted_files entries",
        "(quadratic before)",
        10_000,
        "entries",
        _gramine,
        "app.manifest",
        _source(enclave.SOURCE, "app.manifest"),
    ),
    Repro(
        "waiver glob **a x20 + c vs name",
        "40 characters > 60 s",
        1_000,
        "chars",
        lambda n: "a" * n,
        "",
        lambda name: glob_match("**a" * 20 + "c", name),
    ),
)


def best_of(runs: int, call: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def audit_seconds(repro: Repro, text: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, repro.file_name).write_text(text)
        out = Path(tmp, "report.json")
        command = [sys.executable, "-m", "triplock", "audit", tmp, "-f", "json", "-o", str(out)]
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--audit", action="store_true", help="also time triplock audit at n")
    args = parser.parse_args()
    print(f"{'repro':42} {'n':>10} {'t(n)':>9} {'t(2n)':>9} {'t(4n)':>9}  ratios    before")
    for repro in REPROS:
        times = []
        for size in (repro.n, 2 * repro.n, 4 * repro.n):
            text = repro.text(size)
            times.append(best_of(args.runs, lambda text=text, run=repro.run: run(text)))
        ratios = f"{times[1] / times[0]:.2f} {times[2] / times[1]:.2f}"
        cells = " ".join(f"{t:8.3f}s" for t in times)
        print(f"{repro.name:42} {repro.n:>10,} {cells}  {ratios}  {repro.issue}")
        if args.audit and repro.file_name:
            seconds = audit_seconds(repro, repro.text(repro.n))
            print(f"{'':42} triplock audit at n: {seconds:.2f} s (whole command)")


if __name__ == "__main__":
    main()
