"""What needs full handshakes (the ssl module): that a handshake completes under each protocol
the hellos found, the TLS 1.3 certificate chain, session resumption by id, ticket and TLS 1.3
PSK, and HSTS when the port speaks HTTP.

Blocking by nature; the scanner runs it in a worker thread.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial

_HSTS = re.compile(rb"(?im)^strict-transport-security:[^\r\n]*?max-age\s*=\s*\"?(\d+)")


@dataclass
class FullResult:
    tls13_chain: list[bytes] = field(default_factory=list)
    resumption: dict[str, bool | None] = field(default_factory=dict)
    http: bool | None = None
    hsts_max_age: int | None = None
    client_certificate_required: bool = False
    connections: int = 0
    notes: list[str] = field(default_factory=list)
    # by protocol: True when a handshake completed (or the server ended it with an alert, as a
    # server requiring a client certificate does), False when the server cut it, None when
    # this client could not try (a protocol or suites the ssl module lacks, a timeout)
    completed: dict[str, bool | None] = field(default_factory=dict)
    timed_out: bool = False  # a handshake ran out of time: the observations are not whole


_SSL_NAMES = {"TLSv1": "TLSv1.0"}  # SSLSocket.version() spelling -> ours
_NAMES = {
    ssl.TLSVersion.TLSv1_3: "TLSv1.3",
    ssl.TLSVersion.TLSv1_2: "TLSv1.2",
    ssl.TLSVersion.TLSv1_1: "TLSv1.1",
    ssl.TLSVersion.TLSv1: "TLSv1.0",
}


@cache
def _context(version: ssl.TLSVersion, tickets: bool = True) -> ssl.SSLContext:
    """One client context per kind, shared by every endpoint's handshakes (a context costs
    ~0.5 ms to make; sessions are resumed only when passed explicitly)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # observing, not trusting: the rules judge the chain
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1: observed on purpose
        ctx.minimum_version = version
        ctx.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_3:
        ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    if not tickets:
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


