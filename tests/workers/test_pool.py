"""audit --jobs N: the worker processes report exactly what one process reports."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLES, ROOT, run_cli
from tests.workers.trees import layered, manifests, many_confs
from triplock import workers
from triplock.audit import JOBS_AUTO, AuditOptions, audit
from triplock.commands._args import jobs
from triplock.inventory import Inventory
from triplock.workers import pool

TESTS = ROOT / "tests"


def test_two_jobs_report_byte_for_byte_what_one_reports(
    every_run_on_workers: list[workers.Prejudged], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example and every test fixture, in one run each way, full JSON, order included."""
    paths = [str(EXAMPLES), str(TESTS), str(layered(tmp_path))]
    in_order = workers.Prejudged._in_order
    took: list[bool] = []  # per rule: whether its findings were taken as the workers sent them

    def spy(self: workers.Prejudged, *args: Any) -> bool:
        took.append(in_order(self, *args))
        return took[-1]

    monkeypatch.setattr(workers.Prejudged, "_in_order", spy)
    one = run_cli("audit", *paths, "-f", "json", "--jobs", "1")
    assert not every_run_on_workers
    two = run_cli("audit", *paths, "-f", "json", "--jobs", "2")
    assert one.code == two.code == 1, two.err
    assert len(one.json()["findings"]) > 2000
    assert two.out == one.out
    assert two.err == one.err
    (judged,) = every_run_on_workers
    assert judged.judged_facts > 1000, "the workers judged nothing"  # type: ignore[attr-defined]
    assert not judged.found, "what the workers judged was not all taken"
    # Linking changed facts the workers judged (launches layered on their properties files):
    # those were judged again here, and the output is still the same.
    merged_then_changed = judged.shared.relinked - (judged.shared.late or set()) - judged.local
    assert merged_then_changed
    # Facts linking added (Hadoop configurations of Spark applications, RBAC subjects' access)
    # were judged here.
    assert judged.shared.late
    # Every rule that reads ctx.inventory declares it: none was left to the main process.
    assert not any(judged.deferred.values())
    # Both ways of taking a rule's findings were taken: as sent (no fact of the rule judged
    # here), and fact by fact (some judged here).
    assert True in took and False in took
    # Some rules' findings were known distinct (not deduplicated again here), some not; some
    # rules found several things on one fact, or failed on one.
    assert judged.repeating and set(judged.metas) - judged.repeating
    assert judged.grouped


def test_a_file_walked_twice_is_reported_once_on_workers_too(
    every_run_on_workers: list[workers.Prejudged],
) -> None:
    """A directory given with one inside it: the inner files are walked twice, in different
    chunks, and their findings are each reported once, as by one process."""
    inner = EXAMPLES / "spark-on-k8s"
    one = run_cli("audit", str(EXAMPLES), str(inner), "-f", "json", "--jobs", "1")
    two = run_cli("audit", str(EXAMPLES), str(inner), "-f", "json", "--jobs", "2")
    assert two.out == one.out
    inside = [f for f in one.json()["findings"] if f["location"]["path"].startswith(str(inner))]
    assert inside
    (judged,) = every_run_on_workers
    assert judged.repeating == set(judged.metas)


@pytest.mark.parametrize(
    ("paths", "apart"),
    [
        (["a"], True),
        (["a", "b", "ab", "a-b"], True),  # "a" is a prefix of "ab", not a directory of it
        (["a", "a/"], False),
        (["a", "./a"], False),
        (["a", "a/b/c"], False),
        (["a/b/c", "a"], False),
        (["/", "/etc/spark"], False),
        (["dir/x.conf", "dir/x.conf"], False),
        ([".", "a"], True),  # walked as ./a/..., a different name: two locations
    ],
)
def test_paths_apart(paths: list[str], apart: bool) -> None:
    assert workers.apart(paths) is apart


