"""Key management: one interface (interface.py), one module per backend (file, pkcs11).

A backend module declares `BACKEND = Backend(...)` and is found here by its presence in this
package, as sources are: adding a backend touches no other module."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from triplock.keys.kms.interface import Backend, CreateOptions, Kms, KmsOptionError, KmsSpec

_NOT_BACKENDS = {"interface", "options"}


@cache
def backends() -> dict[str, Backend]:
    """Every backend, by kind."""
    found: dict[str, Backend] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _NOT_BACKENDS:
            continue
        backend = getattr(importlib.import_module(f"{__name__}.{info.name}"), "BACKEND", None)
        if isinstance(backend, Backend):
            found[backend.kind] = backend
    return dict(sorted(found.items()))


def backend(kind: str) -> Backend:
    found = backends().get(kind)
    if found is None:
        raise KmsOptionError(f"unknown KMS kind {kind!r} (choose {' or '.join(backends())})")
    return found


def open_kms(spec: KmsSpec) -> Kms:
    """Open an existing keyring or key; never creates one (that is create_kms)."""
    return backend(spec.kind).open(spec)


def create_kms(spec: KmsSpec, options: CreateOptions) -> Kms:
    return backend(spec.kind).create(spec, options)
