"""What the keys tests (tests/keys, tests/commands) share: the passphrase and scrypt cost of
test keyrings, and the shapes of the session fixtures of tests/keys/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The lowest scrypt cost the keyring accepts: tests open keyrings often.
FAST_SCRYPT = str(2**14)
PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True)
class Pki:
    root: Path  # the output directory of every `keys` command of the `pki` fixture
    ca: Path
    certs: Path


@dataclass(frozen=True)
class Token:
    label: str
    pin_file: Path
    module: str


@dataclass(frozen=True)
class SparkCluster:
    session: Any
    ui_port: int