def test_every_change_link_makes_to_a_fact_is_declared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What a worker judged of a fact holds unless link() declares it changed the fact
    (`Inventory.changed`). Here each fact of every example and fixture is compared, field by
    field and one level into its containers, before and after linking: each fact that differs
    was declared, so the main process judged it again."""
    before: dict[int, tuple[object, tuple[object, ...]]] = {}
    link_inputs = pool.link_inputs

    def compared(sources: Any, inventory: Inventory) -> None:
        for kind in inventory.kinds():
            before.update((id(f), (f, _shape(f))) for f in inventory.of(kind))
        link_inputs(sources, inventory)
        changed = {key for key, (fact, shape) in before.items() if not _same(_shape(fact), shape)}
        # Launches layered on their properties files, Spark versions taken from a build file,
        # a certificate paired with its key file, a Ceph key file found to be a keyring.
        assert {type(before[key][0]).__name__ for key in changed} == {
            "SparkApp",
            "CertChain",
            "CephConf",
        }
        assert changed <= inventory.relinked

    monkeypatch.setattr(pool, "link_inputs", compared)
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    options = AuditOptions(paths=[str(EXAMPLES), str(TESTS), str(layered(tmp_path))], jobs=2)
    assert audit(options).findings
    assert before


def _shape(fact: object) -> tuple[object, ...]:
    """A fact's fields, and one level into dict, list and set fields (the objects themselves,
    kept alive, so that none is freed and its id taken by a new one)."""
    held: list[object] = []
    for f in dataclasses.fields(fact):  # type: ignore[arg-type]
        value = getattr(fact, f.name)
        held.append(value)
        if isinstance(value, dict):
            held += [*value.keys(), *value.values()]
        elif isinstance(value, list | set):
            held += value
    return tuple(held)


def _same(after: tuple[object, ...], before: tuple[object, ...]) -> bool:
    return len(after) == len(before) and all(a is b for a, b in zip(after, before, strict=True))


def test_jobs_on_a_pool_keep_the_exit_status_and_the_table(
    every_run_on_workers: list[workers.Prejudged],
) -> None:
    one = run_cli("audit", str(EXAMPLES), "-f", "table", "--jobs", "1")
    two = run_cli("audit", str(EXAMPLES), "-f", "table", "--jobs", "2")
    assert (two.code, two.out) == (one.code, one.out)
    assert every_run_on_workers


def test_progress_counts_files_read_by_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    calls: list[int] = []
    options = AuditOptions(paths=[str(many_confs(tmp_path, 1000))], jobs=2, progress=calls.append)
    result = audit(options)
    assert len(result.inputs) == 1000
    assert calls == [500, 1000]


def test_a_worker_that_dies_costs_nothing_but_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-chunk (here: it exits at once) breaks the pool; every chunk not
    received is read by the main process, and the report is the one process's."""
    root = many_confs(tmp_path, 40)
    expected = audit(AuditOptions(paths=[str(root)], jobs=1))
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 5)
    main = os.getpid()
    read_and_judge = pool.read_and_judge

    def dies(files: list[Any]) -> Any:
        if os.getpid() != main and any(f.path.endswith("spark-17.conf") for f in files):
            os._exit(9)
        return read_and_judge(files)

    monkeypatch.setattr(pool, "read_and_judge", dies)
    result = audit(AuditOptions(paths=[str(root)], jobs=2))
    assert result.findings == expected.findings
    assert result.inputs == expected.inputs
    assert result.errors == expected.errors == []


