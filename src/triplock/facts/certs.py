"""Facts about certificates, certificate chains, private keys and keystores.

The same CertChain describes a chain read from a file, from a keystore, or seen on the wire
(origin "endpoint"), so that one set of rules judges all three.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from triplock.inventory import Setting
from triplock.model import Location
from triplock.secret_classifier import known_default

if TYPE_CHECKING:
    from cryptography import x509

Origin = Literal["file", "keystore", "endpoint"]
Role = Literal["server", "client", "ca", "unknown"]
KeyType = Literal["RSA", "EC", "Ed25519", "Ed448", "DSA", "unknown"]


@dataclass(frozen=True, slots=True)
class CertInfo:
    """What triplock knows about one X.509 certificate. Names are RFC 4514 strings."""

    subject: str
    issuer: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    key_type: KeyType
    key_bits: int
    curve: str | None
    signature_hash: str | None  # "sha256", "sha1", "md5", "unknown"; None for Ed25519/Ed448
    sans: tuple[str, ...]
    is_ca: bool
    path_len: int | None
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    self_signed: bool
    fingerprint_sha256: str
    subject_key_id: str | None
    authority_key_id: str | None
    public_key_sha256: str = ""  # SHA-256 of the SubjectPublicKeyInfo: pairs it with its key

    @classmethod
    def from_der(cls, der: bytes) -> CertInfo:
        """Parse one DER certificate (raises ValueError when it is not one)."""
        from cryptography import x509

        return cls.from_x509(x509.load_der_x509_certificate(der))

    @classmethod
    def from_x509(cls, cert: x509.Certificate) -> CertInfo:
        from triplock.facts.x509_read import cert_info

        return cert_info(cert)

    @property
    def lifetime_days(self) -> float:
        return (self.not_after - self.not_before).total_seconds() / 86400

    def issued(self, child: CertInfo) -> bool:
        """Whether `child` names this certificate as its issuer (by name and, when both carry
        one, by key identifier)."""
        if child.issuer != self.subject:
            return False
        if child.authority_key_id and self.subject_key_id:
            return child.authority_key_id == self.subject_key_id
        return True


@dataclass
class CertChain:
    """The certificates one file, keystore entry or endpoint presents, leaf first."""

    name: str
    location: Location
    certificates: list[CertInfo]
    origin: Origin
    role: Role = "unknown"
    has_private_key: bool = False

    @property
    def leaf(self) -> CertInfo | None:
        return self.certificates[0] if self.certificates else None


def infer_role(certificates: list[CertInfo], has_private_key: bool) -> Role:
    """What a chain is for, from its leaf: a server or client certificate, or a CA. A CA
    certificate with its key but no keyCertSign usage (`openssl req -x509` makes those) is
    a self-signed server certificate."""
    if not certificates:
        return "unknown"
    leaf = certificates[0]
    if "serverAuth" in leaf.extended_key_usage:
        return "server"
    if "clientAuth" in leaf.extended_key_usage:
        return "client"
    if leaf.is_ca and (not has_private_key or "key_cert_sign" in leaf.key_usage):
        return "ca"
    return "server" if has_private_key else "unknown"


def order_chain(certificates: list[CertInfo]) -> list[CertInfo]:
    """Leaf first, then each issuer as found; certificates that do not link follow in input
    order (so a broken chain stays visible as such)."""
    if len(certificates) < 2:
        return list(certificates)
    issuers = _IssuerIndex(certificates)
    leaves = [c for c in certificates if not issuers.issued_any(c) or c.self_signed]
    leaf = next((c for c in leaves if not c.self_signed), certificates[0])
    ordered = [leaf]
    issuers.take(leaf)
    while not ordered[-1].self_signed:
        parent = issuers.take_issuer_of(ordered[-1])
        if parent is None:
            break
        ordered.append(parent)
    return ordered + [c for c in certificates if not issuers.taken(c)]


class _IssuerIndex:
    """The certificates of a bundle by subject and key id, each list in input order, so that
    ordering a bundle is linear in its size (comparing every pair took hours for a 10 MB bundle).
    `take` marks a certificate used; used ones are dropped from the lists' fronts lazily."""

    def __init__(self, certificates: list[CertInfo]) -> None:
        self._used: set[int] = set()
        self._by_subject: dict[str, deque[CertInfo]] = defaultdict(deque)
        self._by_key: dict[tuple[str, str], deque[CertInfo]] = defaultdict(deque)
        self._keyless: dict[str, deque[CertInfo]] = defaultdict(deque)
        self._position = {id(c): i for i, c in enumerate(certificates)}
        children_without_key: set[str] = set()  # issuer names some child names without a key id
        child_keys: set[tuple[str, str]] = set()
        for c in certificates:
            self._by_subject[c.subject].append(c)
            if c.subject_key_id:
                self._by_key[(c.subject, c.subject_key_id)].append(c)
            else:
                self._keyless[c.subject].append(c)
            if c.authority_key_id:
                child_keys.add((c.issuer, c.authority_key_id))
            else:
                children_without_key.add(c.issuer)
        self._children_without_key = children_without_key
        self._child_keys = child_keys
        self._child_names = children_without_key | {name for name, _ in child_keys}

    def issued_any(self, cert: CertInfo) -> bool:
        """Whether `cert` issued some certificate of the bundle (itself included)."""
        name = cert.subject
        if name not in self._child_names:
            return False
        return (
            not cert.subject_key_id
            or name in self._children_without_key
            or (name, cert.subject_key_id) in self._child_keys
        )

    def take(self, cert: CertInfo) -> None:
        self._used.add(id(cert))

    def taken(self, cert: CertInfo) -> bool:
        return id(cert) in self._used

    def take_issuer_of(self, child: CertInfo) -> CertInfo | None:
        """The first unused certificate in input order that issued `child`, now used."""
        if child.authority_key_id:
            found = [
                self._first_unused(self._by_key.get((child.issuer, child.authority_key_id))),
                self._first_unused(self._keyless.get(child.issuer)),
            ]
            candidates = [c for c in found if c is not None]
            parent = min(candidates, key=lambda c: self._position[id(c)], default=None)
        else:
            parent = self._first_unused(self._by_subject.get(child.issuer))
        if parent is not None:
            self.take(parent)
        return parent

    def _first_unused(self, queue: deque[CertInfo] | None) -> CertInfo | None:
        while queue and id(queue[0]) in self._used:
            queue.popleft()
        return queue[0] if queue else None


