"""The hello builders and the record/handshake parsers, including fuzzing with hypothesis."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triplock.tlsscan import suites, wire


def _server_hello(version: int, suite: int, extensions: bytes = b"", random: bytes = b"") -> bytes:
    body = struct.pack("!H", min(version, wire.TLS12)) + (random or bytes(32))
    body += b"\x00" + struct.pack("!H", suite) + b"\x00"
    if extensions:
        body += struct.pack("!H", len(extensions)) + extensions
    handshake = bytes([wire.SERVER_HELLO]) + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack("!H", len(handshake)) + handshake


def _handshake_record(kind: int, body: bytes) -> bytes:
    message = bytes([kind]) + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack("!H", len(message)) + message


def _parse_client_hello(record: bytes) -> tuple[int, list[int], dict[int, bytes]]:
    records, rest = wire.parse_records(record)
    assert not rest and len(records) == 1
    ((kind, body),) = wire.parse_handshakes(records[0].fragment)[0]
    assert kind == wire.CLIENT_HELLO
    r = wire.Reader(body)
    version = r.u16()
    r.take(32)
    r.vec8()
    raw = r.vec16()
    codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    r.vec8()
    extensions: dict[int, bytes] = {}
    if r.left:
        ext = wire.Reader(r.vec16())
        while ext.left:
            kind = ext.u16()
            extensions[kind] = ext.vec16()
    return version, codes, extensions


def test_tls12_hello_carries_what_servers_need() -> None:
    offered = [s.code for s in suites.tls12_and_older()[:128]]
    version, codes, ext = _parse_client_hello(wire.client_hello(wire.TLS12, offered, "example.org"))
    assert version == wire.TLS12
    assert codes == [*offered, wire.RENEGOTIATION_SCSV]
    for needed in (
        wire.EXT_SERVER_NAME,
        wire.EXT_SUPPORTED_GROUPS,
        wire.EXT_EC_POINT_FORMATS,
        wire.EXT_SIGNATURE_ALGORITHMS,
        wire.EXT_STATUS_REQUEST,
        wire.EXT_SESSION_TICKET,
        wire.EXT_RENEGOTIATION_INFO,
    ):
        assert needed in ext
    assert b"example.org" in ext[wire.EXT_SERVER_NAME]


def test_tls13_hello_has_an_empty_key_share() -> None:
    version, codes, ext = _parse_client_hello(
        wire.client_hello(wire.TLS13, [s.code for s in suites.tls13()], "10.0.0.1")
    )
    assert version == wire.TLS12  # legacy_version; the real one is in supported_versions
    assert ext[wire.EXT_SUPPORTED_VERSIONS] == b"\x02\x03\x04"
    assert ext[wire.EXT_KEY_SHARE] == b"\x00\x00"
    assert wire.EXT_SERVER_NAME not in ext  # an IP literal is not a server name
    assert wire.RENEGOTIATION_SCSV not in codes


def test_each_hello_offers_its_own_groups_name_and_randoms() -> None:
    """The extensions are built once per (version, name, groups): a later hello with other
    groups or another name must not get an earlier one's."""
    offered = [s.code for s in suites.tls12_and_older()[:8]]
    hellos = [
        wire.client_hello(wire.TLS12, offered, "a.example", [29]),
        wire.client_hello(wire.TLS12, offered, "a.example", [23, 24]),
        wire.client_hello(wire.TLS12, offered, "b.example", [29]),
        wire.client_hello(wire.TLS12, offered, "a.example", [29]),
    ]
    ext = [_parse_client_hello(h)[2] for h in hellos]
    assert [e[wire.EXT_SUPPORTED_GROUPS] for e in ext] == [
        b"\x00\x02\x00\x1d",
        b"\x00\x04\x00\x17\x00\x18",
        b"\x00\x02\x00\x1d",
        b"\x00\x02\x00\x1d",
    ]
    assert [b"b.example" in e[wire.EXT_SERVER_NAME] for e in ext] == [False, False, True, False]
    assert hellos[0] != hellos[3]  # a fresh client random each time
    assert ext[0] == ext[3]


@pytest.mark.parametrize("count", [1, 20, 40, 60, 90])
def test_padding_avoids_the_256_to_511_byte_range(count: int) -> None:
    offered = [s.code for s in suites.tls12_and_older()[:count]]
    record = wire.client_hello(wire.TLS12, offered)
    assert not 256 <= len(record) - 5 < 512


