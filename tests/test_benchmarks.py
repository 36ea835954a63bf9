"""The benchmarks that reach into triplock's internals still run against the code as it is.
Nothing is timed here: speed is measured by running the benchmarks themselves."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from tests.helpers import ROOT
from triplock.sources import kube_load


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_the_hand_off_benchmark_reads_chunks_as_the_workers_do() -> None:
    out = _run("benchmarks/jobs_handoff.py", "--files", "40")
    assert "40 files in chunks of 100" in out
    assert "| unpickle (main) |" in out


def test_the_timeline_benchmark_times_a_run_on_workers() -> None:
    out = _run("benchmarks/timeline.py", "--files", "250", "--jobs", "2", "--runs", "1")
    blocks = out.split("\n\n")
    phases, parts = (
        [line.split("|")[1:-1] for line in table.splitlines()[2:]]
        for table in (blocks[1], blocks[3])
    )
    assert [p[0].strip() for p in phases] == ["start", "read", "judge", "report", "whole command"]
    assert float(phases[1][3]) > 0  # the workers' CPU in the read phase: a pool read 250 files
    named = [p[0].strip() for p in parts]
    assert named[0] == "rules judged in the main process"
    assert named[-4:] == [
        "the workers' findings taken (`Prejudged.of`)",
        "each rule's duplicates removed",
        "findings sorted",
        "checklist",
    ]
    assert float(parts[-4][1]) > 0  # a pool's findings were taken
    # No schedule of the same work beats the floor: the read's CPU fits in its wall on the cores.
    floor, took = (
        float(n)
        for n in re.findall(r"= ([0-9.]+) s \(the whole command took ([0-9.]+)", blocks[2])[0]
    )
    assert 0 < floor <= took + 0.01


def test_the_free_yaml_what_if_hands_out_the_trees_read_ahead(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("timeline", ROOT / "benchmarks/timeline.py")
    assert spec is not None and spec.loader is not None
    timeline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(timeline)
    (tmp_path / "a.yaml").write_text("kind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "notes.txt").write_text("kind: ConfigMap\n")
    reader = SimpleNamespace(load_documents=kube_load.load_documents)
    timeline.read_yaml_ahead(str(tmp_path), kube_load, reader)
    first = list(reader.load_documents("kind: ConfigMap\nmetadata: {name: a}\n"))
    again = list(reader.load_documents("kind: ConfigMap\nmetadata: {name: a}\n"))
    assert [d["metadata"]["name"] for d in first] == ["a"]
    assert first[0] is again[0]  # the tree read ahead, not read again
    other = list(reader.load_documents("kind: Secret\n"))  # a text not read ahead is read
    assert [d["kind"] for d in other] == ["Secret"]


def test_the_timeline_benchmark_runs_the_free_yaml_what_if() -> None:
    out = _run(
        "benchmarks/timeline.py", "--tree", "examples", "--jobs", "1", "--runs", "1", "--free-yaml"
    )
    assert "(YAML read ahead, its time left out)" in out.splitlines()[0]
    floor, took = (
        float(n) for n in re.findall(r"= ([0-9.]+) s \(the whole command took ([0-9.]+)", out)[0]
    )
    assert 0 < floor <= took + 0.01


def test_the_startup_benchmark_splits_an_empty_audit() -> None:
    out = _run("benchmarks/startup.py", "--runs", "1")
    lines = {line.strip().split("  ")[0]: line for line in out.splitlines() if line.strip()}
    assert "of which dataclasses" in lines and "of which regular expressions" in lines
    made = int(lines["of which dataclasses"].split("(")[1].split()[0])
    assert made > 50  # triplock's own dataclasses were counted as they were made
