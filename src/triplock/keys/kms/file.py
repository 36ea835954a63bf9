"""The embedded KMS: a keyring file whose key versions are wrapped under a passphrase.

The key-encryption key comes from scrypt (N=2^17, r=8, p=1 by default: about 128 MiB and a
fraction of a second, so guessing passphrases is slow). Each version's 256-bit key is sealed
with AES-256-GCM under a random nonce, its associated data naming the keyring, key id and
version; a wrong passphrase, a swapped version or any edit fails authentication."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from triplock.keys.files import write_secret
from triplock.keys.kms.interface import (
    DATA_KEY_BYTES,
    NONCE_BYTES,
    KmsError,
    WrappedKey,
    new_nonce,
    wrap_aad,
)

FORMAT = "triplock-keyring/1"
SCRYPT_N = 2**17
_MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class _Version:
    number: int
    created: str
    sealed: bytes  # nonce || ciphertext || tag of the version's key under the KEK


def _seal_aad(key_id: str, number: int) -> bytes:
    return f"{FORMAT}\0{key_id}\0".encode() + struct.pack(">I", number)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class FileKms:
    kind: ClassVar[str] = "file"

    def __init__(
        self,
        path: Path,
        key_id: str,
        kdf: dict[str, Any],
        kek: bytes,
        versions: list[_Version],
        primary: int,
    ) -> None:
        self._path = path
        self._key_id = key_id
        self._kdf = kdf
        self._kek = AESGCM(kek)
        self._versions = {v.number: v for v in versions}
        self._primary = primary
        self._keys: dict[int, AESGCM] = {}

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def primary_version(self) -> int:
        return self._primary

    @property
    def path(self) -> Path:
        return self._path

    # -- life cycle -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        passphrase: bytes,
        key_id: str = "triplock",
        force: bool = False,
        scrypt_n: int = SCRYPT_N,
    ) -> FileKms:
        if len(passphrase) < _MIN_PASSPHRASE:
            raise KmsError(f"the passphrase needs at least {_MIN_PASSPHRASE} characters")
        salt = os.urandom(16)
        kdf = {"name": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": _b64(salt)}
        kms = cls(Path(path), key_id, kdf, _derive(passphrase, kdf), [], 0)
        kms._add_version()
        kms._save(force=force)
        return kms

    @classmethod
    def open(cls, path: str | Path, passphrase: bytes) -> FileKms:
        path = Path(path)
        try:
            doc = json.loads(path.read_bytes())
            if doc.get("format") != FORMAT:
                raise KmsError(f"{path} is not a triplock keyring")
            versions = [
                _Version(int(v["version"]), str(v["created"]), base64.b64decode(v["sealed"]))
                for v in doc["versions"]
            ]
            kms = cls(
                path,
                str(doc["key_id"]),
                dict(doc["kdf"]),
                _derive(passphrase, doc["kdf"]),
                versions,
                int(doc["primary"]),
            )
        except OSError as e:
            raise KmsError(f"cannot read keyring {path}: {e.strerror}") from e
        except (ValueError, KeyError, TypeError) as e:
            raise KmsError(f"malformed keyring {path}: {e}") from e
        if kms._primary not in kms._versions:
            raise KmsError(f"malformed keyring {path}: primary version is missing")
        kms._key(kms._primary)  # checks the passphrase now rather than at the first unwrap
        return kms

    def rotate(self) -> int:
        number = self._add_version()
        self._save(force=True)
        return number

    def _add_version(self) -> int:
        number = max(self._versions, default=0) + 1
        nonce = new_nonce()
        key = os.urandom(DATA_KEY_BYTES)
        sealed = nonce + self._kek.encrypt(nonce, key, _seal_aad(self._key_id, number))
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._versions[number] = _Version(number, created, sealed)
        self._keys[number] = AESGCM(key)
        self._primary = number
        return number

    def _save(self, force: bool) -> None:
        doc = {
            "format": FORMAT,
            "key_id": self._key_id,
            "kdf": self._kdf,
            "primary": self._primary,
            "versions": [
                {"version": v.number, "created": v.created, "sealed": _b64(v.sealed)}
                for v in sorted(self._versions.values(), key=lambda v: v.number)
            ],
        }
        write_secret(self._path, json.dumps(doc, indent=2).encode() + b"\n", force=force)

    def _key(self, number: int) -> AESGCM:
        if number not in self._keys:
            version = self._versions.get(number)
            if version is None:
                raise KmsError(f"key {self._key_id} has no version {number} in {self._path}")
            nonce, body = version.sealed[:NONCE_BYTES], version.sealed[NONCE_BYTES:]
            try:
                raw = self._kek.decrypt(nonce, body, _seal_aad(self._key_id, number))
            except InvalidTag:
                raise KmsError(
                    f"wrong passphrase for keyring {self._path} (or the keyring was altered)"
                ) from None
            self._keys[number] = AESGCM(raw)
        return self._keys[number]

    # -- data keys --------------------------------------------------------------------------

    def wrap(self, data_key: bytes, context: bytes = b"") -> WrappedKey:
        nonce = new_nonce()
        aad = wrap_aad(self.kind, self._key_id, self._primary, context)
        body = self._key(self._primary).encrypt(nonce, data_key, aad)
        return WrappedKey(self.kind, self._key_id, self._primary, nonce + body)

    def unwrap(self, wrapped: WrappedKey, context: bytes = b"") -> bytes:
        if wrapped.kms != self.kind or wrapped.key_id != self._key_id:
            raise KmsError(
                f"the data key was wrapped by {wrapped.kms} key {wrapped.key_id!r}, "
                f"not by this keyring's key {self._key_id!r}"
            )
        aad = wrap_aad(self.kind, self._key_id, wrapped.version, context)
        nonce, body = wrapped.ciphertext[:NONCE_BYTES], wrapped.ciphertext[NONCE_BYTES:]
        try:
            return self._key(wrapped.version).decrypt(nonce, body, aad)
        except InvalidTag:
            reason = "the wrapped data key failed authentication (wrong key or altered)"
            raise KmsError(reason) from None


def _derive(passphrase: bytes, kdf: dict[str, Any]) -> bytes:
    if kdf.get("name") != "scrypt":
        raise KmsError(f"unsupported key derivation {kdf.get('name')!r}")
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if n < 2**14:
        raise KmsError("keyring scrypt cost is too low (N < 2^14)")
    salt = base64.b64decode(kdf["salt"])
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)
