"""The bounded HTTP exchange: one deadline for the whole exchange, replies that are not HTTP."""

from __future__ import annotations

import socket
import time

import pytest

from tests.live.servers import raw_server
from triplock.live.http import Client, HttpError, Unreachable, insecure_context, parse_reply


def _drip(conn: socket.socket) -> None:
    """A status line one byte at a time, each well inside a per-read timeout, never ending."""
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
            conn.sendall(bytes([byte]))
            time.sleep(0.2)
    except OSError:
        pass  # the client gave up, as it should


@pytest.mark.timeout(120)
def test_a_dripping_server_hits_the_deadline() -> None:
    with raw_server(_drip) as port, pytest.raises(HttpError, match="did not answer in time"):
        Client(2.0, insecure_context()).get(f"http://127.0.0.1:{port}/")


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(Unreachable):
            Client(2.0).get(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "closed without a reply"),
        (bytes(range(256)), "not HTTP"),
        (b"HTTP/1.1 abc OK\r\n\r\n", "no status code"),
        (b"HTTP/1.1 200 OK\r\nServer: x", "not HTTP"),  # headers never end
    ],
)
def test_replies_that_are_not_http(data: bytes, reason: str) -> None:
    with pytest.raises(HttpError, match=reason):
        parse_reply(data)


def test_headers_are_case_insensitive_and_body_kept() -> None:
    reply = parse_reply(
        b"HTTP/1.1 302 Found\r\nLocation: /jobs/\r\nSTRICT-Transport-Security: x\r\n\r\nbody"
    )
    assert reply.status == 302
    assert reply.header("location") == "/jobs/"
    assert reply.header("Strict-Transport-Security") == "x"
    assert reply.body == b"body"


def test_only_http_urls() -> None:
    with pytest.raises(HttpError, match="not an http"):
        Client().get("ftp://127.0.0.1/")
