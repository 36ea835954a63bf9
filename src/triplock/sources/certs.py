"""Certificates, private keys and keystores on disk: PEM, DER, PKCS#12, JKS and JCEKS.

Keystores are opened in link(), once every configuration is parsed, because the deployment's
own configuration may hold their password. Passwords tried, in order: the keystore's own
configured password(s), lines of --keystore-password-file, $TRIPLOCK_KEYSTORE_PASSWORD, every
other literal keystore password in the configuration, then well-known defaults. Which kind of
password opened a store is recorded; the password itself never leaves this module.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from triplock.facts.certs import (
    CertChain,
    CertInfo,
    Keystore,
    KeystoreReference,
    PrivateKeyInfo,
    chain_from_der,
    infer_role,
    is_default_password,
)
from triplock.facts.hadoop import HadoopConf
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory, RunOptions, Setting
from triplock.model import Location
from triplock.safe_read import DEFAULT_MAX_BYTES, ReadError, read_capped
from triplock.sources.interface import LAST_RESORT, InputFile, SourceError
from triplock.sources.text_lines import LineCounter

PASSWORD_ENV = "TRIPLOCK_KEYSTORE_PASSWORD"

# Passwords keytool, Java, Hadoop and tutorials ship with; tried last.
DEFAULT_PASSWORDS = (
    "changeit",
    "changeme",
    "password",
    "password123",
    "123456",
    "12345678",
    "secret",
    "keystore",
    "truststore",
    "storepass",
    "keypass",
    "spark",
    "hadoop",
    "admin",
    "none",  # Hadoop's credential provider when HADOOP_CREDSTORE_PASSWORD is unset
    "",
)

# openssl uses 2048, Java 17 10,000; a hostile file could ask for billions per password tried.
MAX_PKCS12_ITERATIONS = 1_000_000
_JKS_MAGIC = b"\xfe\xed\xfe\xed"
_JCEKS_MAGIC = b"\xce\xce\xce\xce"
_PEM_SUFFIXES = (".pem", ".crt", ".cer", ".cert", ".key", ".ca-bundle")
_DER_SUFFIXES = (".der", ".cer", ".crt", ".key")
_PKCS12_SUFFIXES = (".p12", ".pfx")
_KEYSTORE_SUFFIXES = (".jks", ".jceks", ".keystore", ".truststore", *_PKCS12_SUFFIXES)
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n")
# A lookahead, so that an END line sharing its dashes with the one before it is found too.
_PEM_END = re.compile(r"(?=-----END ([A-Z0-9 ]+)-----)")
_CERT_LABELS = {"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"}
_TRADITIONAL_KEYS = {"RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1", "DSA PRIVATE KEY": "dsa"}
_SPARK_STORE = re.compile(r"^spark\.ssl(?P<ns>\.[A-Za-z]+)?\.(?P<what>keyStore|trustStore)$")
_HADOOP_STORE = re.compile(
    r"^ssl\.(?P<side>server|client)\.(?P<what>keystore|truststore)\.location$"
)


@dataclass(frozen=True, slots=True)
class PendingKeystore:
    """A keystore read in parse() and opened in link(); removed from the inventory there."""

    path: str
    data: bytes
    store_type: str
    mode: int | None


def file_mode(path: str) -> int | None:
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return None


def _store_type(file: InputFile) -> str | None:
    head = file.data[:4]
    if head == _JKS_MAGIC:
        return "JKS"
    if head == _JCEKS_MAGIC:
        return "JCEKS"
    lower = file.name.lower()
    if lower.endswith(_PKCS12_SUFFIXES) or (
        lower.endswith(_KEYSTORE_SUFFIXES) and file.data[:1] == b"\x30"
    ):
        return "PKCS12"
    return None


def _looks_pem(file: InputFile) -> bool:
    head = file.data[:65536]
    if b"-----BEGIN " not in head:
        return False
    if file.name.lower().endswith(_PEM_SUFFIXES):
        return True
    # Only a file that IS PEM (openssl may prefix "Bag Attributes" or "subject=" lines), not a
    # YAML or script that embeds one: those belong to their own sources.
    first = head.lstrip().split(b"\n", 1)[0]
    return first.startswith((b"-----BEGIN ", b"Bag Attributes", b"subject=", b"issuer="))


class CertsSource:
    kind: ClassVar[str] = "certs"
    # Last: link() needs the Spark and Hadoop facts that other sources build in their link().
    priority: ClassVar[int] = LAST_RESORT

    def claims(self, file: InputFile) -> bool:
        if _store_type(file) is not None or _looks_pem(file):
            return True
        lower = file.name.lower()
        return lower.endswith(_DER_SUFFIXES) and file.data[:1] == b"\x30"

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        mode = file_mode(file.path) if file.path != "<stdin>" else None
        store_type = _store_type(file)
        if store_type is not None:
            inventory.add(PendingKeystore(file.path, file.data, store_type, mode))
            return
        try:
            if _looks_pem(file):
                _parse_pem(file, mode, inventory)
            else:
                _parse_der(file, mode, inventory)
        except SourceError:
            raise
        except Exception as e:  # hostile ASN.1 must give an input error, never a traceback
            raise SourceError(f"unreadable ({type(e).__name__})") from e

    def link(self, inventory: Inventory) -> None:
        _pair_keys(inventory)
        options = inventory.options
        refs = list(_references(inventory, _roots(options.paths)))
        for ref in refs:
            inventory.add(ref)
        known = {os.path.realpath(p.path) for p in inventory.of(PendingKeystore)}
        for ref in refs:
            if ref.resolved and os.path.realpath(ref.resolved) not in known:
                pending = _read_referenced(ref.resolved, inventory)
                if pending is not None:
                    known.add(os.path.realpath(ref.resolved))
                    inventory.add(pending)
        given = _given_passwords(options, inventory)
        pendings = list(inventory.of(PendingKeystore))
        inventory.remove_all(pendings)
        for pending in pendings:
            try:
                store = _open(pending, _candidates(pending, refs, given))
            except SourceError as e:
                inventory.record_error(pending.path, f"{self.kind}: {e}")
                continue
            except Exception as e:  # hostile keystores: an input error, never a traceback
                reason = f"{self.kind}: unreadable {pending.store_type} ({type(e).__name__})"
                inventory.record_error(pending.path, reason)
                continue
            inventory.add(store)
            for chain in store.chains:
                inventory.add(chain)


def _pair_keys(inventory: Inventory) -> None:
    """A certificate file whose private key sits in another file (server.crt + server.key)."""
    public = {k.public_key_sha256 for k in inventory.of(PrivateKeyInfo) if k.public_key_sha256}
    for chain in inventory.of(CertChain):
        leaf = chain.leaf
        if (
            chain.origin == "file"
            and not chain.has_private_key
            and leaf is not None
            and leaf.public_key_sha256 in public
        ):
            chain.has_private_key = True
            chain.role = infer_role(chain.certificates, True)
            inventory.changed(chain)


# ---- PEM and DER -------------------------------------------------------------------------


def _parse_pem(file: InputFile, mode: int | None, inventory: Inventory) -> None:
    text = file.data.decode("latin-1")
    certs: list[tuple[int, bytes]] = []
    keys: list[PrivateKeyInfo] = []
    lines = LineCounter(text)
    for block in _pem_blocks(text):
        label = block.label
        line = lines.line_at(block.start)
        where = Location(path=file.path, line=line)
        if label in _CERT_LABELS:
            der = _pem_body(block.body, file.path, line)
            try:
                CertInfo.from_der(der)
            except ValueError as e:
                raise SourceError(f"line {line}: malformed certificate ({e})") from e
            certs.append((line, der))
        elif label.endswith("PRIVATE KEY"):
            keys.append(_pem_key(label, block.text, block.body, file.path, where, mode))
    for info in keys:
        inventory.add(info)
    if certs:
        chain = chain_from_der(
            [der for _, der in certs],
            name=file.path,
            location=Location(path=file.path, line=certs[0][0]),
            origin="file",
            reorder=True,
        )
        if keys and chain.leaf is not None:
            chain.has_private_key = any(
                k.public_key_sha256 in (None, chain.leaf.public_key_sha256) for k in keys
            )
            chain.role = infer_role(chain.certificates, chain.has_private_key)
        inventory.add(chain)


@dataclass(frozen=True, slots=True)
class _PemBlock:
    label: str
    start: int
    text: str  # BEGIN line to END line
    body: str


def _pem_blocks(text: str) -> Iterator[_PemBlock]:
    """Each BEGIN line with the first END line of its label after it, blocks not overlapping.

    Every END line is listed once, by label, and consumed in order: a lazy `.*?` up to a
    back-referenced END rescanned the rest of the text for every BEGIN line without one.
    """
    ends: dict[str, deque[tuple[int, int]]] = {}
    for m in _PEM_END.finditer(text):
        ends.setdefault(m[1], deque()).append((m.start(), m.start() + len(m[1]) + 14))
    done = 0
    for begin in _PEM_BEGIN.finditer(text):
        if begin.start() < done:
            continue
        queue = ends.get(begin[1])
        while queue and queue[0][0] < begin.end():
            queue.popleft()
        if not queue:
            continue
        end_start, done = queue.popleft()
        yield _PemBlock(
            begin[1], begin.start(), text[begin.start() : done], text[begin.end() : end_start]
        )


def _pem_body(body: str, path: str, line: int) -> bytes:
    lines = [ln for ln in body.splitlines() if ln.strip() and ":" not in ln]
    try:
        return base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError) as e:
        raise SourceError(f"line {line}: PEM block is not valid base64") from e


def _pem_key(
    label: str, block: str, body: str, path: str, where: Location, mode: int | None
) -> PrivateKeyInfo:
    from cryptography.hazmat.primitives import serialization

    name = f"{path}:{where.line}"
    if label == "ENCRYPTED PRIVATE KEY":
        return PrivateKeyInfo(name, where, "unknown", 0, None, True, mode, "pkcs8")
    if label == "OPENSSH PRIVATE KEY":
        fmt = "openssh"
        try:
            key: object = serialization.load_ssh_private_key(block.encode(), None)
        except (TypeError, ValueError) as e:
            if "password" in str(e).lower() or "encrypted" in str(e).lower():
                return PrivateKeyInfo(name, where, "unknown", 0, None, True, mode, fmt)
            raise SourceError(f"line {where.line}: malformed OpenSSH private key") from e
    else:
        fmt = _TRADITIONAL_KEYS.get(label, "pkcs8")
        if "Proc-Type: 4,ENCRYPTED" in body:
            return PrivateKeyInfo(name, where, "unknown", 0, None, True, mode, fmt)
        try:
            key = serialization.load_pem_private_key(block.encode(), None)
        except (TypeError, ValueError) as e:
            raise SourceError(f"line {where.line}: malformed private key") from e
        except Exception as e:  # unsupported algorithms surface as UnsupportedAlgorithm
            raise SourceError(f"line {where.line}: unsupported private key") from e
    return _key_info(name, where, key, mode, fmt)


def _parse_der(file: InputFile, mode: int | None, inventory: Inventory) -> None:
    from cryptography.hazmat.primitives import serialization

    where = Location(path=file.path)
    try:
        inventory.add(chain_from_der([file.data], file.path, where, "file"))
        return
    except ValueError:
        pass
    try:
        key = serialization.load_der_private_key(file.data, None)
    except TypeError:  # "password was not given but private key is encrypted"
        inventory.add(PrivateKeyInfo(file.path, where, "unknown", 0, None, True, mode, "der"))
        return
    except Exception as e:
        raise SourceError("not a DER certificate, private key or keystore") from e
    inventory.add(_key_info(file.path, where, key, mode, "der"))


def _key_info(name: str, where: Location, key: Any, mode: int | None, fmt: str) -> PrivateKeyInfo:
    from triplock.facts.x509_read import key_facts, spki_sha256

    key_type, bits, curve = key_facts(key)
    public = spki_sha256(key.public_key())
    return PrivateKeyInfo(name, where, key_type, bits, curve, False, mode, fmt, public)


# ---- keystores ---------------------------------------------------------------------------


def _open(pending: PendingKeystore, candidates: list[tuple[str, str]]) -> Keystore:
    where = Location(path=pending.path)
    if pending.store_type == "PKCS12":
        _check_pkcs12(pending.data)
    for password, source in candidates:
        opened = _try_open(pending, password)
        if opened is None:
            continue
        chains, secret_keys = opened
        store = Keystore(pending.path, where, pending.store_type, True, pending.mode, source)
        store.default_password = is_default_password(password)
        store.chains = chains
        store.private_key_entries = sum(1 for c in chains if c.has_private_key)
        store.secret_key_entries = secret_keys
        return store
    return Keystore(pending.path, where, pending.store_type, False, pending.mode)


def _check_pkcs12(data: bytes) -> None:
    """Refuse a PKCS#12 file whose MAC iteration count would make every password try hang."""
    from pyasn1.codec.der import decoder  # type: ignore[import-untyped]
    from pyasn1.error import PyAsn1Error  # type: ignore[import-untyped]

    try:
        pfx, _ = decoder.decode(data)
        iterations = int(pfx[2][2]) if len(pfx) > 2 and len(pfx[2]) > 2 else 1
    except (PyAsn1Error, TypeError, IndexError, ValueError) as e:
        raise SourceError("not a PKCS#12 keystore") from e
    if iterations > MAX_PKCS12_ITERATIONS:
        raise SourceError(f"PKCS#12 MAC iteration count {iterations:,} is beyond any real store")