def test_a_worker_that_dies_while_chunks_are_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool breaks before every chunk is handed out (the first worker dies at once; the
    second hand-out waits until the pool knows): the chunks it refuses are read here."""
    root = many_confs(tmp_path, 40)
    expected = audit(AuditOptions(paths=[str(root)], jobs=1))
    monkeypatch.setattr(pool, "MIN_FILES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 5)
    monkeypatch.setattr(pool, "read_and_judge", _exit_at_once)
    submit = ProcessPoolExecutor.submit
    handed: list[int] = []

    def after_the_break(executor: Any, *args: Any) -> Any:
        if handed:
            for _ in range(600):
                if getattr(executor, "_broken", False):
                    break
                time.sleep(0.1)
        handed.append(1)
        return submit(executor, *args)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", after_the_break)
    result = audit(AuditOptions(paths=[str(root)], jobs=2))
    assert result.findings == expected.findings
    assert result.inputs == expected.inputs


def _exit_at_once(files: list[Any]) -> Any:
    os._exit(9)


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def test_ctrl_c_stops_the_audit_and_its_workers(tmp_path: Path) -> None:
    """SIGINT to the process group, as a terminal sends it: the audit says `interrupted`,
    exits 130 without a traceback, and no worker is left running."""
    root = many_confs(tmp_path, 4000)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "triplock", "audit", str(root), "--jobs", "2", "-f", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    children: set[int] = set()
    for _ in range(600):  # wait (up to a minute on a loaded machine) for both workers
        children = _children(proc.pid)
        if len(children) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert len(children) >= 2, "the workers never started"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


# Each worker is sent SIGTERM as soon as it is forked; the main process then waits a little,
# so that the pool is already broken while chunks are still being handed out.
_SIGTERM_AT_FORK = """
import os, signal, sys, time
from triplock.cli import main
os.register_at_fork(
    after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM),
    after_in_parent=lambda: time.sleep(0.5),
)
sys.exit(main(sys.argv[1:]))
"""


def test_a_worker_terminated_before_its_initializer_dies_quietly(tmp_path: Path) -> None:
    """SIGTERM reaching a worker between its fork and its initializer (the CLI's handler is
    still installed there) ends it without a traceback; the chunks it took, and those the
    broken pool no longer takes, are read here instead."""
    root = many_confs(tmp_path, 400)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = ["audit", str(root), "-f", "json"]
    one = subprocess.run(
        [sys.executable, "-m", "triplock", *args, "--jobs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    killed = subprocess.run(
        [sys.executable, "-c", _SIGTERM_AT_FORK, *args, "--jobs", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in killed.stderr
    assert killed.returncode == one.returncode == 1, killed.stderr
    assert killed.stdout == one.stdout


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_jobs_must_be_a_positive_number() -> None:
    result = run_cli("audit", str(EXAMPLES), "--jobs", "0")
    assert result.code == 2
    assert "--jobs" in result.err


def test_jobs_default_to_a_choice_made_from_the_inputs() -> None:
    assert jobs(argparse.Namespace(jobs=None)) == JOBS_AUTO
    assert jobs(argparse.Namespace(jobs=1)) == 1


@pytest.mark.parametrize("tree", [many_confs, manifests], ids=["spark", "yaml"])
@pytest.mark.parametrize("cores", [2, 1])
def test_the_default_runs_the_usable_cores_workers_and_reads_every_file(
    every_run_on_workers: list[workers.Prejudged],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tree: Any,
    cores: int,
) -> None:
    """The default is a worker per usable core, whatever the inputs; with one core, one
    process reads every file, past those walked to decide (here 10 of 30), with progress."""
    monkeypatch.setattr(pool, "usable_cores", lambda: cores)
    monkeypatch.setattr(pool, "MIN_FILES", 10)
    monkeypatch.setattr(pool, "PROGRESS_EVERY", 10)
    root = tree(tmp_path, 30)
    expected = audit(AuditOptions(paths=[str(root)], jobs=1))
    assert not every_run_on_workers
    shown: list[int] = []
    result = audit(AuditOptions(paths=[str(root)], jobs=JOBS_AUTO, progress=shown.append))
    assert bool(every_run_on_workers) is (cores > 1)
    assert result.findings == expected.findings
    assert result.inputs == expected.inputs
    assert len(result.inputs) == 30
    assert shown[-1] == 30
