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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

DATA_KEY_BYTES = 32
NONCE_BYTES = 12


class KmsError(Exception):
    """A KMS that cannot be opened, a wrong passphrase or PIN, or a wrapped key that fails."""


class KmsOptionError(KmsError):
    """A KMS named wrongly (an unknown kind, no location): the command line's fault."""


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under one version of a KMS primary key: safe to store anywhere."""

    kms: str
    key_id: str
    version: int
    ciphertext: bytes  # nonce || AES-GCM ciphertext || tag
    # The id of the keyring (or token) that wrapped it, so that a replaced keyring is reported
    # as such; None in files written before it was recorded. Diagnostic only: not in the AAD.
    keyring: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kms": self.kms,
            "key_id": self.key_id,
            "version": self.version,
            "ciphertext": base64.b64encode(self.ciphertext).decode(),
        }
        if self.keyring is not None:
            out["keyring"] = self.keyring
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WrappedKey:
        try:
            return cls(
                str(data["kms"]),
                str(data["key_id"]),
                int(data["version"]),
                base64.b64decode(data["ciphertext"], validate=True),
                None if data.get("keyring") is None else str(data["keyring"]),
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

    @property
    def keyring_id(self) -> str | None:
        """What identifies this keyring or token in the keys it wraps (None: not recorded)."""
        ...

    @property
    def versions(self) -> list[int]: ...

    def wrap(self, data_key: bytes, context: bytes = b"") -> WrappedKey:
        """Encrypt a data key under the current primary version."""
        ...

    def unwrap(self, wrapped: WrappedKey, context: bytes = b"") -> bytes:
        """Decrypt a data key wrapped by any version this KMS still holds."""
        ...

    def rotate(self) -> int:
        """Make a fresh primary version (old ones stay for unwrapping); return its number."""
        ...

    def retire(self, version: int) -> None:
        """Destroy an old version; whatever it still wraps can never be decrypted again."""
        ...


def check_keyring(wrapped: WrappedKey, keyring_id: str | None, where: str) -> None:
    """A key wrapped by another keyring (or token) is reported as such, before its tag fails."""
    if wrapped.keyring is not None and wrapped.keyring != keyring_id:
        raise KmsError(
            f"wrong keyring: the data key was wrapped by keyring {wrapped.keyring}, and {where} "
            f"is keyring {keyring_id or '(no id)'} (was it replaced? a replaced keyring is kept "
            "next to it as NAME.TIMESTAMP.bak)"
        )


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

    kind: str  # a Backend's kind (see triplock.keys.kms.backends())
    location: str  # keyring path, or PKCS#11 token label
    secret_file: str | None = None
    secret_env: str | None = None
    module: str | None = None  # PKCS#11 library
    key_id: str = "triplock"
    options: dict[str, str] = field(default_factory=dict)

    def secret(self, what: str = "secret") -> bytes:
        """The passphrase or PIN (`what` names it in the error when there is none)."""
        if self.secret_file:
            try:
                with open(self.secret_file, "rb") as handle:
                    return handle.read().rstrip(b"\r\n")
            except OSError as e:
                raise KmsError(f"cannot read {self.secret_file}: {e.strerror}") from e
        if self.secret_env and os.environ.get(self.secret_env):
            return os.environ[self.secret_env].encode()
        where = f" or set {self.secret_env}" if self.secret_env else ""
        raise KmsError(f"no KMS {what}: give a {what} file{where}")


@dataclass(frozen=True)
class CreateOptions:
    """What `keys kms init` passes to a backend's `create`."""

    force: bool = False
    # The id of the keyring that --force may replace, typed back by the user.
    destroy: str | None = None
    scrypt_n: int | None = None


@dataclass(frozen=True)
class Backend:
    """A KMS backend, as a module of this package declares it (BACKEND = Backend(...))."""

    kind: str  # the KIND of --kms KIND:WHERE
    where: str  # what WHERE names, for help texts: "KEYRING", "TOKEN_LABEL"
    location_is_path: bool  # WHERE is a file path (made absolute for Spark executors)
    open: Callable[[KmsSpec], Kms]
    create: Callable[[KmsSpec, CreateOptions], Kms]
