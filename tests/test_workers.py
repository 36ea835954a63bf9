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
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLES, ROOT, run_cli
from triplock import workers
from triplock.audit import JOBS_AUTO, AuditOptions, audit
from triplock.commands._args import jobs
from triplock.facts.shell import ShellCommand
from triplock.inventory import Inventory, RunOptions
from triplock.model import IDENTITY_FIELDS, Evidence, Finding, Fix, Location, Verdict
from triplock.rules.registry import Scope, all_rules, fail
from triplock.sources import all_sources
from triplock.sources.discovery import walk

TESTS = ROOT / "tests"


@pytest.fixture
def every_run_on_workers(monkeypatch: pytest.MonkeyPatch) -> list[workers.Prejudged]:
    """The pool for any number of files, in chunks of 7 files (so that files one links to
    another sit in different chunks); collects what the workers judged, run by run."""
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    monkeypatch.setattr(workers, "CHUNK_FILES", 7)
    seen: list[workers.Prejudged] = []
    read_on_workers = workers.read_on_workers

    def spy(*args: Any) -> workers.Prejudged | None:
        prejudged = read_on_workers(*args)
        if prejudged is not None:
            seen.append(prejudged)
            prejudged.judged_facts = sum(len(ids) for ids, _ in prejudged.found.values())  # type: ignore[attr-defined]
        return prejudged

    monkeypatch.setattr(workers, "read_on_workers", spy)
    return seen


def _layered(root: Path) -> Path:
    """A launch that loads a properties file next to it: link() layers it on the file."""
    (root / "job").mkdir()
    (root / "job" / "spark-defaults.conf").write_text(
        "spark.master k8s://https://api:6443\nspark.authenticate true\n"
    )
    (root / "job" / "run.sh").write_text(
        "spark-submit --properties-file ./spark-defaults.conf --conf spark.ssl.enabled=false x.py\n"
    )
    return root


