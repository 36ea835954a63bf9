"""Output formats: one module per format, each exposing `render(result) -> str`; a format
whose reports can be large also exposes `chunks(result)`, the same text in UTF-8 pieces."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from types import ModuleType

from triplock.model import AuditResult

Renderer = Callable[[AuditResult], str]
Chunker = Callable[[AuditResult], Iterable[bytes]]


def names() -> list[str]:
    return sorted(i.name for i in pkgutil.iter_modules(__path__) if not i.name.startswith("_"))


def renderer(name: str) -> Renderer:
    render: Renderer = _module(name).render
    return render


def chunker(name: str) -> Chunker:
    """The format's UTF-8 pieces: `chunks` where it streams, else its whole text as one."""
    module = _module(name)
    chunks: Chunker = getattr(module, "chunks", None) or (
        lambda result: (module.render(result).encode(),)
    )
    return chunks


def _module(name: str) -> ModuleType:
    if name not in names():
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(names())})")
    return importlib.import_module(f"{__name__}.{name}")
