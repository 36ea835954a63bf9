from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import ROOT
from triplock.probe.host import probe_host

HOSTS = ROOT / "tests" / "fixtures" / "tee" / "hosts"


def test_sgx_host_with_in_kernel_driver() -> None:
    h = probe_host(str(HOSTS / "sgx"))
    assert h.hostname == "sgx-worker-1"
    assert h.kernel == "5.15.0-91-generic"
    assert (h.sgx_cpu, h.sgx_launch_control) == (True, True)
    assert h.sgx_enclave_device == "/dev/sgx_enclave"
    assert h.sgx_provision_device == "/dev/sgx_provision"
    assert h.aesm_socket
    assert h.tees == ("sgx",)
    assert not h.tdx_guest and h.libos is None


def test_legacy_sgx_host() -> None:
    h = probe_host(str(HOSTS / "sgx-legacy"))
    assert h.sgx_cpu and not h.sgx_launch_control
    assert h.sgx_enclave_device == "/dev/isgx"
    assert h.sgx_provision_device is None and not h.aesm_socket


def test_tdx_guest() -> None:
    h = probe_host(str(HOSTS / "tdx"))
    assert "tdx_guest" in h.cpu_flags and "/dev/tdx_guest" in h.devices
    assert h.tees == ("tdx",)
    assert not h.sgx_cpu


def test_plain_host_has_no_tee() -> None:
    h = probe_host(str(HOSTS / "plain"))
    assert h.tees == ()
    assert h.cpu_flags == ()
    assert h.hostname == "plain-node-1"


def test_inside_gramine() -> None:
    h = probe_host(str(HOSTS / "gramine-enclave"))
    assert h.libos == "gramine"
    assert h.attestation_type == "dcap"
    assert h.tees == ("sgx",)


def test_occlum_from_environ(tmp_path: Path) -> None:
    (tmp_path / "proc" / "self").mkdir(parents=True)
    (tmp_path / "proc" / "self" / "environ").write_bytes(b"PATH=/bin\0OCCLUM=yes\0")
    assert probe_host(str(tmp_path)).libos == "occlum"


def test_flags_from_every_processor(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text(
        "processor\t: 0\nflags\t\t: fpu sgx\n\nprocessor\t: 1\nflags\t\t: fpu sgx_lc\n"
    )
    assert probe_host(str(tmp_path)).cpu_flags == ("sgx", "sgx_lc")


def test_empty_root_is_no_tee(tmp_path: Path) -> None:
    h = probe_host(str(tmp_path), hostname="n1")
    assert (h.hostname, h.kernel, h.tees, h.devices) == ("n1", None, (), ())


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="needs Linux /proc")
def test_this_machine_reports_honestly() -> None:
    """What this machine has, read independently of the probe, must be what it reports."""
    h = probe_host("/")
    flags = set()
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
    assert ("sgx" in flags) == h.sgx_cpu
    assert ("tdx_guest" in flags) == ("tdx_guest" in h.cpu_flags)
    assert os.path.exists("/dev/sgx_enclave") == (h.sgx_enclave_device == "/dev/sgx_enclave")
    assert os.path.exists("/dev/tdx_guest") == ("/dev/tdx_guest" in h.devices)
    if not {"sgx", "tdx_guest"} & flags and not os.path.exists("/dev/sev-guest"):
        assert h.tees == ()
