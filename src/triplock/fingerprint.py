"""Finding fingerprints that survive lines moving: SARIF's partialFingerprints and baselines.

A fingerprint hashes the rule id, the path (relative to the directory triplock runs in), the
object inside the file and the whitespace-normalised message; findings with the same identity
get an occurrence number in report order.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from triplock.model import Finding

SCHEME = "triplock/v1"


def fingerprints(findings: list[Finding], root: Path) -> list[str]:
    """One fingerprint per finding, stable across runs and line moves."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for f in findings:
        where = f.location.path or f.location.url or ""
        where = relative(where, root) or where.replace(os.sep, "/")
        identity = "\0".join((f.rule.id, where, f.location.object or "", _normal(f.message)))
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        out.append(f"{digest}:{seen[digest]}")
    return out


_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)  # a message recurs in the findings of one verdict
def _normal(message: str) -> str:
    return _SPACES.sub(" ", message).strip().casefold()


def relative(path: str, root: Path) -> str | None:
    """`path` relative to `root` when it lies inside it."""
    return _relative(path, str(root))


@functools.lru_cache(maxsize=4096)  # keyed by text: comparing Paths costs more than the work
def _relative(path: str, root: str) -> str | None:
    if path.startswith("<"):  # <stdin>
        return None
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return None
