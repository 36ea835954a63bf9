"""The data key as a Tink keyset, and back: how triplock and Tink share raw key material.

A triplock data key (32 random bytes) is the `key_value` of a Tink AesGcmHkdfStreamingKey with
params {ciphertext_segment_size: 1048576, derived_key_size: 32, hkdf_hash_type: SHA256} and
output prefix RAW (streaming AEAD ciphertexts carry no key-id prefix). That is exactly Tink's
AES256_GCM_HKDF_1MB template. The keyset is Tink's cleartext JSON format: it holds the key in
the clear, so it is written to 0600 files only. The few protobuf fields are encoded here, so
that triplock does not depend on Tink or protobuf at run time."""

from __future__ import annotations

import base64
import json
import secrets

from triplock.keys.streaming import KEY_BYTES, SEGMENT_BYTES

TYPE_URL = "type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey"
_SHA256 = 3  # google.crypto.tink.HashType.SHA256


class KeysetError(Exception):
    """A keyset that is not a usable AES-GCM-HKDF streaming keyset."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes | int) -> bytes:
    tag = _varint(number << 3 | wire)
    if isinstance(payload, int):
        return tag + _varint(payload)
    return tag + _varint(len(payload)) + payload


def _fields(data: bytes) -> dict[int, bytes | int]:
    """Decode one protobuf message's varint and length-delimited fields (last one wins)."""
    out: dict[int, bytes | int] = {}
    i = 0

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            if i >= len(data) or shift > 63:
                raise KeysetError("malformed key data")
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while i < len(data):
        tag = varint()
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            out[number] = varint()
        elif wire == 2:
            length = varint()
            if i + length > len(data):
                raise KeysetError("malformed key data")
            out[number] = data[i : i + length]
            i += length
        else:
            raise KeysetError(f"unexpected protobuf wire type {wire}")
    return out


def key_data(key: bytes, segment_bytes: int = SEGMENT_BYTES) -> bytes:
    """The serialized AesGcmHkdfStreamingKey proto."""
    params = _field(1, 0, segment_bytes) + _field(2, 0, KEY_BYTES) + _field(3, 0, _SHA256)
    # version 0 is proto3's default, so (like protobuf itself) it is not encoded.
    return _field(2, 2, params) + _field(3, 2, key)


def to_json(key: bytes, key_id: int | None = None) -> str:
    """A Tink cleartext JSON keyset holding `key` as its one, primary, streaming key."""
    if len(key) != KEY_BYTES:
        raise KeysetError("the data key must be 32 bytes")
    kid = key_id if key_id is not None else secrets.randbelow(2**31 - 1) + 1
    keyset = {
        "primaryKeyId": kid,
        "key": [
            {
                "keyData": {
                    "typeUrl": TYPE_URL,
                    "value": base64.b64encode(key_data(key)).decode(),
                    "keyMaterialType": "SYMMETRIC",
                },
                "status": "ENABLED",
                "keyId": kid,
                "outputPrefixType": "RAW",
            }
        ],
    }
    return json.dumps(keyset, indent=2) + "\n"


def from_json(text: str | bytes) -> list[bytes]:
    """The enabled AES-GCM-HKDF 1 MiB keys of a Tink JSON keyset, primary first."""
    try:
        doc = json.loads(text)
        primary = doc.get("primaryKeyId")
        entries = doc["key"]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise KeysetError(f"not a Tink JSON keyset: {e}") from None
    keys: list[tuple[bool, bytes]] = []
    for entry in entries:
        data = entry.get("keyData", {})
        if entry.get("status") != "ENABLED" or data.get("typeUrl") != TYPE_URL:
            continue
        if entry.get("outputPrefixType", "RAW") != "RAW":
            raise KeysetError("streaming keys must have output prefix RAW")
        proto = _fields(base64.b64decode(data.get("value", "")))
        params = proto.get(2)
        value = proto.get(3)
        if not isinstance(params, bytes) or not isinstance(value, bytes):
            raise KeysetError("malformed AesGcmHkdfStreamingKey")
        p = _fields(params)
        if (p.get(1), p.get(2), p.get(3)) != (SEGMENT_BYTES, KEY_BYTES, _SHA256):
            raise KeysetError(
                "only AES256_GCM_HKDF_1MB keys are supported (1 MiB segments, 32-byte "
                "derived key, HKDF-SHA256)"
            )
        if len(value) != KEY_BYTES:
            raise KeysetError("the key value must be 32 bytes")
        keys.append((entry.get("keyId") == primary, value))
    if not keys:
        raise KeysetError("the keyset has no enabled AES256_GCM_HKDF_1MB key")
    return [k for _, k in sorted(keys, key=lambda t: not t[0])]
