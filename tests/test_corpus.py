"""triplock's recall and precision on a corpus of deployment files modelled on real public ones.

Every file under tests/corpus/ was written here after the pattern of a public deployment file
(its first comment names the project and path); tests/corpus/expected.yaml says, for each file,
what a competent auditor must report there and what would be a false alarm. Each directory
under a project is one deployment and is audited as one unit, so that cross-file context
(a compose file and its env_file, core-site.xml with hdfs-site.xml) is what triplock sees.

- recall: must-report items found / all must-report items. An item (a control or a rule id) is
  found when a failing finding of that control or rule, of any severity, is located in the file.
- precision: 1 - false alarms / judged failures. Judged failures are every failing finding at
  medium or above located in a corpus file, plus every finding that hits a must-not item
  whatever its severity. A judged failure is a false alarm when it is located in a file marked
  hardened (at medium or above), or when it matches one of the file's must-not items (a rule
  id, a control, or RULE@LINE for one line). Failures on insecure files that the manifest does
  not name are counted as true: the manifest lists what must be found, not all that may be.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import run_cli

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "expected.yaml"
JUDGED = ("medium", "high", "critical")
THRESHOLD = 0.95


@dataclass(frozen=True)
class Failure:
    rule_id: str
    control: str
    severity: str
    line: int | None

    def matches(self, item: str) -> bool:
        rule, _, line = item.partition("@")
        if rule not in (self.rule_id, self.control):
            return False
        return not line or self.line == int(line)


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    judged: int = 0
    false_alarms: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return 1 - len(self.false_alarms) / self.judged if self.judged else 1.0


def _manifest() -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = yaml.safe_load(MANIFEST.read_text())["files"]
    return files


def _deployments(root: Path) -> list[Path]:
    return sorted({(root / name).parent for name in _manifest()})


def _audit(root: Path) -> tuple[dict[str, list[Failure]], list[Any]]:
    failures: dict[str, list[Failure]] = {}
    errors: list[Any] = []
    for unit in _deployments(root):
        report = run_cli("audit", str(unit), "--format", "json", "--soft-fail").json()
        errors.extend(report["errors"])
        for f in report["findings"]:
            if f["status"] != "fail":
                continue
            path = Path(f["location"]["path"])
            name = (path if path.is_absolute() else Path.cwd() / path).resolve()
            rel = name.relative_to(root.resolve()).as_posix()
            failures.setdefault(rel, []).append(
                Failure(f["rule_id"], f["control"], f["severity"], f["location"].get("line"))
            )
    return failures, errors


def score(failures: dict[str, list[Failure]]) -> Score:
    result = Score()
    for name, want in _manifest().items():
        got = failures.get(name, [])
        for item in want.get("report", []):
            result.expected += 1
            if any(f.matches(item) for f in got):
                result.found += 1
            else:
                result.missed.append(f"{name}: {item}")
        must_not = want.get("not", [])
        for f in got:
            hit = any(f.matches(item) for item in must_not)
            if f.severity in JUDGED or hit:
                result.judged += 1
                if hit or want.get("hardened", False):
                    result.false_alarms.append(f"{name}:{f.line} {f.rule_id} ({f.severity})")
    return result


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list[Failure]], Any]:
    """The corpus as installed: copied, each file given the mode its deployment gives it."""
    root = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, root)
    for name, want in _manifest().items():
        (root / name).chmod(int(want.get("mode", "0644"), 8))
    return _audit(root)


def test_corpus_recall_and_precision(audited: tuple[dict[str, list[Failure]], Any]) -> None:
    failures, errors = audited
    result = score(failures)
    print(
        f"\ncorpus: recall {result.recall:.3f} ({result.found}/{result.expected}), "
        f"precision {result.precision:.3f} "
        f"({result.judged - len(result.false_alarms)}/{result.judged} judged failures true)"
    )
    for item in result.missed:
        print(f"  missed: {item}")
    for item in result.false_alarms:
        print(f"  false alarm: {item}")
    assert not errors
    assert result.recall >= THRESHOLD, result.missed
    assert result.precision >= THRESHOLD, result.false_alarms


def test_hardened_corpus_files_have_no_failure_at_medium_or_above(
    audited: tuple[dict[str, list[Failure]], Any],
) -> None:
    failures, _ = audited
    hardened = [name for name, want in _manifest().items() if want.get("hardened")]
    bad = [
        (name, f.rule_id, f.line)
        for name in hardened
        for f in failures.get(name, [])
        if f.severity in JUDGED
    ]
    assert len(hardened) >= 15
    assert bad == []


def test_score_counts_misses_and_false_alarms() -> None:
    """The scoring itself: a missing item lowers recall, a must-not hit lowers precision."""
    name = "apache-spark/secret-literal/spark-defaults.conf"
    hit = Failure("SPARK-002", "spark.authentication", "high", 4)
    alarm = Failure("SPARK-004", "keys.management", "critical", 7)
    clean = score({name: [hit]})
    noisy = score({name: [hit, alarm]})
    assert f"{name}: SPARK-002" not in clean.missed
    assert noisy.false_alarms == [f"{name}:7 SPARK-004 (critical)"]
    assert noisy.precision < clean.precision
    assert score({}).recall < clean.recall


def test_corpus_is_large_varied_and_says_where_each_file_comes_from() -> None:
    files = _manifest()
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()} - {
        "expected.yaml"
    }
    assert set(files) == on_disk
    assert len(files) >= 60
    assert len({name.split("/")[0] for name in files}) >= 12
    assert any(w.get("hardened") for w in files.values())
    assert any(w.get("report") for w in files.values())
    for name in files:
        head = (CORPUS / name).read_text().splitlines()[:3]
        assert any("Pattern: " in line for line in head), name