def test_server_hello_and_hello_retry_request() -> None:
    sv = struct.pack("!HH", wire.EXT_SUPPORTED_VERSIONS, 2) + struct.pack("!H", wire.TLS13)
    ks = struct.pack("!HHH", wire.EXT_KEY_SHARE, 2, 29)
    parser = wire.FlightParser()
    parser.feed(_server_hello(wire.TLS13, 0x1301, sv + ks, wire.HRR_RANDOM))
    hello = parser.flight.hello
    assert hello is not None and hello.retry and hello.version == wire.TLS13
    assert hello.group == 29 and parser.flight.complete


def test_tls12_flight_in_one_byte_pieces() -> None:
    reneg = struct.pack("!HH", wire.EXT_RENEGOTIATION_INFO, 1) + b"\x00"
    cert = b"\x30\x03\x02\x01\x01"
    certs = len(cert).to_bytes(3, "big") + cert
    ske = b"\x03\x00\x17\x41" + bytes(65)
    status = b"\x01" + (3).to_bytes(3, "big") + b"abc"
    data = (
        _server_hello(wire.TLS12, 0xC02F, reneg)
        + _handshake_record(wire.CERTIFICATE, len(certs).to_bytes(3, "big") + certs)
        + _handshake_record(wire.SERVER_KEY_EXCHANGE, ske)
        + _handshake_record(wire.CERTIFICATE_STATUS, status)
        + _handshake_record(wire.SERVER_HELLO_DONE, b"")
    )
    parser = wire.FlightParser()
    for i in range(len(data)):
        assert not parser.flight.complete
        parser.feed(data[i : i + 1])
    flight = parser.flight
    assert flight.done and flight.error is None
    assert flight.hello is not None and flight.hello.secure_renegotiation
    assert flight.certificates == [cert]
    assert flight.ocsp_response == b"abc"
    assert flight.key_exchange is not None
    assert wire.parse_server_key_exchange(flight.key_exchange, "ECDHE").group == 23


def test_dh_prime_size() -> None:
    prime = b"\x00" + b"\xff" * 128
    body = struct.pack("!H", len(prime)) + prime + b"\x00\x01\x02" + b"\x00\x01\x05"
    assert wire.parse_server_key_exchange(body, "DHE").dh_bits == 1024


def test_alert() -> None:
    parser = wire.FlightParser()
    parser.feed(b"\x15\x03\x03\x00\x02\x02\x28")
    assert parser.flight.alert == 40 and parser.flight.complete
    assert wire.alert_name(40) == "handshake_failure"


def test_oversized_record_is_an_error() -> None:
    parser = wire.FlightParser()
    parser.feed(b"\x16\x03\x03\xff\xff")
    assert parser.flight.error is not None and "oversized" in parser.flight.error


def test_sslv2_server_hello() -> None:
    cert, specs = b"CERT", b"\x01\x00\x80\x07\x00\xc0"
    body = b"\x04\x00\x01\x00\x02" + struct.pack("!HHH", len(cert), len(specs), 16)
    body += cert + specs + bytes(16)
    hello = wire.parse_sslv2_server_hello(struct.pack("!H", 0x8000 | len(body)) + body)
    assert hello.kinds == [0x010080, 0x0700C0] and hello.certificate == cert


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=64))
def test_flight_parser_never_raises(data: bytes, step: int) -> None:
    parser = wire.FlightParser()
    for i in range(0, len(data), step):
        parser.feed(data[i : i + step])
    flight = parser.flight
    assert flight.error is None or isinstance(flight.error, str)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["DHE", "ECDHE", "DHE_PSK", "RSA"]))
def test_message_parsers_raise_only_wire_errors(body: bytes, kex: str) -> None:
    for parse in (wire.parse_server_hello, wire.parse_certificates, wire.parse_sslv2_server_hello):
        with contextlib.suppress(wire.WireError):
            parse(body)
    with contextlib.suppress(wire.WireError):
        wire.parse_server_key_exchange(body, kex)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 0xFFFF), st.binary(min_size=0, max_size=40))
def test_mutated_server_hello_parses_or_fails_cleanly(suite: int, noise: bytes) -> None:
    record = bytearray(_server_hello(wire.TLS12, suite))
    for i, byte in enumerate(noise):
        record[(i * 7) % len(record)] ^= byte
    parser = wire.FlightParser()
    parser.feed(bytes(record))
    if parser.flight.hello is not None:
        assert 0 <= parser.flight.hello.suite <= 0xFFFF
