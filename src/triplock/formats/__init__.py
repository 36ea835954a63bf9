"""Output formats: one module per format, each exposing `render(result) -> str`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from triplock.model import AuditResult

Renderer = Callable[[AuditResult], str]


def names() -> list[str]:
    return sorted(i.name for i in pkgutil.iter_modules(__path__) if not i.name.startswith("_"))


def renderer(name: str) -> Renderer:
    if name not in names():
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(names())})")
    module = importlib.import_module(f"{__name__}.{name}")
    render: Renderer = module.render
    return render
