"""The probe's output: a JSON report (also an input of `triplock audit`) and a table."""

from __future__ import annotations

import io
import json
from typing import Any

from triplock import __version__
from triplock.facts.tee import HostTee

KIND = "triplock-probe"  # the marker sources/probe_json.py claims reports by
SCHEMA_VERSION = "1.0"


def report_dict(hosts: list[HostTee], missing_executors: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "triplock", "version": __version__},
        "hosts": [h.to_dict() for h in hosts],
        "missing_executors": list(missing_executors),
    }


def render_json(hosts: list[HostTee], missing_executors: tuple[str, ...] = ()) -> str:
    return json.dumps(report_dict(hosts, missing_executors), indent=2) + "\n"


def render_json_line(hosts: list[HostTee]) -> str:
    """One line per report: what the DaemonSet prints, so that collected logs are JSON Lines."""
    return json.dumps(report_dict(hosts), separators=(",", ":")) + "\n"


def render_table(hosts: list[HostTee], missing_executors: tuple[str, ...] = ()) -> str:
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, highlight=False, markup=False)
    table = Table(title="TEE capabilities by host", title_justify="left")
    for column in (
        "host",
        "TEE",
        "SGX cpu/lc",
        "SGX driver",
        "provision",
        "AESM",
        "TDX guest",
        "SEV-SNP guest",
        "library OS",
        "executors",
    ):
        table.add_column(column)
    for h in hosts:
        table.add_row(
            h.hostname,
            ", ".join(h.tees) or "none",
            f"{_yes(h.sgx_cpu)}/{_yes(h.sgx_launch_control)}",
            h.sgx_enclave_device or "-",
            h.sgx_provision_device or "-",
            _yes(h.aesm_socket),
            _yes(h.tdx_guest),
            _yes(h.sev_snp_guest),
            h.libos or "-",
            ", ".join(e.executor_id for e in h.executors) or "-",
        )
    console.print(table)
    without = [h.hostname for h in hosts if not h.tees]
    if without:
        console.print(
            f"No TEE present on {len(without)} of {len(hosts)} host(s): " + ", ".join(without)
        )
    if missing_executors:
        console.print("Executors that did not report: " + ", ".join(missing_executors))
    return out.getvalue()


def _yes(value: bool) -> str:
    return "yes" if value else "no"
