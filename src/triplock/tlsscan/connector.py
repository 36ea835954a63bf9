"""Connections to one target: the target itself, the bounds (per host, overall), one
hello-and-read exchange with its deadline, counted and retried once. Knows TLS only as far as
reading a server's first flight (wire.FlightParser) needs."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from triplock.redact import show
from triplock.tlsscan import wire

READ_LIMIT = 1 << 20  # bytes read per exchange before the server counts as hostile


class TargetError(ValueError):
    """A target that is not host:port."""


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    sni: str | None

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_target(text: str, sni: str | None = None, default_port: int = 443) -> Target:
    """host:port, [v6]:port, a bare host (port 443) or an https:// URL (credentials dropped)."""
    spec = text.strip()
    if "://" in spec:
        spec = spec.split("://", 1)[1].split("/", 1)[0]
    spec = spec.rpartition("@")[2]
    shown = show(None, text) if "@" not in text else spec
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise TargetError(f"bad IPv6 target {shown!r} (use [addr]:port)")
        port_text = rest[1:] if rest else str(default_port)
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
    elif ":" in spec:
        raise TargetError(f"bad target {shown!r}: put an IPv6 address in brackets")
    else:
        host, port_text = spec, str(default_port)
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise TargetError(f"bad target {shown!r} (expected host:port)")
    name = sni if sni is not None else (host if wire.is_hostname(host) else None)
    return Target(host, int(port_text), name)


@dataclass
class Limits:
    timeout: float = 5.0
    per_host: int = 5
    overall: int = 256


@dataclass
class Exchange:
    flight: wire.Flight
    error: str | None = None  # transport trouble: timeout, reset, garbage
    raw: bytes = b""
    transient: bool = False  # worth one retry (a reset or a connect timeout)


@dataclass
class Connector:
    """Connections to one target, bounded per host and overall, counted, retried once."""

    target: Target
    limits: Limits
    per_host: asyncio.Semaphore
    overall: asyncio.Semaphore
    connections: int = 0
    last_answer: float = field(default_factory=time.monotonic)  # when a byte last came in

    queued: int = 0  # exchanges waiting for a slot of the bounds (not for the server)
    addresses: list[tuple[int, Any]] = field(default_factory=list)  # resolved on first use

    def answered(self) -> None:
        self.last_answer = time.monotonic()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One connection's share of the per-host and overall bounds."""
        self.queued += 1
        try:
            await self.per_host.acquire()
            try:
                await self.overall.acquire()
            except BaseException:
                self.per_host.release()
                raise
        finally:
            self.queued -= 1
        try:
            yield
        finally:
            self.overall.release()
            self.per_host.release()

    async def exchange(self, payload: bytes, raw: bool = False) -> Exchange:
        """One exchange; `raw` returns the first answer (a whole SSLv2 record) unparsed."""
        result = await self._once(payload, raw)
        if result.transient:
            await asyncio.sleep(0.05)
            result = await self._once(payload, raw)
        return result

    async def _once(self, payload: bytes, unparsed: bool) -> Exchange:
        parser = wire.FlightParser()
        raw = bytearray()
        async with self.slot():
            self.connections += 1
            sock: socket.socket | None = None
            try:
                # One deadline for the whole exchange (asyncio.timeout: no task per read).
                async with asyncio.timeout(self.limits.timeout):
                    sock = await self._connect()
                    sent = sock.send(payload)  # all of it: a new socket's buffer is empty
                    if sent < len(payload):
                        await asyncio.get_running_loop().sock_sendall(sock, payload[sent:])
                    error = await self._read(sock, parser, raw, unparsed)
                if error is not None:
                    return Exchange(parser.flight, error)
            except TimeoutError:
                if sock is None:
                    return Exchange(parser.flight, "connect timed out", transient=True)
                return Exchange(parser.flight, _timeout_message(raw, self.limits))
            except (ConnectionResetError, BrokenPipeError):
                if not raw:
                    return Exchange(parser.flight, "connection reset", transient=True)
                return Exchange(parser.flight, "connection reset mid-handshake")
            except OSError as e:
                what = "connection failed" if sock is not None else "cannot connect"
                return Exchange(parser.flight, f"{what}: {e.strerror or e}")
            finally:
                if sock is not None:
                    sock.close()
        if unparsed:
            return Exchange(parser.flight, None, bytes(raw))
        if parser.flight.error:
            return Exchange(parser.flight, f"not TLS: {parser.flight.error}")
        if raw and not parser.flight.complete and parser.flight.hello is None:
            return Exchange(parser.flight, "truncated reply: the connection closed mid-record")
        return Exchange(parser.flight)

    async def _connect(self) -> socket.socket:
        """A connected non-blocking socket: the target's addresses in order, the first that
        accepts (as asyncio.open_connection does, but with the name resolved once per target
        and no stream, transport or futures beyond one wait: hundreds of exchanges each)."""
        if not self.addresses:
            self.addresses = await _resolve(self.target)
        error: OSError | None = None
        for family, address in list(self.addresses):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                code = sock.connect_ex(address)
                if code == errno.EINPROGRESS:
                    await _ready(sock, write=True)
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code == 0:
                    if address != self.addresses[0][1]:  # try the one that answers first
                        self.addresses.remove((family, address))
                        self.addresses.insert(0, (family, address))
                    return sock
                error = OSError(code, os.strerror(code))  # ConnectionResetError for ECONNRESET
            except BaseException:
                sock.close()
                raise
            sock.close()
        raise error or OSError(f"no address for {self.target.host}")

    async def _read(
        self,
        sock: socket.socket,
        parser: wire.FlightParser,
        raw: bytearray,
        unparsed: bool,
    ) -> str | None:
        """Read into `raw` and `parser` until the flight is complete or the peer closes; an
        error message when the peer is not what it should be."""
        while not parser.flight.complete:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                await _ready(sock, write=False)
                continue
            if not data:
                return None
            self.answered()
            raw += data
            if len(raw) > READ_LIMIT:
                return "the server sent more than 1 MiB"
            if unparsed:
                if _sslv2_complete(raw):
                    return None
                continue
            if raw.startswith(b"HTTP/"):
                return "plain HTTP on the port, not TLS"
            parser.feed(bytes(data))
        return None


async def _ready(sock: socket.socket, write: bool) -> None:
    """Until `sock` is writable (a connect finished) or readable."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = sock.fileno()
    (loop.add_writer if write else loop.add_reader)(fd, _settle, ready)
    try:
        await ready
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)


def _settle(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


async def _resolve(target: Target) -> list[tuple[int, Any]]:
    """The target's (family, address) pairs: an address literal at once, a name through the
    resolver (in a thread, as asyncio does)."""
    try:
        infos = socket.getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    except socket.gaierror:
        infos = await asyncio.get_running_loop().getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM
        )
    return [(family, address) for family, _, _, _, address in infos]


def _sslv2_complete(raw: bytearray) -> bool:
    if len(raw) < 2:
        return False
    if not raw[0] & 0x80:
        return True  # not SSLv2 framing: nothing more to wait for
    return len(raw) >= 2 + (((raw[0] & 0x7F) << 8) | raw[1])


def _timeout_message(raw: bytearray, limits: Limits) -> str:
    if raw:
        return f"the server stalled mid-handshake ({len(raw)} bytes in {limits.timeout:g} s)"
    return f"no answer within {limits.timeout:g} s"
