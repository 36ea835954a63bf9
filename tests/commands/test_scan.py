"""`triplock scan`: the JSON contract of docs/tls.md, the table, exit codes and usage errors,
against real servers (openssl s_server and nginx on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import need_command, run_cli
from tests.tlsscan.farm import Server, farm

ENDPOINT_KEYS = {
    "target",
    "error",
    "protocols",
    "cipher_suites",
    "groups",
    "certificate_chains",
    "session_resumption",
    "ocsp_stapling",
    "server_preference",
    "grade",
    "connections",
    "seconds",
}
FINDING_KEYS = {
    "rule_id",
    "slug",
    "control",
    "stage",
    "severity",
    "status",
    "title",
    "message",
    "location",
    "evidence",
    "remediation",
    "waiver",
}
PROTOCOLS = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    need_command("openssl")
    need_command("nginx")
    with farm(tmp_path_factory.mktemp("scan-cli"), ["leaf-only", "nginx-intermediate"]) as s:
        yield s


def test_json_contract(servers: dict[str, Server]) -> None:
    nginx, leaf_only = servers["nginx-intermediate"].target, servers["leaf-only"].target
    result = run_cli("scan", nginx, leaf_only, "--format", "json", "--fail-on", "critical")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["schema_version"] == "1.0"
    assert [e["target"] for e in doc["endpoints"]] == [nginx, leaf_only]
    for ep in doc["endpoints"]:
        assert set(ep) >= ENDPOINT_KEYS
        assert list(ep["protocols"]) == PROTOCOLS
        assert all(name.startswith("TLS_") for s in ep["cipher_suites"].values() for name in s)
        assert ep["error"] is None and ep["connections"] > 0
    first = doc["endpoints"][0]
    assert first["grade"] == "A+"
    # additive fields of the same schema version: curves per protocol, nothing left unfinished
    assert set(first["groups_by_protocol"]["TLSv1.2"]) == {"x25519", "secp256r1", "secp384r1"}
    assert first["incomplete"] == []
    assert first["certificate_chains"]["TLSv1.3"][0]["subject"] == "CN=localhost"
    assert doc["endpoints"][1]["grade"] == "B"
    assert doc["findings"] and all(set(f) >= FINDING_KEYS for f in doc["findings"])
    controls = {f["control"] for f in doc["findings"]}
    assert {"transit.tls.protocol", "transit.tls.cipher", "transit.tls.certificate"} <= controls
    # The chain seen on the wire is judged by the certificate rules too.
    chain_findings = [f for f in doc["findings"] if f["control"] == "transit.tls.certificate"]
    assert any(f["location"]["url"] == f"tls://{leaf_only}" for f in chain_findings)


def test_fail_on_and_table(servers: dict[str, Server]) -> None:
    target = servers["leaf-only"].target
    result = run_cli("scan", target, "--format", "table", "--fail-on", "low")
    assert result.code == 1
    assert target in result.out and "TLS-060" in result.out


def test_targets_file_and_credentials_never_shown(
    servers: dict[str, Server], tmp_path: Path
) -> None:
    port = servers["nginx-intermediate"].port
    targets = tmp_path / "targets.txt"
    targets.write_text(f"# fleet\nhttps://admin:CANARY-7f3a9c2e1b@127.0.0.1:{port}/ui\n")
    result = run_cli("scan", "--targets", str(targets), "--format", "json")
    assert result.code == 0, result.err
    assert "CANARY" not in result.out + result.err
    assert result.json()["endpoints"][0]["target"] == f"127.0.0.1:{port}"


def test_unreachable_only_target_exits_2() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli("scan", f"127.0.0.1:{port}", "--format", "json", "--timeout", "1")
    assert result.code == 2
    doc = result.json()
    assert doc["endpoints"][0]["error"].startswith("cannot connect")
    assert doc["errors"][0]["path"] == f"127.0.0.1:{port}"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["::1:443"],
        ["host:http"],
        ["https://u:CANARY-7f3a9c2e1b@host:0"],
        ["--targets", "/nonexistent/targets.txt"],
        ["127.0.0.1:1", "--timeout", "0"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    result = run_cli("scan", *args)
    assert result.code == 2
    assert "triplock: error:" in result.err
    assert "CANARY" not in result.err


def test_scan_judges_with_every_rule_that_has_something_to_say(
    servers: dict[str, Server],
) -> None:
    """The scan loads only the TLS and certificate rules: judging the same endpoints with
    every rule of every module gives the very same findings."""
    from triplock.audit import AuditOptions, judge
    from triplock.commands.scan import judge_endpoints
    from triplock.inventory import Inventory
    from triplock.tlsscan.connector import Limits, parse_target
    from triplock.tlsscan.deployment import add_endpoints
    from triplock.tlsscan.scanner import scan

    endpoints = scan([parse_target(s.target) for s in servers.values()], Limits(timeout=5))
    inventory = Inventory()
    add_endpoints(inventory, endpoints)
    every = judge(inventory, AuditOptions(paths=[]))
    scan_only = judge_endpoints(endpoints)
    assert every.findings and every.findings == scan_only.findings


def test_scan_writes_every_audit_format_in_one_run(
    servers: dict[str, Server], tmp_path: Path
) -> None:
    import json

    target = servers["leaf-only"].target
    outputs = {
        name: tmp_path / f"scan.{name}" for name in ("sarif", "markdown", "html", "junit", "json")
    }
    args = [arg for name, path in outputs.items() for arg in ("-f", name, "-o", str(path))]
    result = run_cli("scan", target, *args, "-f", "summary", "--fail-on", "never")
    assert result.code == 0, result.err
    sarif = json.loads(outputs["sarif"].read_text())
    assert any(r["ruleId"] == "TLS-060" for r in sarif["runs"][0]["results"])
    assert "TLS-060" in outputs["markdown"].read_text()
    assert 'data-control="transit.tls' in outputs["html"].read_text()
    assert "<testsuite" in outputs["junit"].read_text()
    assert json.loads(outputs["json"].read_text())["endpoints"][0]["target"] == target
    assert "TLS-060" in result.out  # the summary went to stdout


def test_scan_imports_only_what_it_runs(servers: dict[str, Server], tmp_path: Path) -> None:
    """Start-up: `triplock scan` registers only its own subcommand and loads only the TLS and
    certificate rules (a fresh interpreter, as the console script runs)."""
    import subprocess
    import sys

    script = (
        "import sys; from triplock.cli import main\n"
        f"main(['scan', {servers['leaf-only'].target!r}, '-o', {str(tmp_path / 'o.json')!r},"
        " '--fail-on', 'never'])\n"
        "print(' '.join(m for m in sys.modules if m.startswith('triplock.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(out.split())
    public = {m for m in loaded if m.count(".") == 2 and not m.rsplit(".", 1)[1].startswith("_")}
    assert {m for m in public if m.startswith("triplock.commands.")} == {"triplock.commands.scan"}
    rules = {m for m in public if m.startswith("triplock.rules.")}
    assert rules == {"triplock.rules.tls", "triplock.rules.certs", "triplock.rules.registry"}
    assert (tmp_path / "o.json").exists()
