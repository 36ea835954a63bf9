"""Targets, IPv6, and the scanner's bounds on one endpoint."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from triplock.facts.tls import Endpoint
from triplock.tlsscan.connector import Limits, TargetError, parse_target
from triplock.tlsscan.probe import probe


@pytest.mark.parametrize(
    ("text", "host", "port", "sni"),
    [
        ("svc.example:8443", "svc.example", 8443, "svc.example"),
        ("svc.example", "svc.example", 443, "svc.example"),
        ("10.1.2.3:443", "10.1.2.3", 443, None),
        ("[::1]:8443", "::1", 8443, None),
        ("[2001:db8::1]", "2001:db8::1", 443, None),
        ("https://user:pw@ui.example:18480/history", "ui.example", 18480, "ui.example"),
    ],
)
def test_parse_target(text: str, host: str, port: int, sni: str | None) -> None:
    target = parse_target(text)
    assert (target.host, target.port, target.sni) == (host, port, sni)


def test_sni_override() -> None:
    assert parse_target("10.1.2.3:443", sni="spark.example").sni == "spark.example"


@pytest.mark.parametrize("text", ["::1:443", "svc:0", "svc:65536", "svc:http", ":443", "[::1"])
def test_bad_targets(text: str) -> None:
    with pytest.raises(TargetError):
        parse_target(text)


def _probe_plain_http(server: socket.socket, target: str) -> tuple[Endpoint, list[bytes]]:
    """Probe `target` while `server` (bound) answers every connection with plain HTTP; the
    endpoint and the first byte each connection brought."""
    server.listen(16)
    answered: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                answered.append(conn.recv(4096)[:1])
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        ep = asyncio.run(probe(parse_target(target), Limits(timeout=2), asyncio.Semaphore(4)))
    finally:
        server.close()
    return ep, answered


def test_ipv6_target_reaches_an_ipv6_listener() -> None:
    try:
        server = socket.socket(socket.AF_INET6)
        server.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    port = server.getsockname()[1]
    ep, _ = _probe_plain_http(server, f"[::1]:{port}")
    assert ep.target == f"[::1]:{port}"
    assert ep.error is not None and "plain HTTP" in ep.error


def test_a_name_reaches_the_address_that_listens() -> None:
    """ "localhost" may resolve to ::1 before 127.0.0.1: the probe connects to the address
    that listens (an IPv4-only plain-HTTP server) for each of its exchanges."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    ep, answered = _probe_plain_http(server, f"localhost:{server.getsockname()[1]}")
    assert ep.error is not None and "plain HTTP" in ep.error
    assert len(answered) == ep.connections >= 2  # every exchange reached the listener
    assert answered[0] == b"\x16"  # a TLS handshake record


def test_fleet_reports_progress_and_keeps_order() -> None:
    from triplock.tlsscan.scanner import scan

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    calls: list[tuple[int, int]] = []
    targets = [parse_target(f"127.0.0.1:{p}") for p in ports]
    endpoints = scan(targets, Limits(timeout=1), lambda done, total: calls.append((done, total)))
    assert [e.target for e in endpoints] == [t.label for t in targets]
    assert sorted(calls) == [(1, 2), (2, 2)]
    assert all(e.error is not None for e in endpoints)
