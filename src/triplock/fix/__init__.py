"""fix: apply the findings' Fix objects to the deployment's own files, one editor per file
format (each module exposing EDITOR, see interface.py)."""

from __future__ import annotations

import importlib
import pkgutil

from triplock.fix.interface import Editor

_SKIP = {"interface", "planner", "apply", "catalog", "select", "session", "write", "material"}


def editor_for(kind: str) -> Editor | None:
    """The editor for inputs of `kind`, or None when no editor handles that kind yet."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _SKIP:
            continue
        editor: Editor | None = getattr(
            importlib.import_module(f"{__name__}.{info.name}"), "EDITOR", None
        )
        if editor is not None and kind in editor.kinds:
            return editor
    return None
