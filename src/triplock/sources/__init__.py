"""Sources: one module per input kind, each exposing SOURCE (see interface.py)."""

from __future__ import annotations

import importlib
import pkgutil

from triplock.sources.interface import Source

_SKIP = {"interface", "discovery"}


def all_sources() -> list[Source]:
    """Every source module's SOURCE, in claim order."""
    found: list[Source] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _SKIP:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        source = getattr(module, "SOURCE", None)
        if source is not None:
            found.append(source)
    return sorted(found, key=lambda s: (s.priority, s.kind))
