"""Servers that answer hellos but fall short of a whole handshake or a whole scan: each gets an
honest result (real sockets on 127.0.0.1; a Python `ssl` server where a real TLS stack is
needed, scripted bytes where the point is a broken one)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tlsscan.farm import make_pki
from tests.tlsscan.test_hostile import ScriptedServer
from triplock.commands.scan import endpoint_dict, judge_endpoints
from triplock.facts.tls import Endpoint
from triplock.model import Status
from triplock.rules._tls_grade import grade
from triplock.tlsscan import wire
from triplock.tlsscan.connector import Limits, parse_target
from triplock.tlsscan.probe import probe


def _probe(port: int, timeout: float) -> Endpoint:
    async def run() -> Endpoint:
        return await probe(
            parse_target(f"127.0.0.1:{port}"), Limits(timeout=timeout), asyncio.Semaphore(20)
        )

    return asyncio.run(run())


# -- a server that answers every hello with a ServerHello, then closes ----------------------


def _offered(hello: bytes) -> tuple[int, list[int]]:
    """The client_version and cipher suites of a ClientHello record."""
    r = wire.Reader(hello[5:])
    r.u8(), r.u24()
    version = r.u16()
    r.take(32)
    r.vec8()
    raw = r.vec16()
    return version, [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def server_hello_then_close(conn: socket.socket) -> None:
    conn.settimeout(2)
    hello = conn.recv(65536)
    if len(hello) < 50 or hello[0] != wire.HANDSHAKE:
        return
    version, offered = _offered(hello)
    suite = next(s for s in offered if s != wire.RENEGOTIATION_SCSV)
    renegotiation_info = struct.pack("!HHB", wire.EXT_RENEGOTIATION_INFO, 1, 0)
    body = (
        struct.pack("!H", version) + bytes(32) + b"\x00" + struct.pack("!HB", suite, 0)
        + struct.pack("!H", len(renegotiation_info)) + renegotiation_info
    )  # fmt: skip
    message = bytes([wire.SERVER_HELLO]) + len(body).to_bytes(3, "big") + body
    conn.sendall(bytes([wire.HANDSHAKE]) + struct.pack("!HH", version, len(message)) + message)


def test_a_server_that_closes_after_server_hello_never_completes_a_handshake() -> None:
    server = ScriptedServer(server_hello_then_close)
    try:
        ep = _probe(server.port, timeout=2)
    finally:
        server.stop()
    assert ep.error is not None and ep.error.startswith("handshake never completes"), ep.error
    assert not ep.cipher_suites and not ep.observed
    assert grade(ep) is None
    assert endpoint_dict(ep)["grade"] is None
    (unknown,) = [f for f in judge_endpoints([ep]).findings if f.rule.id == "TLS-001"]
    assert unknown.status is Status.UNKNOWN and "never completes" in unknown.message


# -- a real TLS server (the ssl module) whose every first reply is late -------------------


def slow_tls_server(directory: Path, delay: float, answer: int | None = None) -> ScriptedServer:
    """Python's own TLS server; each connection waits `delay` seconds before it reads the
    hello, and after `answer` connections the server stops answering at all."""
    pki = make_pki(directory)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.files["rsa-full.pem"], pki.files["rsa.key"])
    count = itertools.count(1)

    def behaviour(conn: socket.socket) -> None:
        if answer is not None and next(count) > answer:
            server.stopped.wait(30)  # holds the connection, says nothing
            return
        time.sleep(delay)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(2)
            tls.recv(1024)

    server = ScriptedServer(behaviour)
    return server


@pytest.fixture
def slow_servers(tmp_path: Path) -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    prompt, late = slow_tls_server(tmp_path / "a", 0.0), slow_tls_server(tmp_path / "b", 0.6)
    yield prompt, late
    prompt.stop()
    late.stop()


@pytest.mark.slow
def test_a_slow_but_healthy_server_gets_a_whole_result(
    slow_servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    """Every reply 0.6 s late, timeout 1 s: the TLS 1.3 enumeration alone takes a dozen
    exchanges one after another, more than the old fixed budget of 6 timeouts."""
    prompt, late = slow_servers
    reference, ep = _probe(prompt.port, timeout=1.0), _probe(late.port, timeout=1.0)
    assert ep.error is None and not ep.incomplete, (ep.error, ep.notes)
    assert ep.seconds > 6.0
    assert ep.cipher_suites == reference.cipher_suites and ep.cipher_suites["TLSv1.3"]
    assert ep.groups_by_protocol == reference.groups_by_protocol
    assert ep.session_resumption == reference.session_resumption
    result, expected = grade(ep), grade(reference)
    assert result is not None and expected is not None and result.letter == expected.letter


def test_a_server_that_stops_answering_keeps_what_was_observed(tmp_path: Path) -> None:
    server = slow_tls_server(tmp_path, 0.0, answer=12)
    try:
        ep = _probe(server.port, timeout=0.5)
    finally:
        server.stop()
    assert ep.error is None and ep.observed
    assert ep.cipher_suites and ep.incomplete, ep
    assert any(n.startswith("partial result: ") for n in ep.notes), ep.notes
    assert grade(ep) is None
    data = endpoint_dict(ep)
    assert data["incomplete"] == ep.incomplete and data["grade"] is None
    statuses = {f.rule.id: f.status for f in judge_endpoints([ep]).findings}
    assert statuses["TLS-001"] is Status.UNKNOWN
