"""Observe one endpoint: protocols, accepted suites, groups, key exchange sizes, preference,
certificate chains, OCSP stapling, renegotiation, session resumption and HSTS.

Suites are enumerated hello-only (../docs/tls.md): offer up to 128 candidates, read the
server's choice, remove it and repeat; accepted + 1 connections per batch and protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field

from triplock.facts.tls import RESUMPTION_KINDS, Endpoint
from triplock.model import Location
from triplock.tlsscan import suites, wire
from triplock.tlsscan.connector import Connector, Exchange, Limits, Target
from triplock.tlsscan.identify import identify
from triplock.tlsscan.session import FullResult, full_handshakes

BATCH = 128
# An endpoint is given up when none of its exchanges has had an answer for this many timeouts;
# while the server answers, the probe goes on (its work is finite: accepted + 1 hellos per
# batch, protocol and group list), so a slow but healthy server gets a whole result.
ENDPOINT_IDLE = 3
# Alerts that mean "none of these suites", as opposed to "not this protocol version".
_NO_SHARED_SUITE = (None, 40, 71)

_SSL_VERSIONS = {
    wire.TLS13: ssl.TLSVersion.TLSv1_3,
    wire.TLS12: ssl.TLSVersion.TLSv1_2,
    wire.TLS11: ssl.TLSVersion.TLSv1_1,
    wire.TLS10: ssl.TLSVersion.TLSv1,
}


@dataclass
class _Accepted:
    codes: list[int] = field(default_factory=list)
    flights: dict[int, wire.Flight] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)
    error: str | None = None
    # For the phases that need only part of the enumeration, so that they run beside it:
    known: asyncio.Event = field(default_factory=asyncio.Event)  # one suite found, or done
    ecdhe: asyncio.Event = field(default_factory=asyncio.Event)  # an ECDHE suite found, or done
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, code: int, flight: wire.Flight) -> None:
        self.codes.append(code)
        self.flights[code] = flight
        self.known.set()
        if _kex(code).startswith("ECDHE"):
            self.ecdhe.set()

    def finish(self) -> None:
        for event in (self.known, self.ecdhe, self.done):
            event.set()


@dataclass
class _State:
    """What the probe has observed so far: kept when the probe is given up half-way."""

    found: dict[int, _Accepted] = field(default_factory=dict)  # by version, TLS 1.3 included
    groups: dict[int, list[int]] = field(default_factory=dict)  # ECDHE groups by version
    preference: dict[int, bool | None] = field(default_factory=dict)
    sslv2: bool | None = None
    full: FullResult | None = None
    unfinished: list[str] = field(default_factory=list)  # phases started and not finished


_LEGACY = (wire.TLS12, wire.TLS11, wire.TLS10, wire.SSL3)


class Prober:
    def __init__(self, target: Target, connector: Connector) -> None:
        self.target = target
        self.conn = connector
        self.notes: list[str] = []

    async def hello(
        self, version: int, offered: list[int], groups: list[int] | None = None
    ) -> Exchange:
        payload = wire.client_hello(version, offered, self.target.sni, groups)
        return await self.conn.exchange(payload)

    async def enumerate(
        self, version: int, found: _Accepted, first: Exchange | None = None
    ) -> None:
        """Every suite the server accepts for `version` (TLS 1.0 to 1.2, or SSLv3), into
        `found` as they come."""
        pool = [s.code for s in suites.tls12_and_older()]
        name = wire.VERSION_NAMES[version]
        while pool:
            batch = pool[:BATCH]
            reply = first if first is not None else await self.hello(version, batch)
            first = None
            hello = reply.flight.hello
            if reply.error:
                found.error = reply.error
                return
            if hello is None or hello.retry:
                if reply.flight.alert not in _NO_SHARED_SUITE and not found.codes:
                    return  # protocol_version, internal_error...: not spoken at all
                pool = pool[len(batch) :]
                continue
            if hello.version != version:
                return
            if hello.suite not in batch:
                self.notes.append(f"{name}: the server chose a suite it was not offered")
                return
            found.add(hello.suite, reply.flight)
            pool.remove(hello.suite)

    async def enumerate13(self, found: _Accepted, first: Exchange | None = None) -> None:
        """TLS 1.3 suites through HelloRetryRequest (an empty key_share)."""
        pool = [s.code for s in suites.tls13()]
        while pool:
            reply = first if first is not None else await self.hello(wire.TLS13, pool)
            first = None
            hello = reply.flight.hello
            if reply.error:
                found.error = reply.error
                return
            if hello is None or hello.version != wire.TLS13 or hello.suite not in pool:
                break
            if hello.group is not None and hello.group not in found.groups:
                found.groups.append(hello.group)
            found.add(hello.suite, reply.flight)
            pool.remove(hello.suite)

    async def enumerate_groups13(self, found: _Accepted) -> str | None:
        """TLS 1.3 groups, beside the suites: offer every suite and the groups not seen yet;
        the HelloRetryRequest names the server's pick. The error that cut it short, if any."""
        all13 = [s.code for s in suites.tls13()]
        groups = [g for g in wire.TLS13_GROUPS if g not in found.groups]
        while groups:
            reply = await self.hello(wire.TLS13, all13, groups)
            hello = reply.flight.hello
            if reply.error:
                return reply.error
            if hello is None or hello.group not in groups:
                break
            if hello.group not in found.groups:  # the suite enumeration may have seen it too
                found.groups.append(hello.group)
            groups.remove(hello.group)
        return None

    async def enumerate_groups(self, version: int, found: _Accepted, into: list[int]) -> str | None:
        """The ECDHE groups of a TLS 1.0-1.2 server, in the order it picks them: offer the
        accepted ECDHE suites with the groups not yet seen, read the curve of the
        ServerKeyExchange, remove it, repeat until the server refuses. Starts as soon as the
        suite enumeration has found one ECDHE suite. The error that cut it short, if any."""
        await found.ecdhe.wait()
        ecdhe = [c for c in found.codes if _kex(c).startswith("ECDHE")]
        if not ecdhe:
            return None
        for code in ecdhe:  # the suite enumeration already saw the server's first choice
            group = _ske_group(found.flights[code], code)
            if group is not None:
                into.append(group)
                break
        candidates = [g for g in wire.TLS12_GROUPS if g not in into]
        while candidates:
            ecdhe = [c for c in found.codes if _kex(c).startswith("ECDHE")]  # all found so far
            reply = await self.hello(version, ecdhe, candidates)
            hello = reply.flight.hello
            if reply.error:
                return reply.error
            if hello is None or hello.suite not in ecdhe:
                return None
            group = _ske_group(reply.flight, hello.suite)
            if group not in candidates:
                return None
            into.append(group)
            candidates.remove(group)
        return None

    async def preference(self, version: int, accepted: list[int]) -> Exchange | None:
        """Re-offer the accepted suites reversed (None when fewer than two): a server that
        still picks its own first choice decides; one that follows the new order lets the
        client decide (see `_decides`)."""
        if len(accepted) < 2:
            return None
        return await self.hello(version, list(reversed(accepted)))