def chain_from_der(
    ders: list[bytes],
    name: str,
    location: Location,
    origin: Origin,
    role: Role | None = None,
    has_private_key: bool = False,
    reorder: bool = False,
) -> CertChain:
    """A CertChain from DER certificates in presented order (leaf first, as TLS sends them).

    `reorder` sorts a bag of certificates (a PEM bundle) into leaf-first order; a chain seen on
    the wire keeps its order so that rules can judge it as sent. `role` None infers it.
    """
    certs = [CertInfo.from_der(d) for d in ders]
    if reorder:
        certs = order_chain(certs)
    return CertChain(
        name=name,
        location=location,
        certificates=certs,
        origin=origin,
        role=role if role is not None else infer_role(certs, has_private_key),
        has_private_key=has_private_key,
    )


@dataclass(frozen=True, slots=True)
class PrivateKeyInfo:
    """A private key on disk: what it is and how it is protected. Never its material."""

    name: str
    location: Location
    key_type: KeyType
    key_bits: int  # 0 when encrypted and unreadable
    curve: str | None
    encrypted: bool
    mode: int | None  # st_mode & 0o777 of the file, None for stdin
    format: str  # "pkcs8", "pkcs1", "sec1", "openssh", "der"
    public_key_sha256: str | None = None  # None when encrypted


def is_default_password(value: str) -> bool:
    """Whether a password is a well-known default (or empty, or short)."""
    return len(value) < 6 or known_default(value) is not None


@dataclass
class Keystore:
    """A JKS, JCEKS or PKCS#12 keystore (or truststore) file.

    `opened`: a password in hand opened it; `password_source` says which kind ("config",
    "file", "env", "default"), never the password; `default_password` that it is a well-known
    one (whatever told triplock to try it).
    """

    name: str
    location: Location
    store_type: str  # "JKS", "JCEKS", "PKCS12"
    opened: bool
    mode: int | None
    password_source: str | None = None
    default_password: bool = False  # the password that opened it is a well-known default
    private_key_entries: int = 0
    secret_key_entries: int = 0
    chains: list[CertChain] = field(default_factory=list)

    @property
    def trusted_entries(self) -> int:
        """Certificate entries without a private key (a truststore's)."""
        return len(self.chains) - self.private_key_entries


@dataclass(frozen=True, slots=True)
class KeystoreReference:
    """A configuration's pointer to a keystore (spark.ssl.*.keyStore, ssl.server.keystore.*):
    the path setting, the password settings that go with it, and the file inside the audited
    tree it resolves to, if any."""

    config: str
    purpose: str  # "keystore" or "truststore"
    path: Setting
    passwords: tuple[Setting, ...]
    store_type: str | None = None
    resolved: str | None = None
