"""The embedded KMS: a keyring file whose key versions are wrapped under a passphrase.

The passphrase goes through scrypt (N=2^17, r=8, p=1 by default: about 128 MiB and a fraction
of a second, so guessing passphrases is slow); HKDF splits the result into a key-encryption key
and a MAC key. Each version's 256-bit key is sealed with AES-256-GCM under a random nonce, its
associated data naming the keyring id, key id and version; an HMAC-SHA256 over everything else
(the primary version above all) detects any edit. A wrong passphrase, a swapped version or an
edited field fails authentication.

Keyrings of format /1 (before the keyring id and the MAC) are read as they are, and upgraded to
/2 the first time they are saved (rotate, retire)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from triplock.keys.files import write_secret
from triplock.keys.kms.interface import (
    DATA_KEY_BYTES,
    NONCE_BYTES,
    Backend,
    CreateOptions,
    KmsError,
    KmsSpec,
    WrappedKey,
    check_keyring,
    new_nonce,
    wrap_aad,
)

FORMAT = "triplock-keyring/2"
LEGACY_FORMAT = "triplock-keyring/1"
SCRYPT_N = 2**17
_MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class _Version:
    number: int
    created: str
    sealed: bytes  # nonce || ciphertext || tag of the version's key under the KEK


@dataclass(frozen=True)
class _Secrets:
    kek: AESGCM
    mac_key: bytes | None  # None for a /1 keyring (its KEK is the scrypt output itself)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class FileKms:
    kind: ClassVar[str] = "file"

    def __init__(
        self,
        path: Path,
        key_id: str,
        keyring_id: str | None,
        kdf: dict[str, Any],
        derived: bytes,
        versions: list[_Version],
        primary: int,
    ) -> None:
        self._path = path
        self._key_id = key_id
        self._keyring_id = keyring_id  # None: a /1 keyring, until it is saved
        self._kdf = kdf
        self._derived = derived
        self._secrets = _split(derived, keyring_id is not None)
        self._versions = {v.number: v for v in versions}
        self._primary = primary
        self._keys: dict[int, AESGCM] = {}

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def keyring_id(self) -> str | None:
        return self._keyring_id

    @property
    def primary_version(self) -> int:
        return self._primary

    @property
    def versions(self) -> list[int]:
        return sorted(self._versions)

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
        destroy: str | None = None,
    ) -> FileKms:
        """A new keyring. With `force`, an existing one is replaced only when `destroy` is its
        id (typed back by the user: see replace_guard), and is kept as NAME.TIMESTAMP.bak."""
        path = Path(path)
        if len(passphrase) < _MIN_PASSPHRASE:
            raise KmsError(f"the passphrase needs at least {_MIN_PASSPHRASE} characters")
        if force:
            replace_guard(path, destroy)
        salt = os.urandom(16)
        kdf = {"name": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": _b64(salt)}
        kms = cls(path, key_id, secrets.token_hex(8), kdf, _derive(passphrase, kdf), [], 0)
        kms._add_version()
        kms._save(force=force)
        return kms

    @classmethod
    def open(cls, path: str | Path, passphrase: bytes) -> FileKms:
        path = Path(path)
        try:
            doc = json.loads(path.read_bytes())
            if doc.get("format") not in (FORMAT, LEGACY_FORMAT):
                raise KmsError(f"{path} is not a triplock keyring")
            legacy = doc["format"] == LEGACY_FORMAT
            versions = [
                _Version(int(v["version"]), str(v["created"]), base64.b64decode(v["sealed"]))
                for v in doc["versions"]
            ]
            kms = cls(
                path,
                str(doc["key_id"]),
                None if legacy else str(doc["keyring_id"]),
                dict(doc["kdf"]),
                _derive(passphrase, doc["kdf"]),
                versions,
                int(doc["primary"]),
            )
        except OSError as e:
            raise KmsError(f"cannot read keyring {path}: {e.strerror}") from e
        except (ValueError, KeyError, TypeError) as e:
            raise KmsError(f"malformed keyring {path}: {e}") from e
        if not legacy and not hmac.compare_digest(kms._mac(doc), str(doc.get("mac", ""))):
            raise KmsError(
                f"wrong passphrase for keyring {path}, or the keyring was altered "
                "(its MAC does not match)"
            )
        if kms._primary not in kms._versions:
            raise KmsError(f"malformed keyring {path}: primary version is missing")
        kms._key(kms._primary)  # checks the passphrase now rather than at the first unwrap
        return kms

    def rotate(self) -> int:
        number = self._add_version()
        self._save(force=True)
        return number

    def retire(self, version: int) -> None:
        if version == self._primary:
            raise KmsError(f"version {version} is the primary: rotate first, then retire it")
        if version not in self._versions:
            raise KmsError(f"key {self._key_id} has no version {version} in {self._path}")
        del self._versions[version]
        self._keys.pop(version, None)
        self._save(force=True)

    def _add_version(self) -> int:
        number = max(self._versions, default=0) + 1
        key = os.urandom(DATA_KEY_BYTES)
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._versions[number] = _Version(number, created, self._seal(number, key))
        self._keys[number] = AESGCM(key)
        self._primary = number
        return number

    def _seal(self, number: int, key: bytes) -> bytes:
        nonce = new_nonce()
        return nonce + self._secrets.kek.encrypt(nonce, key, self._seal_aad(number))

    def _seal_aad(self, number: int) -> bytes:
        if self._keyring_id is None:
            return f"{LEGACY_FORMAT}\0{self._key_id}\0".encode() + struct.pack(">I", number)
        head = f"{FORMAT}\0{self._keyring_id}\0{self._key_id}\0".encode()
        return head + struct.pack(">I", number)

    def _upgrade(self) -> None:
        """A /1 keyring gets an id, its versions are sealed again under /2, and a MAC."""
        raw = {n: self._open_sealed(n) for n in self._versions}
        self._keyring_id = secrets.token_hex(8)
        self._secrets = _split(self._derived, True)
        for n, key in raw.items():
            self._versions[n] = _Version(n, self._versions[n].created, self._seal(n, key))

    def _save(self, force: bool) -> None:
        if self._keyring_id is None:
            self._upgrade()
        doc: dict[str, Any] = {
            "format": FORMAT,
            "keyring_id": self._keyring_id,
            "key_id": self._key_id,
            "kdf": self._kdf,
            "primary": self._primary,
            "versions": [
                {"version": v.number, "created": v.created, "sealed": _b64(v.sealed)}
                for v in sorted(self._versions.values(), key=lambda v: v.number)
            ],
        }
        doc["mac"] = self._mac(doc)
        text = json.dumps(doc, indent=2).encode() + b"\n"
        write_secret(self._path, text, force=force, keep="stamped")

    def _mac(self, doc: dict[str, Any]) -> str:
        """HMAC-SHA256 over the canonical JSON of every field but the MAC itself."""
        assert self._secrets.mac_key is not None
        fields = {k: v for k, v in doc.items() if k != "mac"}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        return _b64(hmac.new(self._secrets.mac_key, canonical, hashlib.sha256).digest())

    def _open_sealed(self, number: int) -> bytes:
        version = self._versions.get(number)
        if version is None:
            raise KmsError(f"key {self._key_id} has no version {number} in {self._path}")
        nonce, body = version.sealed[:NONCE_BYTES], version.sealed[NONCE_BYTES:]
        try:
            return self._secrets.kek.decrypt(nonce, body, self._seal_aad(number))
        except InvalidTag:
            raise KmsError(
                f"wrong passphrase for keyring {self._path} (or the keyring was altered)"
            ) from None

    def _key(self, number: int) -> AESGCM:
        if number not in self._keys:
            self._keys[number] = AESGCM(self._open_sealed(number))
        return self._keys[number]

    # -- data keys --------------------------------------------------------------------------

    def wrap(self, data_key: bytes, context: bytes = b"") -> WrappedKey:
        nonce = new_nonce()
        aad = wrap_aad(self.kind, self._key_id, self._primary, context)
        body = self._key(self._primary).encrypt(nonce, data_key, aad)
        return WrappedKey(self.kind, self._key_id, self._primary, nonce + body, self._keyring_id)

    def unwrap(self, wrapped: WrappedKey, context: bytes = b"") -> bytes:
        if wrapped.kms != self.kind or wrapped.key_id != self._key_id:
            raise KmsError(
                f"the data key was wrapped by {wrapped.kms} key {wrapped.key_id!r}, "
                f"not by this keyring's key {self._key_id!r}"
            )
        check_keyring(wrapped, self._keyring_id, str(self._path))
        aad = wrap_aad(self.kind, self._key_id, wrapped.version, context)
        nonce, body = wrapped.ciphertext[:NONCE_BYTES], wrapped.ciphertext[NONCE_BYTES:]
        try:
            return self._key(wrapped.version).decrypt(nonce, body, aad)
        except InvalidTag:
            reason = "the wrapped data key failed authentication (wrong key or altered)"
            raise KmsError(reason) from None


def replace_guard(path: Path, destroy: str | None) -> None:
    """`init --force` replaces an existing keyring only when the user typed back its id.

    A keyring cannot know whether it has wrapped anything (a wrap writes nothing, and keyrings
    are often mounted read-only), so every existing keyring counts as in use. The id is not
    printed here on purpose: a script that retries with --force cannot copy it by accident."""
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    current = str(doc.get("keyring_id") or doc.get("key_id") or "")
    if destroy is None or destroy != current:
        raise KmsError(
            f"refusing to replace the keyring {path}: every file it encrypted would become "
            "unreadable. If that is what you want, give --destroy-keyring ID with ID the "
            f'"keyring_id" in {path} (the "key_id" for a keyring without one); the old keyring '
            "is then kept as NAME.TIMESTAMP.bak"
        )


def _derive(passphrase: bytes, kdf: dict[str, Any]) -> bytes:
    if kdf.get("name") != "scrypt":
        raise KmsError(f"unsupported key derivation {kdf.get('name')!r}")
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if n < 2**14:
        raise KmsError("keyring scrypt cost is too low (N < 2^14)")
    salt = base64.b64decode(kdf["salt"])
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _split(derived: bytes, current: bool) -> _Secrets:
    if not current:
        return _Secrets(AESGCM(derived), None)

    def expand(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(derived)

    return _Secrets(AESGCM(expand(b"triplock-keyring/2 seal")), expand(b"triplock-keyring/2 mac"))


def _open(spec: KmsSpec) -> FileKms:
    return FileKms.open(spec.location, spec.secret("passphrase"))


def _create(spec: KmsSpec, options: CreateOptions) -> FileKms:
    return FileKms.create(
        spec.location,
        spec.secret("passphrase"),
        spec.key_id,
        options.force,
        options.scrypt_n or SCRYPT_N,
        options.destroy,
    )


BACKEND = Backend(
    kind=FileKms.kind, where="KEYRING", location_is_path=True, open=_open, create=_create
)