def _decides(reply: Exchange | None, accepted: list[int]) -> bool | None:
    if reply is None or reply.error or reply.flight.hello is None:
        return None
    return reply.flight.hello.suite != accepted[-1]


def _kex(code: int) -> str:
    suite = suites.by_code(code)
    return suite.kex if suite is not None else ""


def _ske_group(flight: wire.Flight, code: int) -> int | None:
    if flight.key_exchange is None:
        return None
    try:
        return wire.parse_server_key_exchange(flight.key_exchange, _kex(code)).group
    except wire.WireError:
        return None


async def probe(
    target: Target,
    limits: Limits,
    overall: asyncio.Semaphore,
    per_host: asyncio.Semaphore | None = None,
    executor: Executor | None = None,
) -> Endpoint:
    """Everything the scanner observes on one endpoint; never raises for what the peer does.

    The probe is given up when the server has not answered any exchange for ENDPOINT_IDLE
    timeouts (time spent waiting for a slot of the bounds does not count); what was observed
    until then is kept and `incomplete` names what was not finished."""
    started = time.monotonic()
    conn = Connector(target, limits, per_host or asyncio.Semaphore(limits.per_host), overall)
    endpoint = Endpoint(target=target.label, location=Location(url=f"tls://{target.label}"))
    state = _State()
    prober = Prober(target, conn)
    idle = limits.timeout * ENDPOINT_IDLE
    task = asyncio.ensure_future(_observe(prober, endpoint, state, limits, executor))
    try:
        while not task.done():
            if conn.queued:  # waiting for the bounds (other ports of the host), not the server
                conn.answered()
            left = conn.last_answer + idle - time.monotonic()
            if left <= 0:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                endpoint.notes.append(f"partial result: no answer for {idle:g} s")
                break
            await asyncio.wait({task}, timeout=min(left, limits.timeout))
        else:
            task.result()
    except Exception as e:  # a scanner bug must cost one endpoint, not the fleet
        endpoint.error = f"internal error: {e!r}"
    if endpoint.error is None:
        endpoint.incomplete = list(dict.fromkeys(state.unfinished))
        _record(endpoint, state, prober)
        if endpoint.incomplete and not endpoint.observed and endpoint.error is None:
            endpoint.error = f"no answer for {idle:g} s"
    if endpoint.error is not None:
        endpoint.incomplete = []
    endpoint.connections += conn.connections + (state.full.connections if state.full else 0)
    endpoint.seconds = time.monotonic() - started
    return endpoint


