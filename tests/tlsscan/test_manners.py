"""Manners: however many ports a host has, at most `per_host` connections to it at once."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from triplock.tlsscan.connector import Limits, parse_target
from triplock.tlsscan.scanner import scan


class _CountingHost:
    """Several listening ports on 127.0.0.1 that share one count of open connections; each
    connection is held briefly and answered with an alert, so a scan makes many of them."""

    def __init__(self, ports: int) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.most = 0
        self.total = 0
        self.sockets = []
        for _ in range(ports):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(64)
            self.sockets.append(s)
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    @property
    def ports(self) -> list[int]:
        return [s.getsockname()[1] for s in self.sockets]

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self.lock:
            self.open += 1
            self.total += 1
            self.most = max(self.most, self.open)
        try:
            conn.settimeout(2)
            conn.recv(4096)
            time.sleep(0.05)
        except OSError:
            pass
        # Counted as closed before the client can see the answer and free its slot, so the
        # count never includes a connection the client has already let go of.
        with self.lock:
            self.open -= 1
        with contextlib.suppress(OSError):
            conn.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure alert
        conn.close()

    def close(self) -> None:
        for s in self.sockets:
            s.close()


@pytest.fixture
def host() -> Iterator[_CountingHost]:
    h = _CountingHost(ports=6)
    yield h
    h.close()


def test_connections_per_host_are_bounded_across_ports(host: _CountingHost) -> None:
    targets = [parse_target(f"127.0.0.1:{p}") for p in host.ports]
    endpoints = scan(targets, Limits(timeout=3, per_host=2, overall=64))
    assert len(endpoints) == 6
    assert host.total >= 12  # several probes per port were made
    assert host.most <= 2


def test_waiting_for_the_bounds_is_not_idleness(host: _CountingHost) -> None:
    """Six ports of one host through one slot: an endpoint waits for the others far longer
    than its idle budget (3 x 0.2 s) and still gets its whole answer."""
    targets = [parse_target(f"127.0.0.1:{p}") for p in host.ports]
    endpoints = scan(targets, Limits(timeout=0.2, per_host=1, overall=64))
    assert max(ep.seconds for ep in endpoints) > 3 * 0.2
    for ep in endpoints:
        assert ep.error == "the server refused every hello (handshake_failure)", ep.error
        assert not ep.incomplete and not any("partial" in n for n in ep.notes)
    assert host.most <= 1
