"""Observe the TEE capabilities of the host this process runs on, read below a root path.

Everything is read from files under `root` (/proc/cpuinfo, /dev, the AESM socket, Gramine's
/dev/attestation), so tests replay recorded host trees and the DaemonSet reads the node's files
mounted under /host. Nothing here judges: rules/tee.py does.
"""

from __future__ import annotations

import os
import socket

from triplock.facts.tee import AESM_SOCKET, TEE_CPU_FLAGS, TEE_DEVICES, Executor, HostTee
from triplock.model import Location

_MAX_READ = 4 * 1024 * 1024


def probe_host(
    root: str = "/", hostname: str | None = None, executors: tuple[Executor, ...] = ()
) -> HostTee:
    """The TEE facts of the host whose files are under `root`."""
    name = hostname or _hostname(root)
    return HostTee(
        hostname=name,
        kernel=_read_line(root, "proc/sys/kernel/osrelease"),
        cpu_flags=tuple(f for f in TEE_CPU_FLAGS if f in _cpu_flags(root)),
        devices=tuple(d for d in TEE_DEVICES if os.path.lexists(_under(root, d))),
        aesm_socket=os.path.lexists(_under(root, AESM_SOCKET)),
        libos=_libos(root),
        attestation_type=_read_line(root, "dev/attestation/attestation_type"),
        location=Location(object=f"host {name}"),
        executors=executors,
    )


def _under(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _read(root: str, path: str) -> str | None:
    try:
        chunks: list[bytes] = []
        with open(_under(root, path), "rb") as handle:
            # procfs refuses one huge read (ENOMEM on sysctl files): read in small chunks.
            while (chunk := handle.read(65536)) and sum(map(len, chunks)) < _MAX_READ:
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None


def _read_line(root: str, path: str) -> str | None:
    text = _read(root, path)
    if text is None:
        return None
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line or None


def _cpu_flags(root: str) -> set[str]:
    """The union of every processor's `flags` line (hybrid CPUs may differ per core)."""
    flags: set[str] = set()
    for line in (_read(root, "proc/cpuinfo") or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            flags.update(value.split())
    return flags


def _hostname(root: str) -> str:
    if os.path.realpath(root) == "/":
        return socket.gethostname()
    return _read_line(root, "etc/hostname") or os.path.basename(os.path.abspath(root))


def _libos(root: str) -> str | None:
    """Whether the probe runs inside a library OS: Gramine exposes /dev/attestation; Occlum
    sets OCCLUM=yes in its default environment."""
    if os.path.lexists(_under(root, "dev/attestation")):
        return "gramine"
    environ = _read(root, "proc/self/environ") or ""
    if "OCCLUM=yes" in environ.split("\0"):
        return "occlum"
    return None