@contextlib.contextmanager
def _phase(state: _State, *names: str) -> Iterator[None]:
    """Mark `names` unfinished while the block runs (a given-up probe keeps them listed)."""
    state.unfinished.extend(names)
    yield
    for name in names:
        state.unfinished.remove(name)


async def _observe(
    prober: Prober,
    endpoint: Endpoint,
    state: _State,
    limits: Limits,
    executor: Executor | None,
) -> None:
    pool = [s.code for s in suites.tls12_and_older()]
    every = ["TLSv1.3 suites", *(f"{wire.VERSION_NAMES[v]} suites" for v in _LEGACY), "SSLv2"]
    state.unfinished += every
    first13, first12 = await asyncio.gather(
        prober.hello(wire.TLS13, [s.code for s in suites.tls13()]),
        prober.hello(wire.TLS12, pool[:BATCH]),
    )
    if _dead(first13) and _dead(first12):
        endpoint.error = first12.error or first13.error
        return
    state.found = {v: _Accepted() for v in (wire.TLS13, *_LEGACY)}
    # Each phase starts as soon as what it needs is known: groups once a suite of the kind is
    # found, the full handshakes once every protocol is known to be spoken or not, the
    # preference check when the protocol's suites are all found.
    firsts = {wire.TLS13: first13, wire.TLS12: first12}
    phases = [_suites(prober, state, v, firsts.get(v)) for v in state.found]
    phases += [_groups(prober, state, v) for v in state.found if v != wire.SSL3]
    phases += [_preference(prober, state, v) for v in state.found]
    phases += [_full(prober, state, limits, executor), _sslv2(prober, state)]
    await asyncio.gather(*phases)
    if not any(f.codes for f in state.found.values()) and not state.sslv2:
        errors = [f.error for f in state.found.values() if f.error]
        alert = first12.flight.alert if first12.flight.alert is not None else first13.flight.alert
        refused = f"the server refused every hello ({wire.alert_name(alert)})" if alert else None
        endpoint.error = errors[0] if errors else refused or await _not_tls(prober)


async def _suites(prober: Prober, state: _State, version: int, first: Exchange | None) -> None:
    found = state.found[version]
    if version == wire.TLS13:
        await prober.enumerate13(found, first)
    else:
        await prober.enumerate(version, found, first)
    found.finish()
    if found.error is None:  # cut short by a timeout or a reset: not finished
        state.unfinished.remove(f"{wire.VERSION_NAMES[version]} suites")


async def _groups(prober: Prober, state: _State, version: int) -> None:
    found = state.found[version]
    await found.known.wait()
    if not found.codes:
        return
    name = f"{wire.VERSION_NAMES[version]} groups"
    with _phase(state, name):
        if version == wire.TLS13:
            error = await prober.enumerate_groups13(found)
        else:
            state.groups[version] = []
            error = await prober.enumerate_groups(version, found, state.groups[version])
    if error is not None:
        state.unfinished.append(name)


async def _preference(prober: Prober, state: _State, version: int) -> None:
    found = state.found[version]
    await found.done.wait()
    if not found.codes:
        return
    with _phase(state, "server preference"):
        reply = await prober.preference(version, found.codes)
    state.preference[version] = _decides(reply, found.codes)
    if reply is not None and reply.error:
        state.unfinished.append("server preference")


async def _full(prober: Prober, state: _State, limits: Limits, executor: Executor | None) -> None:
    versions = [v for v in state.found if v in _SSL_VERSIONS]
    await asyncio.gather(*(state.found[v].known.wait() for v in versions))
    spoken = [_SSL_VERSIONS[v] for v in versions if state.found[v].codes]
    if not spoken:
        return
    with _phase(state, "full handshakes"):
        # The full handshakes connect one after another: one slot of each bound covers them.
        async with prober.conn.slot():
            state.full = await asyncio.get_running_loop().run_in_executor(
                executor,
                full_handshakes,
                prober.target.host,
                prober.target.port,
                prober.target.sni,
                limits.timeout,
                spoken,
                prober.conn.answered,
            )
    if state.full.timed_out:
        state.unfinished.append("full handshakes")


