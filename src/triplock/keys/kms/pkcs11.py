"""A KMS backed by an HSM through PKCS#11 (tested against SoftHSM2).

Each primary key version is an AES-256 secret key on the token, labelled KEY_ID.vN, created
sensitive and non-extractable, usable to encrypt and decrypt only: it never leaves the HSM, and
cannot wrap, sign or derive. Data keys are wrapped with CKM_AES_GCM inside the token, under a
fresh random nonce and associated data naming the key and version. Only `create` (`keys kms
init`) makes a key: opening a key id the token does not hold is an error, so a typo in
--key-id leaves the token unchanged."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from triplock.keys.kms.interface import (
    Backend,
    CreateOptions,
    KmsError,
    KmsSpec,
    WrappedKey,
    check_keyring,
    new_nonce,
    wrap_aad,
)

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_LABEL = re.compile(r"^(?P<key>.+)\.v(?P<version>[0-9]+)$")


class Pkcs11Kms:
    kind: ClassVar[str] = "pkcs11"

    def __init__(
        self, session: Any, key_id: str, keys: dict[int, Any], token: str, serial: str
    ) -> None:
        self._session = session
        self._key_id = key_id
        self._keys = keys
        self._token = token
        self._serial = serial  # the token's serial number: its keyring id

    @classmethod
    def open(
        cls, token_label: str, pin: bytes, module: str | None = None, key_id: str = "triplock"
    ) -> Pkcs11Kms:
        """Log in to the token and find the versions of `key_id`; there must be one."""
        kms = cls._login(token_label, pin, module, key_id)
        if not kms._keys:
            kms.close()
            raise KmsError(
                f"PKCS#11 token {token_label!r} holds no key {key_id!r} "
                "(check --key-id; `triplock keys kms init` creates it)"
            )
        return kms

    @classmethod
    def create(
        cls, token_label: str, pin: bytes, module: str | None = None, key_id: str = "triplock"
    ) -> Pkcs11Kms:
        """Version 1 of a new key; a key id the token already holds is refused."""
        kms = cls._login(token_label, pin, module, key_id)
        if kms._keys:
            kms.close()
            raise KmsError(
                f"PKCS#11 token {token_label!r} already holds key {key_id!r} "
                f"(versions {', '.join(map(str, sorted(kms._keys)))}): use rotate"
            )
        kms.rotate()
        return kms

    @classmethod
    def _login(cls, token_label: str, pin: bytes, module: str | None, key_id: str) -> Pkcs11Kms:
        import pkcs11

        try:
            lib = pkcs11.lib(module or DEFAULT_MODULE)
            token = lib.get_token(token_label=token_label)
            try:
                session = token.open(user_pin=pin.decode(), rw=True)
            except pkcs11.UserAlreadyLoggedIn:
                # PKCS#11 logins are per process and token: this process already gave the PIN.
                session = token.open(rw=True)
        except pkcs11.NoSuchToken:
            raise KmsError(f"no PKCS#11 token labelled {token_label!r}") from None
        except pkcs11.PinIncorrect:
            raise KmsError(f"wrong PIN for PKCS#11 token {token_label!r}") from None
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as e:
            raise KmsError(f"cannot open PKCS#11 token {token_label!r}: {e!r}") from None
        keys: dict[int, Any] = {}
        for obj in session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.SECRET_KEY}):
            match = _LABEL.match(str(obj[pkcs11.Attribute.LABEL]))
            if match and match["key"] == key_id:
                keys[int(match["version"])] = obj
        serial = token.serial.decode(errors="replace").strip()
        return cls(session, key_id, keys, token_label, f"pkcs11-{serial}")

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def keyring_id(self) -> str:
        return self._serial

    @property
    def primary_version(self) -> int:
        return max(self._keys)

    @property
    def versions(self) -> list[int]:
        return sorted(self._keys)

    def rotate(self) -> int:
        import pkcs11

        number = max(self._keys, default=0) + 1
        self._keys[number] = self._session.generate_key(
            pkcs11.KeyType.AES,
            256,
            label=f"{self._key_id}.v{number}",
            id=f"{self._key_id}.v{number}".encode(),
            store=True,
            capabilities=pkcs11.MechanismFlag.ENCRYPT | pkcs11.MechanismFlag.DECRYPT,
            template={
                pkcs11.Attribute.SENSITIVE: True,
                pkcs11.Attribute.EXTRACTABLE: False,
                pkcs11.Attribute.ENCRYPT: True,
                pkcs11.Attribute.DECRYPT: True,
                pkcs11.Attribute.WRAP: False,
                pkcs11.Attribute.UNWRAP: False,
                pkcs11.Attribute.SIGN: False,
                pkcs11.Attribute.VERIFY: False,
                pkcs11.Attribute.DERIVE: False,
            },
        )
        return number

    def retire(self, version: int) -> None:
        if version == self.primary_version:
            raise KmsError(f"version {version} is the primary: rotate first, then retire it")
        key = self._keys.pop(version, None)
        if key is None:
            raise KmsError(f"the token has no version {version} of {self._key_id!r}")
        key.destroy()

    def wrap(self, data_key: bytes, context: bytes = b"") -> WrappedKey:
        import pkcs11

        version = self.primary_version
        nonce = new_nonce()
        aad = wrap_aad(self.kind, self._key_id, version, context)
        body = self._keys[version].encrypt(
            data_key,
            mechanism=pkcs11.Mechanism.AES_GCM,
            mechanism_param=pkcs11.GCMParams(nonce, aad, 128),
        )
        return WrappedKey(self.kind, self._key_id, version, nonce + bytes(body), self._serial)

    def unwrap(self, wrapped: WrappedKey, context: bytes = b"") -> bytes:
        import pkcs11

        if wrapped.kms != self.kind or wrapped.key_id != self._key_id:
            raise KmsError(
                f"the data key was wrapped by {wrapped.kms} key {wrapped.key_id!r}, "
                f"not by this token's key {self._key_id!r}"
            )
        check_keyring(wrapped, self._serial, f"token {self._token!r}")
        key = self._keys.get(wrapped.version)
        if key is None:
            raise KmsError(f"the token has no version {wrapped.version} of {self._key_id!r}")
        aad = wrap_aad(self.kind, self._key_id, wrapped.version, context)
        nonce, body = wrapped.ciphertext[:12], wrapped.ciphertext[12:]
        try:
            plain = key.decrypt(
                body,
                mechanism=pkcs11.Mechanism.AES_GCM,
                mechanism_param=pkcs11.GCMParams(nonce, aad, 128),
            )
        except pkcs11.PKCS11Error:
            reason = "the wrapped data key failed authentication in the HSM (wrong key or altered)"
            raise KmsError(reason) from None
        return bytes(plain)

    def close(self) -> None:
        self._session.close()


def _open(spec: KmsSpec) -> Pkcs11Kms:
    return Pkcs11Kms.open(spec.location, spec.secret("PIN"), spec.module, spec.key_id)


def _create(spec: KmsSpec, options: CreateOptions) -> Pkcs11Kms:
    return Pkcs11Kms.create(spec.location, spec.secret("PIN"), spec.module, spec.key_id)


BACKEND = Backend(
    kind=Pkcs11Kms.kind, where="TOKEN_LABEL", location_is_path=False, open=_open, create=_create
)
