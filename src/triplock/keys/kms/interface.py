"""What a KMS is to triplock: named primary keys with versions that wrap and unwrap data keys.

Every wrap is AES-256-GCM with a fresh random 96-bit nonce, and its associated data binds the
wrapped key to the primary key's id and version (and the caller's context), so a wrapped key
cannot be replayed under another key or version. Old versions stay for unwrapping after a
rotation; `rewrap` moves a wrapped key to the current primary."""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

DATA_KEY_BYTES = 32
NONCE_BYTES = 12


class KmsError(Exception):
    """A KMS that cannot be opened, a wrong passphrase or PIN, or a wrapped key that fails."""


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under one version of a KMS primary key: safe to store anywhere."""

    kms: str
    key_id: str
    version: int
    ciphertext: bytes  # nonce || AES-GCM ciphertext || tag

    def to_dict(self) -> dict[str, Any]:
        return {
            "kms": self.kms,
            "key_id": self.key_id,
            "version": self.version,
            "ciphertext": base64.b64encode(self.ciphertext).decode(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WrappedKey:
        try:
            return cls(
                str(data["kms"]),
                str(data["key_id"]),
                int(data["version"]),
                base64.b64decode(data["ciphertext"], validate=True),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise KmsError(f"malformed wrapped key: {e}") from e

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, text: bytes) -> WrappedKey:
        try:
            data = json.loads(text)
        except ValueError as e:
            raise KmsError(f"malformed wrapped key: {e}") from e
        if not isinstance(data, dict):
            raise KmsError("malformed wrapped key: not an object")
        return cls.from_dict(data)


def wrap_aad(kms: str, key_id: str, version: int, context: bytes) -> bytes:
    """Associated data of a wrap: the backend, key id and version, then the caller's context."""
    head = f"triplock-wrap/1\0{kms}\0{key_id}\0".encode()
    return head + struct.pack(">I", version) + context


def new_nonce() -> bytes:
    return os.urandom(NONCE_BYTES)


class Kms(Protocol):
    """A backend. Implementations hold the primary key versions; data keys never stay in them."""

    kind: ClassVar[str]

    @property
    def key_id(self) -> str: ...

    @property
    def primary_version(self) -> int: ...

    def wrap(self, data_key: bytes, context: bytes = b"") -> WrappedKey:
        """Encrypt a data key under the current primary version."""
        ...

    def unwrap(self, wrapped: WrappedKey, context: bytes = b"") -> bytes:
        """Decrypt a data key wrapped by any version this KMS still holds."""
        ...

    def rotate(self) -> int:
        """Make a fresh primary version (old ones stay for unwrapping); return its number."""
        ...


def generate_data_key(kms: Kms, context: bytes = b"") -> tuple[bytes, WrappedKey]:
    """A fresh random 256-bit data key and its wrapped form."""
    key = os.urandom(DATA_KEY_BYTES)
    return key, kms.wrap(key, context)


def rewrap(kms: Kms, wrapped: WrappedKey, context: bytes = b"") -> WrappedKey:
    """The same data key wrapped under the current primary version (after a rotation)."""
    if wrapped.key_id == kms.key_id and wrapped.version == kms.primary_version:
        return wrapped
    return kms.wrap(kms.unwrap(wrapped, context), context)


@dataclass(frozen=True)
class KmsSpec:
    """How to open a KMS, picklable so that Spark executors can open it themselves.

    `secret_file` / `secret_env` name where the passphrase or PIN is (never the value)."""

    kind: str  # "file" or "pkcs11"
    location: str  # keyring path, or PKCS#11 token label
    secret_file: str | None = None
    secret_env: str | None = None
    module: str | None = None  # PKCS#11 library
    key_id: str = "triplock"
    options: dict[str, str] = field(default_factory=dict)

    def secret(self) -> bytes:
        if self.secret_file:
            try:
                with open(self.secret_file, "rb") as handle:
                    return handle.read().rstrip(b"\r\n")
            except OSError as e:
                raise KmsError(f"cannot read {self.secret_file}: {e.strerror}") from e
        if self.secret_env and os.environ.get(self.secret_env):
            return os.environ[self.secret_env].encode()
        what = "passphrase" if self.kind == "file" else "PIN"
        where = f" or set {self.secret_env}" if self.secret_env else ""
        raise KmsError(f"no KMS {what}: give a {what} file{where}")


def open_kms(spec: KmsSpec) -> Kms:
    if spec.kind == "file":
        from triplock.keys.kms.file import FileKms

        return FileKms.open(spec.location, spec.secret())
    if spec.kind == "pkcs11":
        from triplock.keys.kms.pkcs11 import Pkcs11Kms

        return Pkcs11Kms.open(spec.location, spec.secret(), spec.module, spec.key_id)
    raise KmsError(f"unknown KMS kind {spec.kind!r} (choose file or pkcs11)")