def _dead(reply: Exchange) -> bool:
    return reply.error is not None and reply.flight.hello is None


async def _not_tls(prober: Prober) -> str:
    """Why a port that closes on every hello without a byte spoke no TLS: what it speaks
    when that can be recognised."""
    return await identify(prober.conn) or "the server accepted no hello"


async def _sslv2(prober: Prober, state: _State) -> None:
    kinds = [s.code for s in suites.sslv2()]
    reply = await prober.conn.exchange(wire.sslv2_client_hello(kinds), raw=True)
    try:
        state.sslv2 = bool(wire.parse_sslv2_server_hello(reply.raw).kinds)
    except wire.WireError:
        state.sslv2 = False
    state.unfinished.remove("SSLv2")


def _record(endpoint: Endpoint, state: _State, prober: Prober) -> None:
    """Write what the probe observed (all of it, or as far as it got) into the endpoint."""
    if state.sslv2 is not None:
        endpoint.protocols["SSLv2"] = state.sslv2
    for version, found in state.found.items():
        name = wire.VERSION_NAMES[version]
        if f"{name} suites" not in state.unfinished or found.codes:
            endpoint.protocols[name] = bool(found.codes)
    errors = [f.error for f in state.found.values() if f.error]
    endpoint.notes += [f"partial result: {e}" for e in dict.fromkeys(errors)]
    if state.full is not None:
        _confirm(endpoint, state)
        if endpoint.error is not None:
            return
    _record_suites(endpoint, state)
    for version, preferred in state.preference.items():
        if endpoint.protocols.get(wire.VERSION_NAMES[version]):
            endpoint.server_preference[wire.VERSION_NAMES[version]] = preferred
    endpoint.notes += prober.notes
    full = state.full
    if full is None:
        return
    if full.tls13_chain:
        endpoint.certificate_chains["TLSv1.3"] = full.tls13_chain
    endpoint.session_resumption = {k: full.resumption.get(k) for k in RESUMPTION_KINDS}
    endpoint.http, endpoint.hsts_max_age = full.http, full.hsts_max_age
    endpoint.client_certificate_required |= full.client_certificate_required
    endpoint.notes += full.notes


def _confirm(endpoint: Endpoint, state: _State) -> None:
    """Hello-only acceptance stands for a protocol only if a full handshake under it was not
    cut by the server; when every handshake tried was cut, the server never completes one."""
    assert state.full is not None
    completed = state.full.completed
    cut = [p for p, done in completed.items() if done is False]
    if cut and not any(completed.values()):
        endpoint.error = "handshake never completes: the server answers hellos, then closes"
        endpoint.protocols = {p: False for p in endpoint.protocols}
        return
    for name in cut:
        endpoint.protocols[name] = False
        version = next(v for v, n in wire.VERSION_NAMES.items() if n == name)
        state.found[version] = _Accepted()
        endpoint.notes.append(f"{name}: hellos are answered but no handshake completes")


def _record_suites(endpoint: Endpoint, state: _State) -> None:
    found13 = state.found.get(wire.TLS13, _Accepted())
    groups: list[int] = list(found13.groups)
    dh_bits: dict[str, int] = {}
    stapled: bool | None = None
    renegotiation: bool | None = None
    if found13.codes:
        endpoint.cipher_suites["TLSv1.3"] = [suites.name_of(c) for c in found13.codes]
        endpoint.groups_by_protocol["TLSv1.3"] = [_group_name(g) for g in found13.groups]
    for version in _LEGACY:
        accepted = state.found.get(version, _Accepted())
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
        seen = state.groups.get(version, [])
        if seen:
            endpoint.groups_by_protocol[name] = [_group_name(g) for g in seen]
        groups += [g for g in seen if g not in groups]
    endpoint.groups = [_group_name(g) for g in groups]
    endpoint.dh_bits = dh_bits
    endpoint.ocsp_stapling = stapled
    endpoint.secure_renegotiation = renegotiation


def _group_name(group: int) -> str:
    return wire.GROUP_NAMES.get(group, f"0x{group:04x}")