class _Session:
    def __init__(
        self, host: str, port: int, sni: str | None, timeout: float, answered: Callable[[], None]
    ) -> None:
        self.host, self.port, self.sni, self.timeout = host, port, sni, timeout
        self.answered = answered
        self.result = FullResult()

    @contextmanager
    def connect(
        self, ctx: ssl.SSLContext, session: ssl.SSLSession | None = None
    ) -> Iterator[tuple[ssl.SSLSocket, float]]:
        """A handshaken connection and how long the handshake took; closed with close_notify
        (servers drop a session from their cache when a client vanishes without it)."""
        self.result.connections += 1
        raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
        started = time.monotonic()
        try:
            tls = ctx.wrap_socket(raw, server_hostname=self.sni, session=session)
        except BaseException:
            raw.close()
            raise
        self.answered()
        negotiated = tls.version()
        if negotiated is not None:
            self.result.completed[_SSL_NAMES.get(negotiated, negotiated)] = True
        try:
            yield tls, time.monotonic() - started
        finally:
            try:
                tls.settimeout(min(self.timeout, 0.2))
                tls.unwrap()
            except (OSError, ValueError):
                pass
            tls.close()

    def read_after_handshake(self, tls: ssl.SSLSocket, wait: float) -> bytes:
        """Ask for / over HTTP and read what comes within `wait` seconds: an HTTP answer,
        and the TLS 1.3 NewSessionTicket that the ssl module only processes on a read."""
        host = self.sni or self.host
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        tls.settimeout(wait)
        data = b""
        try:
            while len(data) < 65536 and b"\r\n\r\n" not in data:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ssl.SSLError as e:
            if "CERTIFICATE_REQUIRED" in str(e):
                self.result.client_certificate_required = True
        except (TimeoutError, OSError):
            pass
        return data

    def observe_http(self, data: bytes) -> None:
        if data.startswith(b"HTTP/"):
            self.result.http = True
            header = data.split(b"\r\n\r\n", 1)[0]
            match = _HSTS.search(header)
            self.result.hsts_max_age = int(match.group(1)) if match else None
        elif self.result.http is None:
            self.result.http = False

    def resumes(self, ctx: ssl.SSLContext, session: ssl.SSLSession | None) -> bool:
        if session is None:
            return False
        with self.connect(ctx, session) as (tls, _):
            return bool(tls.session_reused)

    def tls13(self) -> None:
        ctx = _context(ssl.TLSVersion.TLSv1_3)
        with self.connect(ctx) as (tls, seconds):
            chain = tls._sslobj.get_unverified_chain() or []  # type: ignore[attr-defined]
            der = ssl._ssl.ENCODING_DER  # type: ignore[attr-defined]
            self.result.tls13_chain = [c.public_bytes(der) for c in chain]
            data = self.read_after_handshake(tls, min(self.timeout, max(0.25, 6 * seconds)))
            self.observe_http(data)
            session = tls.session
        if self.result.client_certificate_required:
            self.result.notes.append("TLS 1.3: the server requires a client certificate")
            return
        self.result.resumption["tls13_psk"] = self.resumes(ctx, session)

    def tls12(self, version: ssl.TLSVersion) -> None:
        ctx = _context(version)
        with self.connect(ctx) as (tls, seconds):
            if self.result.http is None:
                wait = min(self.timeout, max(0.25, 6 * seconds))
                self.observe_http(self.read_after_handshake(tls, wait))
            session = tls.session
        has_ticket = bool(session is not None and session.has_ticket)
        resumed = self.resumes(ctx, session)
        if has_ticket:
            self.result.resumption["session_ticket"] = resumed
            no_ticket = _context(version, tickets=False)
            with self.connect(no_ticket) as (tls, _):
                session = tls.session
            self.result.resumption["session_id"] = self.resumes(no_ticket, session)
        else:
            self.result.resumption["session_ticket"] = False
            self.result.resumption["session_id"] = resumed

    def handshake(self, version: ssl.TLSVersion) -> None:
        with self.connect(_context(version)):
            pass


def full_handshakes(
    host: str,
    port: int,
    sni: str | None,
    timeout: float,
    versions: list[ssl.TLSVersion],
    answered: Callable[[], None] = lambda: None,
) -> FullResult:
    """Run the full-handshake observations for the protocols the hellos found (TLS 1.3 and
    the best older one observe, the others only complete a handshake); failures become
    notes, never exceptions. `answered` is called on each completed handshake."""
    session = _Session(host, port, sni, timeout, answered)
    steps: list[tuple[ssl.TLSVersion, Callable[[], None]]] = []
    older = [v for v in versions if v != ssl.TLSVersion.TLSv1_3]
    if ssl.TLSVersion.TLSv1_3 in versions:
        steps.append((ssl.TLSVersion.TLSv1_3, session.tls13))
    if older:
        steps.append((older[0], partial(session.tls12, older[0])))
    steps += [(v, partial(session.handshake, v)) for v in older[1:]]
    for version, step in steps:
        name = _NAMES[version]
        try:
            step()
        except (ssl.SSLError, OSError, ValueError) as e:
            session.result.timed_out |= isinstance(e, TimeoutError)
            if name not in session.result.completed:
                session.result.completed[name] = _outcome(e)
            reason = e.reason if isinstance(e, ssl.SSLError) and e.reason else e
            session.result.notes.append(f"{name} full handshake failed: {reason}")
    return session.result


def _outcome(error: BaseException) -> bool | None:
    """What a failed handshake says: False when the server cut it without a word, True when
    it ended it with an alert (it speaks the protocol), None when this client could not try."""
    if isinstance(error, ssl.SSLEOFError | ConnectionResetError | BrokenPipeError):
        return False
    reason = str(error.reason or "") if isinstance(error, ssl.SSLError) else ""
    if "ALERT" in reason and "PROTOCOL_VERSION" not in reason:
        return True
    return None