def test_two_jobs_report_byte_for_byte_what_one_reports(
    every_run_on_workers: list[workers.Prejudged], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example and every test fixture, in one run each way, full JSON, order included."""
    paths = [str(EXAMPLES), str(TESTS), str(_layered(tmp_path))]
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
    link_inputs = workers.link_inputs

    def compared(sources: Any, inventory: workers.Inventory) -> None:
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

    monkeypatch.setattr(workers, "link_inputs", compared)
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    options = AuditOptions(paths=[str(EXAMPLES), str(TESTS), str(_layered(tmp_path))], jobs=2)
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


def test_equal_shell_arguments_from_different_chunks_are_one_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process shares equal arguments (`Inventory.one`); with workers, a chunk's arrive
    as one object a chunk and are shared again across chunks as they arrive."""
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    monkeypatch.setattr(workers, "CHUNK_FILES", 2)
    for i in range(6):
        (tmp_path / f"run-{i}.sh").write_text(f"spark-submit --conf spark.app.name=a{i} x.py\n")
    inventory = Inventory()
    options = AuditOptions(paths=[str(tmp_path)], jobs=2)
    assert workers.read_on_workers(options, inventory, []) is not None
    commands = inventory.of(ShellCommand)
    assert len(commands) == 6
    firsts = {id(c.args[0]) for c in commands}  # `spark-submit` at line 1, in every file
    assert len(firsts) == 1
    assert len({id(c.args[2]) for c in commands}) == 6  # the app names differ
    assert not workers._ARRIVED  # emptied at the end of the run


def test_jobs_on_a_pool_keep_the_exit_status_and_the_table(
    every_run_on_workers: list[workers.Prejudged],
) -> None:
    one = run_cli("audit", str(EXAMPLES), "-f", "table", "--jobs", "1")
    two = run_cli("audit", str(EXAMPLES), "-f", "table", "--jobs", "2")
    assert (two.code, two.out) == (one.code, one.out)
    assert every_run_on_workers


def test_a_rule_reading_other_inputs_undeclared_is_judged_in_the_main_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """K8S-006 looks for the API server and the RBAC among the inputs; were it not declared,
    a worker would see only its own chunk. Declared per-input, the worker leaves it to the
    main process."""
    (k8s_006,) = [r for r in all_rules() if r.meta.id == "K8S-006"]
    assert k8s_006.scope is Scope.CROSS_INPUT
    undeclared = dataclasses.replace(k8s_006, scope=Scope.PER_INPUT)
    setup = workers._Setup(1 << 20, RunOptions(paths=(str(EXAMPLES),)), None, (), (700, 10, 10))
    monkeypatch.setattr(workers, "_STATE", (setup, all_sources(), [undeclared]))
    chunk = workers._read_and_judge(list(walk([str(EXAMPLES)], workers.Inventory())))
    assert chunk.deferred
    assert {rule_id for rule_id, _ in chunk.deferred} == {"K8S-006"}
    assert not chunk.judged


def test_every_rule_of_a_whole_inventory_is_cross_input() -> None:
    rules = all_rules()
    assert all(r.scope is Scope.CROSS_INPUT for r in rules if r.target.__name__ == "Inventory")
    declared = {r.meta.id for r in rules if r.scope is Scope.CROSS_INPUT}
    assert {"CERT-001", "K8S-006", "KCFG-001"} <= declared
    assert sum(r.scope is Scope.PER_INPUT for r in rules) > len(rules) // 2


def _many_confs(root: Path, count: int) -> Path:
    for i in range(count):
        directory = root / f"d{i // 100}"
        directory.mkdir(exist_ok=True)
        (directory / f"spark-{i}.conf").write_text(
            f"spark.master k8s://https://api:6443\nspark.authenticate {i % 2 == 0}\n".lower()
        )
    return root


def test_progress_counts_files_read_by_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    calls: list[int] = []
    options = AuditOptions(paths=[str(_many_confs(tmp_path, 1000))], jobs=2, progress=calls.append)
    result = audit(options)
    assert len(result.inputs) == 1000
    assert calls == [500, 1000]


def test_a_worker_that_dies_costs_nothing_but_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-chunk (here: it exits at once) breaks the pool; every chunk not
    received is read by the main process, and the report is the one process's."""
    root = _many_confs(tmp_path, 40)
    expected = audit(AuditOptions(paths=[str(root)], jobs=1))
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    monkeypatch.setattr(workers, "CHUNK_FILES", 5)
    main = os.getpid()
    read_and_judge = workers._read_and_judge

    def dies(files: list[Any]) -> Any:
        if os.getpid() != main and any(f.path.endswith("spark-17.conf") for f in files):
            os._exit(9)
        return read_and_judge(files)

    monkeypatch.setattr(workers, "_read_and_judge", dies)
    result = audit(AuditOptions(paths=[str(root)], jobs=2))
    assert result.findings == expected.findings
    assert result.inputs == expected.inputs
    assert result.errors == expected.errors == []


def test_a_worker_that_dies_while_chunks_are_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool breaks before every chunk is handed out (the first worker dies at once; the
    second hand-out waits until the pool knows): the chunks it refuses are read here."""
    root = _many_confs(tmp_path, 40)
    expected = audit(AuditOptions(paths=[str(root)], jobs=1))
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    monkeypatch.setattr(workers, "CHUNK_FILES", 5)
    monkeypatch.setattr(workers, "_read_and_judge", _exit_at_once)
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
    root = _many_confs(tmp_path, 4000)
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
    root = _many_confs(tmp_path, 400)
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


def _manifests(root: Path, count: int) -> Path:
    for i in range(count):
        (root / f"m{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n"
        )
    return root


@pytest.mark.parametrize("tree", [_many_confs, _manifests], ids=["spark", "yaml"])
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
    monkeypatch.setattr(workers, "usable_cores", lambda: cores)
    monkeypatch.setattr(workers, "MIN_FILES", 10)
    monkeypatch.setattr(workers, "PROGRESS_EVERY", 10)
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


def test_the_walk_keeps_only_the_files_not_yet_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk of many files keeps those handed out and not yet merged, not every file found:
    on a large tree, a list entry a file would grow with the tree."""
    monkeypatch.setattr(workers, "MIN_FILES", 0)
    monkeypatch.setattr(workers, "CHUNK_FILES", 2)
    walks: list[workers._Walk] = []
    most: list[int] = []

    class Watched(workers._Walk):
        def __init__(self, options: AuditOptions) -> None:
            super().__init__(options)
            walks.append(self)

        def release(self, count: int) -> None:
            most.append(len(self._files))
            super().release(count)

    monkeypatch.setattr(workers, "_Walk", Watched)
    for i in range(60):
        (tmp_path / f"spark-{i}.conf").write_text(f"spark.app.name a{i}\n")
    inventory = Inventory()
    options = AuditOptions(paths=[str(tmp_path)], jobs=2)
    assert workers.read_on_workers(options, inventory, []) is not None
    (walk,) = walks
    assert (walk.found, walk.released, len(inventory.inputs)) == (60, 60, 60)
    assert max(most) <= (workers.IN_FLIGHT * 2 + 2) * 2  # the chunks out, and the next one


def test_a_fact_is_pickled_as_a_tuple_of_its_values_whatever_their_count() -> None:
    """attrgetter of one name gives the value itself, not a tuple of it: the reducer's values
    are a tuple for none, one and several fields alike."""
    fact = argparse.Namespace(a=1, b="two")
    assert workers._values(())(fact) == ()
    assert workers._values(("a",))(fact) == (1,)
    assert workers._values(("b", "a"))(fact) == ("two", 1)


@pytest.mark.parametrize("fix_path", ["/deploy/spark-defaults.conf", "/deploy/other.conf", None])
def test_a_sent_verdict_holds_the_verdict_fields_it_names_and_the_same_identity(
    fix_path: str | None,
) -> None:
    """The workers' chunks judge which findings are distinct on sent verdicts: what each field
    of a sent one holds, and the identity read from it, are those of the run's Verdict."""
    rule = next(r for r in all_rules() if r.scope is Scope.PER_INPUT)
    where = Location(path="/deploy/spark-defaults.conf", line=3)
    outcome = fail(
        "spark.ssl.enabled is false",
        where,
        Evidence.of("spark.ssl.enabled", "false"),
        fix=Fix("set", "spark.ssl.enabled", "true", fix_path),
        cause="c",
    )
    sent = workers._sent_verdict(rule.meta, outcome)
    verdict = Verdict.at(
        where.path,
        rule.meta,
        outcome.status,
        outcome.message,
        rule.meta.severity,
        outcome.evidence,
        outcome.fix,
        cause=outcome.cause,
    )
    assert len(sent) == len(workers._SENT_FIELDS)
    for name, value in zip(workers._SENT_FIELDS, sent, strict=True):
        expected = getattr(verdict, name)
        assert value == (expected.id if name == "rule" else expected), name
    (identity,) = Finding.identities([Finding.at(where, verdict)])
    assert identity == (where, *map(verdict.__getattribute__, IDENTITY_FIELDS))
    assert workers._SENT_IDENTITY(sent) == itemgetter(*range(1, len(identity)))(identity)
