"""Random secrets (a Spark authentication secret, API tokens, passwords) written to 0600 files."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from triplock.keys.files import write_secret

Encoding = Literal["hex", "base64", "urlsafe"]
DEFAULT_BYTES = 32


def new_secret(num_bytes: int = DEFAULT_BYTES, encoding: Encoding = "hex") -> str:
    """A secret from the OS CSPRNG. 32 bytes (256 bits) by default; Spark accepts any string."""
    if num_bytes < 16:
        raise ValueError("a secret needs at least 16 random bytes (128 bits)")
    raw = secrets.token_bytes(num_bytes)
    if encoding == "hex":
        return raw.hex()
    import base64

    if encoding == "base64":
        return base64.b64encode(raw).decode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def write_new_secret(
    path: Path, num_bytes: int = DEFAULT_BYTES, encoding: Encoding = "hex", force: bool = False
) -> str:
    """Write a fresh secret without a trailing newline (Spark's secret.file reads it verbatim)."""
    value = new_secret(num_bytes, encoding)
    write_secret(Path(path), value.encode(), force=force)
    return value
