from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.tee import HostTee
from triplock.inventory import Inventory
from triplock.probe.host import probe_host
from triplock.probe.report import render_json, render_json_line
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.probe_json import SOURCE

HOSTS = ROOT / "tests" / "fixtures" / "tee" / "hosts"


def parse(name: str, text: str) -> list[HostTee]:
    file = InputFile(name, text.encode())
    assert SOURCE.claims(file)
    inventory = Inventory()
    SOURCE.parse(file, inventory)
    return inventory.of(HostTee)


def test_round_trip() -> None:
    host = probe_host(str(HOSTS / "sgx"))
    (back,) = parse("probe.json", render_json([host]))
    assert back.to_dict() == host.to_dict()
    assert back.location.path == "probe.json"
    assert back.location.object == "host sgx-worker-1"
    assert back.location.line == 10  # the "hostname" line of the report


def test_json_lines_from_a_daemonset() -> None:
    lines = "".join(render_json_line([probe_host(str(HOSTS / h))]) for h in ("sgx", "tdx", "plain"))
    hosts = parse("probes.jsonl", lines)
    assert [(h.hostname, h.location.line) for h in hosts] == [
        ("sgx-worker-1", 1),
        ("tdx-guest-1", 2),
        ("plain-node-1", 3),
    ]


def test_array_of_reports() -> None:
    reports = [json.loads(render_json([probe_host(str(HOSTS / h))])) for h in ("sgx", "tdx")]
    assert len(parse("all.json", json.dumps(reports))) == 2


def test_other_json_is_not_claimed() -> None:
    assert not SOURCE.claims(InputFile("x.json", b'{"kind": "Pod"}'))


@pytest.mark.parametrize(
    "text",
    [
        '{"kind": "triplock-probe", "hosts": []}',
        '{"kind": "triplock-probe", "hosts": [{"no": "hostname"}]}',
        '{"kind": "triplock-probe", "hosts": [{"hostname": "a"}]}\nnot json\n',
    ],
)
def test_bad_reports_are_errors(text: str) -> None:
    with pytest.raises(SourceError):
        SOURCE.parse(InputFile("p.json", text.encode()), Inventory())


def test_audit_of_collected_reports_judges_use_tee(tmp_path: Path) -> None:
    lines = "".join(render_json_line([probe_host(str(HOSTS / h))]) for h in ("sgx", "plain"))
    path = write(tmp_path, "probes.jsonl", lines)
    result = run_cli("audit", str(path), "--format", "json")
    assert result.code == 1
    fails = findings_of(result, "TEE-040", "fail")
    assert [f["location"]["object"] for f in fails] == ["host plain-node-1"]
    checklist = {c["control"]: c["status"] for c in result.json()["checklist"]}
    assert checklist["use.tee"] == "fail"


def test_all_tee_hosts_pass_use_tee(tmp_path: Path) -> None:
    lines = "".join(render_json_line([probe_host(str(HOSTS / h))]) for h in ("sgx", "tdx"))
    path = write(tmp_path, "probes.jsonl", lines)
    result = run_cli("audit", str(path), "--format", "json")
    assert result.code == 0
    checklist = {c["control"]: c["status"] for c in result.json()["checklist"]}
    assert checklist["use.tee"] == "pass"
