"""SSL/TLS on the wire: ClientHello builders and parsers for what a server sends back in clear.

Everything here is pure bytes in, values out. Parsers raise WireError on anything malformed,
truncated or larger than the protocol allows; they never raise anything else.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field
from functools import lru_cache

SSL2, SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
VERSION_NAMES = {
    SSL2: "SSLv2",
    SSL3: "SSLv3",
    TLS10: "TLSv1.0",
    TLS11: "TLSv1.1",
    TLS12: "TLSv1.2",
    TLS13: "TLSv1.3",
}

HANDSHAKE, ALERT, CHANGE_CIPHER_SPEC, APPLICATION_DATA = 22, 21, 20, 23
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE, SERVER_KEY_EXCHANGE = 1, 2, 11, 12
CERTIFICATE_REQUEST, SERVER_HELLO_DONE, CERTIFICATE_STATUS = 13, 14, 22

MAX_RECORD = 2**14 + 2048  # the largest TLSCiphertext fragment RFC 5246 allows
MAX_HANDSHAKE = 2**18  # generous for a certificate chain; more is hostile

HRR_RANDOM = hashlib.sha256(b"HelloRetryRequest").digest()
RENEGOTIATION_SCSV = 0x00FF

EXT_SERVER_NAME, EXT_STATUS_REQUEST, EXT_SUPPORTED_GROUPS, EXT_EC_POINT_FORMATS = 0, 5, 10, 11
EXT_SIGNATURE_ALGORITHMS, EXT_PADDING, EXT_EXTENDED_MASTER_SECRET = 13, 21, 23
EXT_SESSION_TICKET, EXT_SUPPORTED_VERSIONS, EXT_PSK_MODES, EXT_KEY_SHARE = 35, 43, 45, 51
EXT_RENEGOTIATION_INFO = 0xFF01

GROUP_NAMES = {
    1: "sect163k1", 2: "sect163r1", 3: "sect163r2", 4: "sect193r1", 5: "sect193r2",
    6: "sect233k1", 7: "sect233r1", 8: "sect239k1", 9: "sect283k1", 10: "sect283r1",
    11: "sect409k1", 12: "sect409r1", 13: "sect571k1", 14: "sect571r1", 15: "secp160k1",
    16: "secp160r1", 17: "secp160r2", 18: "secp192k1", 19: "secp192r1", 20: "secp224k1",
    21: "secp224r1", 22: "secp256k1", 23: "secp256r1", 24: "secp384r1", 25: "secp521r1",
    26: "brainpoolP256r1", 27: "brainpoolP384r1", 28: "brainpoolP512r1", 29: "x25519",
    30: "x448", 31: "brainpoolP256r1tls13", 32: "brainpoolP384r1tls13",
    33: "brainpoolP512r1tls13", 256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096",
    259: "ffdhe6144", 260: "ffdhe8192", 0x11EB: "SecP256r1MLKEM768",
    0x11EC: "X25519MLKEM768", 0x11ED: "SecP384r1MLKEM1024", 0x0200: "MLKEM512",
    0x0201: "MLKEM768", 0x0202: "MLKEM1024",
}  # fmt: skip
# Groups a TLS 1.2 server may use for ECDHE (the hybrids and finite-field groups are 1.3-era).
TLS12_GROUPS = [g for g in GROUP_NAMES if g <= 30]
TLS13_GROUPS = [g for g in GROUP_NAMES if g not in range(1, 23)]

SIGNATURE_ALGORITHMS = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
    0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201,
    0x0202, 0x081A, 0x081B, 0x081C,
]  # fmt: skip

ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter", 50: "decode_error",
    51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
    80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
    109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
    116: "certificate_required", 120: "no_application_protocol",
}  # fmt: skip


class WireError(ValueError):
    """The peer sent something that is not the protocol (or not within its limits)."""


# -- building -------------------------------------------------------------------------------


def _u8(n: int) -> bytes:
    return struct.pack("!B", n)


def _u16(n: int) -> bytes:
    return struct.pack("!H", n)


def _u24(n: int) -> bytes:
    return struct.pack("!I", n)[1:]


def _vec8(data: bytes) -> bytes:
    return _u8(len(data)) + data


def _u16s(values: list[int]) -> bytes:
    return struct.pack(f"!{len(values)}H", *values)


def _vec16(data: bytes) -> bytes:
    return _u16(len(data)) + data


def _ext(kind: int, data: bytes) -> bytes:
    return _u16(kind) + _vec16(data)


def is_hostname(name: str | None) -> bool:
    if not name or name.startswith("[") or ":" in name:
        return False
    return not name.replace(".", "").isdigit()


def client_hello(
    version: int,
    suites: list[int],
    sni: str | None = None,
    groups: list[int] | None = None,
) -> bytes:
    """One TLS record holding a ClientHello for `version` (SSLv3 to TLS 1.3) offering `suites`.

    A TLS 1.3 hello carries an empty key_share, so that a server answers with a
    HelloRetryRequest naming its suite and group: no client cryptography is needed.
    """
    tls13 = version == TLS13
    offered = list(suites) + ([] if tls13 else [RENEGOTIATION_SCSV])
    extensions = _extensions(version, sni, None if groups is None else tuple(groups))
    session_id = os.urandom(32) if tls13 else b""
    body = (
        _u16(min(version, TLS12))
        + os.urandom(32)
        + _vec8(session_id)
        + _vec16(_u16s(offered))
        + _vec8(b"\x00")
    )
    # RFC 7685: some servers choke on hellos of 256 to 511 bytes; pad those to 512.
    unpadded = 4 + len(body) + 2 + len(extensions)
    if version >= TLS10 and 256 <= unpadded < 512:
        extensions += _ext(EXT_PADDING, bytes(max(0, 512 - unpadded - 4)))
    if extensions:
        body += _vec16(extensions)
    handshake = _u8(CLIENT_HELLO) + _u24(len(body)) + body
    record_version = SSL3 if version == SSL3 else TLS10
    return _u8(HANDSHAKE) + _u16(record_version) + _vec16(handshake)


@lru_cache(maxsize=64)
def _extensions(version: int, sni: str | None, groups: tuple[int, ...] | None) -> bytes:
    """The extensions of a hello before padding: the same for every hello of a probe but
    for the groups (built once each, a probe sends hundreds of hellos)."""
    if version < TLS10:
        return b""
    tls13 = version == TLS13
    extensions = b""
    if is_hostname(sni):
        assert sni is not None
        host = sni.encode("idna")
        extensions += _ext(EXT_SERVER_NAME, _vec16(b"\x00" + _vec16(host)))
    group_list = list(groups) if groups is not None else (TLS13_GROUPS if tls13 else TLS12_GROUPS)
    extensions += _ext(EXT_SUPPORTED_GROUPS, _vec16(_u16s(group_list)))
    extensions += _ext(EXT_EC_POINT_FORMATS, _vec8(b"\x00\x01\x02"))
    extensions += _ext(EXT_SIGNATURE_ALGORITHMS, _vec16(_u16s(SIGNATURE_ALGORITHMS)))
    extensions += _ext(EXT_STATUS_REQUEST, b"\x01\x00\x00\x00\x00")
    extensions += _ext(EXT_SESSION_TICKET, b"")
    extensions += _ext(EXT_EXTENDED_MASTER_SECRET, b"")
    if tls13:
        extensions += _ext(EXT_SUPPORTED_VERSIONS, _vec8(_u16(TLS13)))
        extensions += _ext(EXT_KEY_SHARE, _vec16(b""))
        extensions += _ext(EXT_PSK_MODES, _vec8(b"\x01"))
    else:
        extensions += _ext(EXT_RENEGOTIATION_INFO, b"\x00")
    return extensions


def sslv2_client_hello(kinds: list[int]) -> bytes:
    """An SSLv2 CLIENT-HELLO offering the given three-byte cipher kinds."""
    specs = b"".join(struct.pack("!I", k)[1:] for k in kinds)
    challenge = os.urandom(16)
    body = _u8(1) + _u16(SSL2) + _u16(len(specs)) + _u16(0) + _u16(len(challenge))
    body += specs + challenge
    return _u16(0x8000 | len(body)) + body


# -- parsing --------------------------------------------------------------------------------


class Reader:
    """A cursor over bytes that raises WireError instead of reading past the end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise WireError(f"truncated: wanted {n} bytes, {len(self.data) - self.pos} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack("!H", self.take(2))[0]
        return value

    def u24(self) -> int:
        value: int = struct.unpack("!I", b"\x00" + self.take(3))[0]
        return value

    def vec8(self) -> bytes:
        return self.take(self.u8())

    def vec16(self) -> bytes:
        return self.take(self.u16())

    def vec24(self) -> bytes:
        return self.take(self.u24())

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


@dataclass(frozen=True, slots=True)
class Record:
    content_type: int
    version: int
    fragment: bytes


def parse_records(buffer: bytes) -> tuple[list[Record], bytes]:
    """The complete records at the start of `buffer`, and the incomplete rest."""
    records: list[Record] = []
    pos = 0
    while len(buffer) - pos >= 5:
        content_type = buffer[pos]
        version = (buffer[pos + 1] << 8) | buffer[pos + 2]
        length = (buffer[pos + 3] << 8) | buffer[pos + 4]
        if content_type not in (HANDSHAKE, ALERT, CHANGE_CIPHER_SPEC, APPLICATION_DATA):
            raise WireError(f"not a TLS record (content type {content_type})")
        if buffer[pos + 1] not in (2, 3):
            raise WireError(f"not a TLS record (version 0x{version:04x})")
        if length > MAX_RECORD:
            raise WireError(f"oversized record ({length} bytes)")
        if len(buffer) - pos - 5 < length:
            break
        records.append(Record(content_type, version, buffer[pos + 5 : pos + 5 + length]))
        pos += 5 + length
    return records, buffer[pos:]


def parse_handshakes(stream: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Complete handshake messages (type, body) at the start of a handshake byte stream."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while len(stream) - pos >= 4:
        kind = stream[pos]
        length = int.from_bytes(stream[pos + 1 : pos + 4], "big")
        if length > MAX_HANDSHAKE:
            raise WireError(f"oversized handshake message ({length} bytes)")
        if len(stream) - pos - 4 < length:
            break
        out.append((kind, stream[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return out, stream[pos:]


@dataclass(frozen=True, slots=True)
class ServerHello:
    version: int  # the negotiated version (supported_versions wins over legacy_version)
    suite: int
    session_id: bytes
    extensions: dict[int, bytes]
    retry: bool  # a TLS 1.3 HelloRetryRequest
    group: int | None  # TLS 1.3: the group of key_share (HRR: the group asked for)

    @property
    def secure_renegotiation(self) -> bool:
        return EXT_RENEGOTIATION_INFO in self.extensions


def parse_server_hello(body: bytes) -> ServerHello:
    r = Reader(body)
    legacy_version = r.u16()
    random = r.take(32)
    session_id = r.vec8()
    if len(session_id) > 32:
        raise WireError("session id longer than 32 bytes")
    suite = r.u16()
    r.u8()  # compression
    extensions: dict[int, bytes] = {}
    if r.left:
        ext = Reader(r.vec16())
        while ext.left:
            kind = ext.u16()
            extensions[kind] = ext.vec16()
    version = legacy_version
    if EXT_SUPPORTED_VERSIONS in extensions:
        version = Reader(extensions[EXT_SUPPORTED_VERSIONS]).u16()
    group = None
    if EXT_KEY_SHARE in extensions and len(extensions[EXT_KEY_SHARE]) >= 2:
        group = Reader(extensions[EXT_KEY_SHARE]).u16()
    return ServerHello(
        version=version,
        suite=suite,
        session_id=session_id,
        extensions=extensions,
        retry=random == HRR_RANDOM,
        group=group,
    )


def parse_certificates(body: bytes) -> list[bytes]:
    """The DER certificates of a TLS 1.2-or-older Certificate message, in sent order."""
    r = Reader(Reader(body).vec24())
    chain: list[bytes] = []
    while r.left:
        chain.append(r.vec24())
    return chain


@dataclass(frozen=True, slots=True)
class KeyExchange:
    """What a ServerKeyExchange reveals: the DH prime size or the ECDH curve."""

    dh_bits: int | None = None
    group: int | None = None


def parse_server_key_exchange(body: bytes, kex: str) -> KeyExchange:
    r = Reader(body)
    if kex.startswith("ECDHE") or kex == "ECDH":
        if r.u8() != 3:
            raise WireError("explicit EC curve parameters")
        return KeyExchange(group=r.u16())
    if kex.startswith(("DHE", "DH")) or kex == "PSK_DHE":
        if kex.endswith("PSK") or kex == "PSK_DHE":
            r.vec16()  # psk identity hint
        prime = r.vec16().lstrip(b"\x00")
        if not prime:
            raise WireError("empty DH prime")
        return KeyExchange(dh_bits=int.from_bytes(prime, "big").bit_length())
    return KeyExchange()


def parse_alert(fragment: bytes) -> tuple[int, int]:
    if len(fragment) < 2:
        raise WireError("truncated alert")
    return fragment[0], fragment[1]


def alert_name(description: int) -> str:
    return ALERT_NAMES.get(description, f"alert {description}")


@dataclass
class Flight:
    """What a server sent in clear in answer to one hello, as far as it was read."""

    hello: ServerHello | None = None
    certificates: list[bytes] = field(default_factory=list)
    key_exchange: bytes | None = None
    ocsp_response: bytes | None = None
    certificate_request: bool = False
    done: bool = False
    alert: int | None = None
    error: str | None = None

    @property
    def complete(self) -> bool:
        """Nothing more worth reading: an alert, the end of the clear flight, or TLS 1.3."""
        if self.alert is not None or self.done or self.error is not None:
            return True
        return self.hello is not None and (self.hello.retry or self.hello.version == TLS13)


class FlightParser:
    """Feed bytes as they arrive; `flight` fills in. Errors land in flight.error."""

    def __init__(self) -> None:
        self.flight = Flight()
        self._records = b""
        self._handshake = b""

    def feed(self, data: bytes) -> None:
        if self.flight.complete:
            return
        try:
            self._feed(data)
        except WireError as e:
            self.flight.error = str(e)

    def _feed(self, data: bytes) -> None:
        self._records += data
        records, self._records = parse_records(self._records)
        for record in records:
            if record.content_type == ALERT:
                self.flight.alert = parse_alert(record.fragment)[1]
                return
            if record.content_type != HANDSHAKE:
                if self.flight.hello is None:
                    raise WireError("application data before ServerHello")
                return
            self._handshake += record.fragment
            if len(self._handshake) > MAX_HANDSHAKE:
                raise WireError("oversized handshake flight")
            messages, self._handshake = parse_handshakes(self._handshake)
            for kind, body in messages:
                self._message(kind, body)
                if self.flight.complete:
                    return

    def _message(self, kind: int, body: bytes) -> None:
        if self.flight.hello is None:
            if kind != SERVER_HELLO:
                raise WireError(f"handshake message {kind} before ServerHello")
            self.flight.hello = parse_server_hello(body)
        elif kind == CERTIFICATE:
            self.flight.certificates = parse_certificates(body)
        elif kind == SERVER_KEY_EXCHANGE:
            self.flight.key_exchange = body
        elif kind == CERTIFICATE_STATUS:
            r = Reader(body)
            if r.u8() == 1:
                self.flight.ocsp_response = r.vec24()
        elif kind == CERTIFICATE_REQUEST:
            self.flight.certificate_request = True
        elif kind == SERVER_HELLO_DONE:
            self.flight.done = True


@dataclass(frozen=True, slots=True)
class SSLv2Hello:
    kinds: list[int]
    certificate: bytes


def parse_sslv2_server_hello(data: bytes) -> SSLv2Hello:
    r = Reader(data)
    header = r.u16()
    if not header & 0x8000:
        raise WireError("not an SSLv2 record")
    body = Reader(r.take(header & 0x7FFF))
    if body.u8() != 4:
        raise WireError("not an SSLv2 SERVER-HELLO")
    body.u8()  # session id hit
    body.u8()  # certificate type
    if body.u16() != SSL2:
        raise WireError("not SSLv2")
    cert_len, specs_len, _ = body.u16(), body.u16(), body.u16()
    certificate = body.take(cert_len)
    specs = body.take(specs_len)
    if specs_len % 3:
        raise WireError("bad SSLv2 cipher spec list")
    kinds = [int.from_bytes(specs[i : i + 3], "big") for i in range(0, specs_len, 3)]
    return SSLv2Hello(kinds, certificate)