def _try_open(pending: PendingKeystore, password: str) -> tuple[list[CertChain], int] | None:
    """The chains and the number of secret keys in a keystore, or None when `password` does
    not open it."""
    if pending.store_type == "PKCS12":
        bag = _open_pkcs12(pending, password)
        return None if bag is None else (bag, 0)
    import jks

    try:
        store = jks.KeyStore.loads(pending.data, password, try_decrypt_keys=False)
    except jks.KeystoreSignatureException:
        return None
    except Exception as e:  # pyjks raises many kinds (and ValueError/IndexError on garbage)
        raise SourceError(f"malformed {pending.store_type} keystore ({type(e).__name__})") from e
    chains: list[CertChain] = []
    for alias, entry in sorted(store.private_keys.items()):
        chains.append(_store_chain(pending, alias, [der for _, der in entry.cert_chain], True))
    for alias, trusted in sorted(store.certs.items()):
        chains.append(_store_chain(pending, alias, [trusted.cert], False))
    return chains, len(store.secret_keys)


def _open_pkcs12(pending: PendingKeystore, password: str) -> list[CertChain] | None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    tries = [None, b""] if password == "" else [password.encode()]
    for secret in tries:
        try:
            p12 = pkcs12.load_pkcs12(pending.data, secret)
        except ValueError:
            continue
        chains: list[CertChain] = []
        extra = [c.certificate for c in p12.additional_certs]
        if p12.cert is not None:
            ders = [_der(p12.cert.certificate), *(_der(c) for c in extra)]
            alias = (p12.cert.friendly_name or b"1").decode("utf-8", "replace")
            chains.append(_store_chain(pending, alias, ders, p12.key is not None, reorder=True))
        else:
            for i, cert in enumerate(p12.additional_certs, 1):
                alias = (cert.friendly_name or str(i).encode()).decode("utf-8", "replace")
                chains.append(_store_chain(pending, alias, [_der(cert.certificate)], False))
        return chains
    return None


