"""Observe one endpoint: protocols, accepted suites, groups, key exchange sizes, preference,
certificate chains, OCSP stapling, renegotiation, session resumption and HSTS.

Suites are enumerated hello-only (../docs/tls.md): offer up to 128 candidates, read the
server's choice, remove it and repeat; accepted + 1 connections per batch and protocol.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field

from triplock.facts.tls import RESUMPTION_KINDS, Endpoint
from triplock.model import Location
from triplock.redact import show
from triplock.tlsscan import suites, wire
from triplock.tlsscan.session import full_handshakes

BATCH = 128
# A slow server (rate limits, one stall per exchange) may hold one endpoint this many timeouts.
ENDPOINT_BUDGET = 6
# Alerts that mean "none of these suites", as opposed to "not this protocol version".
_NO_SHARED_SUITE = (None, 40, 71)
READ_LIMIT = 1 << 20  # bytes read per exchange before the server counts as hostile

_SSL_VERSIONS = {
    wire.TLS12: ssl.TLSVersion.TLSv1_2,
    wire.TLS11: ssl.TLSVersion.TLSv1_1,
    wire.TLS10: ssl.TLSVersion.TLSv1,
}


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
class _Exchange:
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

    async def exchange(self, payload: bytes, sslv2: bool = False) -> _Exchange:
        result = await self._once(payload, sslv2)
        if result.transient:
            await asyncio.sleep(0.05)
            result = await self._once(payload, sslv2)
        return result

    async def _once(self, payload: bytes, sslv2: bool) -> _Exchange:
        parser = wire.FlightParser()
        raw = bytearray()
        async with self.per_host, self.overall:
            self.connections += 1
            deadline = time.monotonic() + self.limits.timeout
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.target.host, self.target.port),
                    self.limits.timeout,
                )
            except TimeoutError:
                return _Exchange(parser.flight, "connect timed out", transient=True)
            except ConnectionResetError:
                return _Exchange(parser.flight, "connection reset", transient=True)
            except OSError as e:
                return _Exchange(parser.flight, f"cannot connect: {e.strerror or e}")
            try:
                writer.write(payload)
                while not parser.flight.complete:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return _Exchange(parser.flight, _timeout_message(raw, self.limits))
                    try:
                        data = await asyncio.wait_for(reader.read(65536), remaining)
                    except TimeoutError:
                        return _Exchange(parser.flight, _timeout_message(raw, self.limits))
                    if not data:
                        break
                    raw += data
                    if len(raw) > READ_LIMIT:
                        return _Exchange(parser.flight, "the server sent more than 1 MiB")
                    if sslv2:
                        if _sslv2_complete(raw):
                            break
                        continue
                    if raw.startswith(b"HTTP/"):
                        return _Exchange(parser.flight, "plain HTTP on the port, not TLS")
                    parser.feed(bytes(data))
            except (ConnectionResetError, BrokenPipeError):
                if not raw:
                    return _Exchange(parser.flight, "connection reset", transient=True)
                return _Exchange(parser.flight, "connection reset mid-handshake")
            except OSError as e:
                return _Exchange(parser.flight, f"connection failed: {e.strerror or e}")
            finally:
                writer.transport.abort()
        if sslv2:
            return _Exchange(parser.flight, None, bytes(raw))
        if parser.flight.error:
            return _Exchange(parser.flight, f"not TLS: {parser.flight.error}")
        if raw and not parser.flight.complete and parser.flight.hello is None:
            return _Exchange(parser.flight, "truncated reply: the connection closed mid-record")
        return _Exchange(parser.flight)


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


@dataclass
class _Accepted:
    codes: list[int] = field(default_factory=list)
    flights: dict[int, wire.Flight] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)
    error: str | None = None


class Prober:
    def __init__(self, target: Target, connector: Connector) -> None:
        self.target = target
        self.conn = connector
        self.notes: list[str] = []

    async def hello(
        self, version: int, offered: list[int], groups: list[int] | None = None
    ) -> _Exchange:
        payload = wire.client_hello(version, offered, self.target.sni, groups)
        return await self.conn.exchange(payload)

    async def enumerate(self, version: int, first: _Exchange | None = None) -> _Accepted:
        """Every suite the server accepts for `version` (TLS 1.0 to 1.2, or SSLv3)."""
        found = _Accepted()
        pool = [s.code for s in suites.tls12_and_older()]
        name = wire.VERSION_NAMES[version]
        while pool:
            batch = pool[:BATCH]
            reply = first if first is not None else await self.hello(version, batch)
            first = None
            hello = reply.flight.hello
            if reply.error:
                found.error = reply.error
                return found
            if hello is None or hello.retry:
                if reply.flight.alert not in _NO_SHARED_SUITE and not found.codes:
                    return found  # protocol_version, internal_error...: not spoken at all
                pool = pool[len(batch) :]
                continue
            if hello.version != version:
                return found
            if hello.suite not in batch:
                self.notes.append(f"{name}: the server chose a suite it was not offered")
                return found
            found.codes.append(hello.suite)
            found.flights[hello.suite] = reply.flight
            pool.remove(hello.suite)
        return found

    async def enumerate13(self, first: _Exchange | None = None) -> _Accepted:
        """TLS 1.3 suites, then groups, through HelloRetryRequest (an empty key_share)."""
        found = _Accepted()
        pool = [s.code for s in suites.tls13()]
        while pool:
            reply = first if first is not None else await self.hello(wire.TLS13, pool)
            first = None
            hello = reply.flight.hello
            if reply.error:
                found.error = reply.error
                return found
            if hello is None or hello.version != wire.TLS13 or hello.suite not in pool:
                break
            found.codes.append(hello.suite)
            found.flights[hello.suite] = reply.flight
            if hello.group is not None and hello.group not in found.groups:
                found.groups.append(hello.group)
            pool.remove(hello.suite)
        if not found.codes:
            return found
        all13 = [s.code for s in suites.tls13()]
        groups = [g for g in wire.TLS13_GROUPS if g not in found.groups]
        while groups:
            reply = await self.hello(wire.TLS13, all13, groups)
            hello = reply.flight.hello
            if reply.error or hello is None or hello.group not in groups:
                break
            found.groups.append(hello.group)
            groups.remove(hello.group)
        return found

    async def preference(self, version: int, accepted: list[int]) -> bool | None:
        """Re-offer the accepted suites reversed: a server that still picks its own first
        choice decides; one that follows the new order lets the client decide."""
        if len(accepted) < 2:
            return None
        reversed_offer = list(reversed(accepted))
        reply = await self.hello(version, reversed_offer)
        hello = reply.flight.hello
        if reply.error or hello is None:
            return None
        return hello.suite != reversed_offer[0]


async def probe(
    target: Target,
    limits: Limits,
    overall: asyncio.Semaphore,
    per_host: asyncio.Semaphore | None = None,
    executor: Executor | None = None,
) -> Endpoint:
    """Everything the scanner observes on one endpoint; never raises for what the peer does."""
    started = time.monotonic()
    conn = Connector(target, limits, per_host or asyncio.Semaphore(limits.per_host), overall)
    endpoint = Endpoint(target=target.label, location=Location(url=f"tls://{target.label}"))
    budget = limits.timeout * ENDPOINT_BUDGET
    try:
        await asyncio.wait_for(_observe(Prober(target, conn), endpoint, limits, executor), budget)
    except TimeoutError:
        message = f"the endpoint took longer than {budget:g} s"
        if endpoint.observed:
            endpoint.notes.append(f"partial result: {message}")
        else:
            endpoint.error = message
    except Exception as e:  # a scanner bug must cost one endpoint, not the fleet
        endpoint.error = f"internal error: {e!r}"
    endpoint.connections += conn.connections
    endpoint.seconds = time.monotonic() - started
    return endpoint


async def _observe(
    prober: Prober, endpoint: Endpoint, limits: Limits, executor: Executor | None
) -> None:
    tls_versions = (wire.TLS12, wire.TLS11, wire.TLS10, wire.SSL3)
    pool = [s.code for s in suites.tls12_and_older()]
    first13, first12 = await asyncio.gather(
        prober.hello(wire.TLS13, [s.code for s in suites.tls13()]),
        prober.hello(wire.TLS12, pool[:BATCH]),
    )
    if _dead(first13) and _dead(first12):
        endpoint.error = first12.error or first13.error
        for name in wire.VERSION_NAMES.values():
            endpoint.protocols[name] = False
        return
    legacy = asyncio.gather(
        *(prober.enumerate(v, first12 if v == wire.TLS12 else None) for v in tls_versions)
    )
    found13, found_legacy, sslv2 = await asyncio.gather(
        prober.enumerate13(first13), legacy, _sslv2(prober)
    )
    found = dict(zip(tls_versions, found_legacy, strict=True))
    endpoint.protocols["SSLv2"] = sslv2
    for version in (wire.SSL3, wire.TLS10, wire.TLS11, wire.TLS12):
        endpoint.protocols[wire.VERSION_NAMES[version]] = bool(found[version].codes)
    endpoint.protocols["TLSv1.3"] = bool(found13.codes)
    errors = [f.error for f in (found13, *found.values()) if f.error]
    if not any(endpoint.protocols.values()):
        alert = first12.flight.alert if first12.flight.alert is not None else first13.flight.alert
        refused = f"the server refused every hello ({wire.alert_name(alert)})" if alert else None
        endpoint.error = errors[0] if errors else refused or "the server accepted no hello"
        return
    endpoint.notes += [f"partial result: {e}" for e in dict.fromkeys(errors)]
    _record_suites(endpoint, found13, found)
    preferences = await asyncio.gather(
        prober.preference(wire.TLS13, found13.codes),
        *(prober.preference(v, found[v].codes) for v in tls_versions),
    )
    for version, preferred in zip((wire.TLS13, *tls_versions), preferences, strict=True):
        if endpoint.protocols[wire.VERSION_NAMES[version]]:
            endpoint.server_preference[wire.VERSION_NAMES[version]] = preferred
    best12 = next((v for v in (wire.TLS12, wire.TLS11, wire.TLS10) if found[v].codes), None)
    # The full handshakes connect one after another: one slot of each bound covers them.
    async with prober.conn.per_host, prober.conn.overall:
        full = await asyncio.get_running_loop().run_in_executor(
            executor,
            full_handshakes,
            prober.target.host,
            prober.target.port,
            prober.target.sni,
            limits.timeout,
            bool(found13.codes),
            _SSL_VERSIONS.get(best12) if best12 is not None else None,
        )
    endpoint.connections += full.connections
    if full.tls13_chain:
        endpoint.certificate_chains["TLSv1.3"] = full.tls13_chain
    endpoint.session_resumption = {k: full.resumption.get(k) for k in RESUMPTION_KINDS}
    endpoint.http, endpoint.hsts_max_age = full.http, full.hsts_max_age
    endpoint.client_certificate_required |= full.client_certificate_required
    endpoint.notes += prober.notes + full.notes


def _dead(reply: _Exchange) -> bool:
    return reply.error is not None and reply.flight.hello is None


async def _sslv2(prober: Prober) -> bool:
    kinds = [s.code for s in suites.sslv2()]
    reply = await prober.conn.exchange(wire.sslv2_client_hello(kinds), sslv2=True)
    try:
        return bool(wire.parse_sslv2_server_hello(reply.raw).kinds)
    except wire.WireError:
        return False


def _record_suites(endpoint: Endpoint, found13: _Accepted, found: dict[int, _Accepted]) -> None:
    groups: list[int] = list(found13.groups)
    dh_bits: dict[str, int] = {}
    stapled: bool | None = None
    renegotiation: bool | None = None
    if found13.codes:
        endpoint.cipher_suites["TLSv1.3"] = [suites.name_of(c) for c in found13.codes]
    for version, accepted in sorted(found.items(), reverse=True):
        if not accepted.codes:
            continue
        name = wire.VERSION_NAMES[version]
        endpoint.cipher_suites[name] = [suites.name_of(c) for c in accepted.codes]
        for code, flight in accepted.flights.items():
            suite = suites.by_code(code)
            endpoint.client_certificate_required |= flight.certificate_request
            if flight.certificates and name not in endpoint.certificate_chains:
                endpoint.certificate_chains[name] = flight.certificates
            if flight.hello is not None:
                renegotiation = flight.hello.secure_renegotiation and renegotiation is not False
                if stapled is not True:
                    stapled = flight.ocsp_response is not None
            if suite is None or flight.key_exchange is None:
                continue
            try:
                kx = wire.parse_server_key_exchange(flight.key_exchange, suite.kex)
            except wire.WireError:
                continue
            if kx.dh_bits is not None:
                dh_bits[suite.name] = kx.dh_bits
            if kx.group is not None and kx.group not in groups:
                groups.append(kx.group)
    endpoint.groups = [wire.GROUP_NAMES.get(g, f"0x{g:04x}") for g in groups]
    endpoint.dh_bits = dh_bits
    endpoint.ocsp_stapling = stapled
    endpoint.secure_renegotiation = renegotiation
