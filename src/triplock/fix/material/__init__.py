"""material: what fixes need beyond edits (secrets, keystores, encryption configurations), one
provider per kind of material (each module exposing PROVIDER, see interface.py)."""

from __future__ import annotations

import importlib
import pkgutil

from triplock.fix.material.interface import Provider

_SKIP = {"interface"}


def all_providers() -> list[Provider]:
    providers: list[Provider] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name in _SKIP:
            continue
        provider: Provider | None = getattr(
            importlib.import_module(f"{__name__}.{info.name}"), "PROVIDER", None
        )
        if provider is not None:
            providers.append(provider)
    return providers