def _der(cert: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    data: bytes = cert.public_bytes(Encoding.DER)
    return data


def _store_chain(
    pending: PendingKeystore, alias: str, ders: list[bytes], has_key: bool, reorder: bool = False
) -> CertChain:
    where = Location(path=pending.path, object=f"alias {alias}")
    try:
        chain = chain_from_der(
            ders, f"{pending.path}#{alias}", where, "keystore", None, has_key, reorder
        )
    except ValueError as e:
        raise SourceError(f"alias {alias}: malformed certificate ({e})") from e
    if not has_key:
        chain.role = "ca" if chain.leaf is not None and chain.leaf.is_ca else "unknown"
    else:
        chain.role = infer_role(chain.certificates, True)
    return chain


def _candidates(
    pending: PendingKeystore,
    refs: list[KeystoreReference],
    given: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    real = os.path.realpath(pending.path)
    own = [
        (s.value, "config")
        for r in refs
        if r.resolved and os.path.realpath(r.resolved) == real
        for s in r.passwords
        if not s.templated
    ]
    others = [(s.value, "config") for r in refs for s in r.passwords if not s.templated]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for password, source in [*own, *given, *others, *((p, "default") for p in DEFAULT_PASSWORDS)]:
        if password not in seen:
            seen.add(password)
            out.append((password, source))
    return out


def _given_passwords(options: RunOptions, inventory: Inventory) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in options.keystore_password_files:
        try:  # named on the command line: a stream (`<(pass show ks)`) is fine, capped
            text = read_capped(path, DEFAULT_MAX_BYTES, streams=True).data.decode("utf-8")
        except ReadError as e:
            inventory.record_error(str(path), f"keystore password file not read: {e}")
        except UnicodeDecodeError:
            inventory.record_error(str(path), "keystore password file not read: not UTF-8")
        else:
            out += [(line, "file") for line in text.splitlines() if line]
    env = os.environ.get(PASSWORD_ENV)
    if env:
        out.append((env, "env"))
    return out


def _roots(paths: tuple[str, ...]) -> list[str]:
    return [
        os.path.realpath(p if os.path.isdir(p) else os.path.dirname(p) or ".")
        for p in paths
        if p != "-"
    ]


def _resolve(value: str, config_path: str | None, roots: list[str]) -> str | None:
    """The file a configured keystore path names, if it lies inside the audited tree."""
    value = value.strip()
    if value.startswith("file:"):
        value = value[5:]
    if not value or not roots or "\0" in value:  # a NUL byte names no file
        return None
    bases = [os.path.dirname(config_path)] if config_path else []
    candidates = (
        [value] if os.path.isabs(value) else [os.path.join(b, value) for b in bases + roots]
    )
    for candidate in candidates:
        real = os.path.realpath(candidate)
        inside = any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
        if inside and os.path.isfile(real):
            return candidate
    return None


def _references(inventory: Inventory, roots: list[str]) -> Iterator[KeystoreReference]:
    for app in inventory.of(SparkApp):
        for key, setting in app.settings.items():
            m = _SPARK_STORE.match(key)
            if m is None:
                continue
            ns, what = m["ns"] or "", m["what"]
            names = (
                ("keyStorePassword", "keyPassword")
                if what == "keyStore"
                else ("trustStorePassword",)
            )
            passwords = tuple(
                s
                for n in names
                for s in [app.get(f"spark.ssl{ns}.{n}") or app.get(f"spark.ssl.{n}")]
                if s is not None
            )
            kind = app.value(f"spark.ssl{ns}.{what}Type") or app.value(f"spark.ssl.{what}Type")
            yield _reference(app.name, what.lower(), setting, passwords, kind, roots)
    yield from _hadoop_references(inventory, roots)


def _reference(
    config: str,
    purpose: str,
    path: Setting,
    passwords: tuple[Setting, ...],
    store_type: str | None,
    roots: list[str],
) -> KeystoreReference:
    resolved = None if path.templated else _resolve(path.value, path.location.path, roots)
    return KeystoreReference(config, purpose, path, passwords, store_type, resolved)


def _hadoop_references(inventory: Inventory, roots: list[str]) -> Iterator[KeystoreReference]:
    """ssl-server.xml / ssl-client.xml keystore and truststore settings."""
    for conf in inventory.of(HadoopConf):
        for key in [k for k in conf.properties if k.startswith("ssl.")]:
            m = _HADOOP_STORE.match(key)
            location = conf.get(key)
            if m is None or location is None:
                continue
            prefix = f"ssl.{m['side']}.{m['what']}"
            names = ("password", "keypassword") if m["what"] == "keystore" else ("password",)
            passwords = tuple(
                s for n in names if (s := _hadoop_setting(conf, f"{prefix}.{n}")) is not None
            )
            path = _hadoop_setting(conf, key)
            assert path is not None
            yield _reference(
                conf.name, m["what"], path, passwords, conf.text(f"{prefix}.type"), roots
            )


def _hadoop_setting(conf: HadoopConf, key: str) -> Setting | None:
    value = conf.get(key)
    if value is None or value.text is None:
        return None
    return Setting.at(key, value.text.strip(), value.location, value.templated, value.exposed)


def _read_referenced(path: str, inventory: Inventory) -> PendingKeystore | None:
    try:
        read = read_capped(path, DEFAULT_MAX_BYTES)
    except ReadError as e:
        inventory.record_error(path, f"referenced keystore not read: {e}")
        return None
    file = InputFile(path, read.data)
    store_type = _store_type(file) or "PKCS12"
    inventory.record_input(path, CertsSource.kind)
    return PendingKeystore(path, read.data, store_type, read.mode & 0o777)


SOURCE = CertsSource()
