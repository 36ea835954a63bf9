"""The probe's table: what a node reports is shown as text, never read as Rich markup."""

from __future__ import annotations

from dataclasses import replace

from tests.helpers import ROOT
from triplock.probe.host import probe_host
from triplock.probe.report import render_table

HOSTS = ROOT / "tests" / "fixtures" / "tee" / "hosts"


def test_hostnames_and_executor_ids_are_text() -> None:
    plain = replace(probe_host(str(HOSTS / "plain")), hostname="[/x]node-[bold]1")
    sgx = probe_host(str(HOSTS / "sgx"))
    table = render_table([sgx, plain], missing_executors=("[/red]7",))
    assert "[/x]node-[bold]1" in table  # a row, and the list of hosts without a TEE
    assert "No TEE present on 1 of 2 host(s): [/x]node-[bold]1" in table
    assert "Executors that did not report: [/red]7" in table
    assert table.count("\n") > 6  # the table itself was drawn
