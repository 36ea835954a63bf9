"""Hostile and broken peers: each gives a per-endpoint error or a partial result within the
timeout, never an exception (real sockets on 127.0.0.1, scripted servers)."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from triplock.facts.tls import Endpoint
from triplock.tlsscan.connector import Limits, parse_target
from triplock.tlsscan.probe import probe

Behaviour = Callable[[socket.socket], None]
HANDSHAKE_HEADER = b"\x16\x03\x03"


def _read_hello(conn: socket.socket) -> bytes:
    conn.settimeout(2)
    try:
        return conn.recv(4096)
    except OSError:
        return b""


def garbage(conn: socket.socket) -> None:
    _read_hello(conn)
    conn.sendall(bytes(range(256)) * 8)


def truncated(conn: socket.socket) -> None:
    _read_hello(conn)
    conn.sendall(HANDSHAKE_HEADER + struct.pack("!H", 100) + b"\x02\x00\x00")


def oversized(conn: socket.socket) -> None:
    _read_hello(conn)
    conn.sendall(HANDSHAKE_HEADER + struct.pack("!H", 0xFFFF) + bytes(1000))


def silent(conn: socket.socket) -> None:
    time.sleep(3)


def one_byte_a_second(conn: socket.socket) -> None:
    _read_hello(conn)
    for byte in HANDSHAKE_HEADER + struct.pack("!H", 60) + bytes(60):
        conn.sendall(bytes([byte]))
        time.sleep(1)


def reset_mid_handshake(conn: socket.socket) -> None:
    _read_hello(conn)
    conn.sendall(HANDSHAKE_HEADER + struct.pack("!H", 80) + b"\x02\x00\x00\x4c\x03\x03")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def plain_http(conn: socket.socket) -> None:
    _read_hello(conn)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def huge_handshake(conn: socket.socket) -> None:
    """Endless well-formed records of a never-ending handshake message."""
    _read_hello(conn)
    try:
        conn.sendall(HANDSHAKE_HEADER + struct.pack("!H", 4) + b"\x02\xff\xff\xff")
        for _ in range(200):
            conn.sendall(HANDSHAKE_HEADER + struct.pack("!H", 16384) + bytes(16384))
    except OSError:
        pass


class ScriptedServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.behaviour(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()


BEHAVIOURS: dict[str, tuple[Behaviour, str]] = {
    "garbage": (garbage, "not TLS"),
    "truncated": (truncated, "truncated"),
    "oversized": (oversized, "oversized record"),
    "silent": (silent, "no answer within"),
    "one-byte-a-second": (one_byte_a_second, "stalled mid-handshake"),
    "reset": (reset_mid_handshake, "reset"),
    "plain-http": (plain_http, "plain HTTP"),
    "huge-handshake": (huge_handshake, "oversized handshake"),
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ScriptedServer]]:
    running = {name: ScriptedServer(b) for name, (b, _) in BEHAVIOURS.items()}
    yield running
    for server in running.values():
        server.stop()


def _probe(target: str, timeout: float = 1.0) -> Endpoint:
    async def run() -> Endpoint:
        return await probe(parse_target(target), Limits(timeout=timeout), asyncio.Semaphore(20))

    return asyncio.run(run())


@pytest.mark.parametrize("name", list(BEHAVIOURS))
def test_hostile_peer_gives_an_error_not_an_exception(
    servers: dict[str, ScriptedServer], name: str
) -> None:
    ep = _probe(f"127.0.0.1:{servers[name].port}")
    assert ep.error is not None, ep
    assert BEHAVIOURS[name][1] in ep.error
    assert not ep.observed
    assert ep.connections >= 2


def test_closed_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ep = _probe(f"127.0.0.1:{port}")
    assert ep.error is not None and "cannot connect" in ep.error


def test_a_server_that_refuses_everything() -> None:
    def refuse(conn: socket.socket) -> None:
        _read_hello(conn)
        conn.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure

    server = ScriptedServer(refuse)
    try:
        ep = _probe(f"127.0.0.1:{server.port}")
    finally:
        server.stop()
    assert ep.error == "the server refused every hello (handshake_failure)"
    assert not any(ep.protocols.values())
