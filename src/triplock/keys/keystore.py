"""PKCS#12 keystores and truststores for Spark, Hadoop and any JVM (JKS on request).

PKCS#12 files use PBES2 with AES-256-CBC and an HMAC-SHA256 MAC, which Java reads since 8u301
and 11.0.12; the truststore marks each certificate as trusted for Java (the Oracle trusted-key
attribute), so `keytool -list` shows trustedCertEntry. Passwords are random and written to a
0600 file next to the store, never printed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from triplock.keys import certs
from triplock.keys.files import Output, write_all

StoreType = Literal["pkcs12", "jks"]
_KDF_ROUNDS = 100_000


class KeystoreError(Exception):
    """Inputs that cannot make a keystore (no key, no certificates, JKS support missing)."""


@dataclass(frozen=True)
class StorePaths:
    store: Path
    password: Path


def new_password() -> str:
    return secrets.token_urlsafe(24)


def password_path(store: Path) -> Path:
    return store.with_name(store.name + ".pass")


def _encryption(password: str) -> serialization.KeySerializationEncryption:
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )


def keystore_bytes(
    key: certs.PrivateKey,
    chain: list[x509.Certificate],
    password: str,
    alias: str,
    store_type: StoreType = "pkcs12",
) -> bytes:
    if not chain:
        raise KeystoreError("a keystore needs the certificate of its key")
    if chain[0].public_key() != key.public_key():
        raise KeystoreError("the first certificate of the chain does not match the key")
    if store_type == "jks":
        jks = _pyjks()
        der_key = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        der_chain = [c.public_bytes(serialization.Encoding.DER) for c in chain]
        entry = jks.PrivateKeyEntry.new(alias, der_chain, der_key, "pkcs8")
        data: bytes = jks.KeyStore.new("jks", [entry]).saves(password)
        return data
    return pkcs12.serialize_key_and_certificates(
        alias.encode(), key, chain[0], chain[1:] or None, _encryption(password)
    )


def truststore_bytes(
    anchors: list[x509.Certificate], password: str, store_type: StoreType = "pkcs12"
) -> bytes:
    if not anchors:
        raise KeystoreError("a truststore needs at least one certificate")
    aliases = [f"ca-{i}" if i else "ca" for i in range(len(anchors))]
    if store_type == "jks":
        jks = _pyjks()
        entries = [
            jks.TrustedCertEntry.new(alias, c.public_bytes(serialization.Encoding.DER))
            for alias, c in zip(aliases, anchors, strict=True)
        ]
        data: bytes = jks.KeyStore.new("jks", entries).saves(password)
        return data
    return pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(c, a.encode()) for a, c in zip(aliases, anchors, strict=True)],
        _encryption(password),
    )


def _pyjks() -> Any:
    try:
        import jks
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise KeystoreError("JKS needs the pyjks package (pip install pyjks); use PKCS#12") from e
    return jks


def keystore_outputs(
    key_file: Path,
    chain_file: Path,
    out: Path,
    alias: str = "server",
    store_type: StoreType = "pkcs12",
) -> list[Output]:
    """The keystore and its password file, made in memory: nothing is written yet."""
    try:
        key = certs.load_key(_read(key_file))
    except ValueError as e:
        raise KeystoreError(f"{key_file}: {e}") from None
    chain = _load_certs(chain_file)
    password = new_password()
    data = keystore_bytes(key, chain, password, alias, store_type)
    return [Output(password_path(Path(out)), password.encode()), Output(Path(out), data)]


def truststore_outputs(
    cert_files: list[Path], out: Path, store_type: StoreType = "pkcs12"
) -> list[Output]:
    """The truststore and its password file, made in memory. A truststore holds only public
    certificates, but its password file is still a secret: both are 0600."""
    anchors = [c for f in cert_files for c in _load_certs(f)]
    password = new_password()
    data = truststore_bytes(anchors, password, store_type)
    return [Output(password_path(Path(out)), password.encode()), Output(Path(out), data)]


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise KeystoreError(f"{path}: {e.strerror}") from None


def _load_certs(path: Path) -> list[x509.Certificate]:
    try:
        return certs.load_certs(_read(path))
    except ValueError as e:
        raise KeystoreError(f"{path}: {e}") from None


def write_stores(outputs: list[Output], force: bool = False) -> list[StorePaths]:
    """Write stores made by keystore_outputs / truststore_outputs, all or nothing."""
    write_all(outputs, force=force)
    return [StorePaths(outputs[i + 1].path, outputs[i].path) for i in range(0, len(outputs), 2)]


def write_keystore(
    key_file: Path,
    chain_file: Path,
    out: Path,
    alias: str = "server",
    store_type: StoreType = "pkcs12",
    force: bool = False,
) -> StorePaths:
    outputs = keystore_outputs(key_file, chain_file, out, alias, store_type)
    return write_stores(outputs, force)[0]


def write_truststore(
    cert_files: list[Path], out: Path, store_type: StoreType = "pkcs12", force: bool = False
) -> StorePaths:
    return write_stores(truststore_outputs(cert_files, out, store_type), force)[0]
