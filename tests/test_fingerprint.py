"""Fingerprints (SARIF partialFingerprints, baselines): the rule, the path relative to the
working directory, the object and the message with its whitespace collapsed and its case
folded, hashed; an occurrence number tells findings with the same identity apart."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.helpers.sample import AUTH, LOCAL
from triplock.fingerprint import fingerprints, relative
from triplock.model import Finding, Location, RuleMeta, Severity, Status


def finding(message: str, where: Location, rule: RuleMeta = AUTH) -> Finding:
    return Finding(rule, Status.FAIL, message, where, Severity.HIGH)


def digest(*fields: str) -> str:
    return hashlib.sha256("\0".join(fields).encode()).hexdigest()[:32]


def test_a_fingerprint_hashes_rule_relative_path_object_and_folded_message(
    tmp_path: Path,
) -> None:
    where = Location(path=str(tmp_path / "deploy" / "a.conf"), line=3, object="Pod/x")
    [print_] = fingerprints([finding("Spark  RPC\tis\n OFF ", where)], tmp_path)
    assert print_ == digest(AUTH.id, "deploy/a.conf", "Pod/x", "spark rpc is off") + ":1"


def test_whitespace_case_and_lines_do_not_change_it_but_rule_path_and_object_do(
    tmp_path: Path,
) -> None:
    conf = str(tmp_path / "a.conf")
    same = [
        finding("RPC is  off", Location(path=conf, line=1)),
        finding("rpc\u00a0is\u2028OFF", Location(path=conf, line=9)),
        finding(" Rpc is off\t", Location(path=conf)),
    ]
    other = [
        finding("RPC is off", Location(path=conf, line=1), rule=LOCAL),
        finding("RPC is off", Location(path=str(tmp_path / "b.conf"), line=1)),
        finding("RPC is off", Location(path=conf, line=1, object="Pod/y")),
        finding("RPC is on", Location(path=conf, line=1)),
    ]
    prints = fingerprints(same + other, tmp_path)
    hashes = [p.split(":")[0] for p in prints]
    assert len(set(hashes[:3])) == 1
    assert [p.split(":")[1] for p in prints[:3]] == ["1", "2", "3"]  # occurrences, in order
    assert len(set(hashes[3:]) | {hashes[0]}) == 5


def test_paths_outside_the_root_urls_and_stdin_are_taken_as_written(tmp_path: Path) -> None:
    outside = Location(path="/elsewhere/a.conf")
    url = Location(url="https://spark.example:4040/api")
    stdin = Location(path="<stdin>")
    prints = fingerprints([finding("m", w) for w in (outside, url, stdin)], tmp_path)
    assert prints == [
        digest(AUTH.id, "/elsewhere/a.conf", "", "m") + ":1",
        digest(AUTH.id, "https://spark.example:4040/api", "", "m") + ":1",
        digest(AUTH.id, "<stdin>", "", "m") + ":1",
    ]
    assert relative(str(tmp_path / "x" / "y.conf"), tmp_path) == "x/y.conf"
    assert relative("/elsewhere/a.conf", tmp_path) is None
    assert relative("<stdin>", tmp_path) is None
