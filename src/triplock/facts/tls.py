"""Facts observed on a live TLS endpoint by triplock.tlsscan (never judged there).

Certificate chains seen on the wire become triplock.facts.certs.CertChain facts with origin
"endpoint"; the Endpoint keeps them as DER too, for the scan report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triplock.model import Location

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
RESUMPTION_KINDS = ("session_id", "session_ticket", "tls13_psk")


@dataclass
class Endpoint:
    """What one host:port showed. None means "not observed" (the rules answer unknown).

    `protocols` maps each of PROTOCOLS to whether the server accepted it; `cipher_suites`
    lists the IANA names it accepted per protocol, in the order they were found.
    `dh_bits` maps a DHE suite name to its prime size; `groups` are the named groups of every
    protocol (TLS 1.3 via HelloRetryRequest, TLS 1.0-1.2 from ServerKeyExchange), and
    `groups_by_protocol` the same per protocol in the order the server picks them.
    `incomplete` names what a probe given up half-way did not finish (empty when whole).
    """

    target: str
    location: Location
    error: str | None = None
    protocols: dict[str, bool] = field(default_factory=dict)
    cipher_suites: dict[str, list[str]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    groups_by_protocol: dict[str, list[str]] = field(default_factory=dict)
    dh_bits: dict[str, int] = field(default_factory=dict)
    certificate_chains: dict[str, list[bytes]] = field(default_factory=dict)
    session_resumption: dict[str, bool | None] = field(default_factory=dict)
    ocsp_stapling: bool | None = None
    server_preference: dict[str, bool | None] = field(default_factory=dict)
    secure_renegotiation: bool | None = None
    http: bool | None = None
    hsts_max_age: int | None = None
    client_certificate_required: bool = False
    notes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    connections: int = 0
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.target

    @property
    def observed(self) -> bool:
        """Whether the scan saw the endpoint speak TLS at all."""
        return self.error is None and any(self.protocols.values())

    def accepted(self) -> list[str]:
        """Every accepted suite name, once, across protocols."""
        seen: dict[str, None] = {}
        for names in self.cipher_suites.values():
            seen.update(dict.fromkeys(names))
        return list(seen)

    def where(self, what: str | None = None) -> Location:
        return Location(url=self.location.url, object=what)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "error": self.error,
            "protocols": {p: self.protocols.get(p, False) for p in PROTOCOLS},
            "cipher_suites": {p: list(s) for p, s in self.cipher_suites.items() if s},
            "groups": list(self.groups),
            "groups_by_protocol": {p: list(g) for p, g in self.groups_by_protocol.items()},
            "dh_bits": dict(self.dh_bits),
            "session_resumption": dict(self.session_resumption),
            "ocsp_stapling": self.ocsp_stapling,
            "server_preference": dict(self.server_preference),
            "secure_renegotiation": self.secure_renegotiation,
            "http": self.http,
            "hsts_max_age": self.hsts_max_age,
            "client_certificate_required": self.client_certificate_required,
            "notes": list(self.notes),
            "incomplete": list(self.incomplete),
            "connections": self.connections,
            "seconds": round(self.seconds, 3),
        }
