"""The layers of the package, checked on its import graph (every import statement, including
the ones inside functions that load lazily): inputs and facts know nothing of rules, formats
know nothing of rules or waivers (they get the rule catalogue through the AuditResult), and the
library never reaches for the CLI."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import triplock

PACKAGE = Path(triplock.__file__).resolve().parent

# Layer (a module or package prefix) -> what it must never reach, directly or through others.
FORBIDDEN = {
    "triplock.sources": ("triplock.rules", "triplock.waivers", "triplock.formats"),
    "triplock.facts": (
        "triplock.rules",
        "triplock.waivers",
        "triplock.formats",
        "triplock.sources",
    ),
    "triplock.formats": ("triplock.rules", "triplock.waivers"),
    "triplock.model": ("triplock.rules", "triplock.waivers", "triplock.sources"),
}
CLI = ("triplock.cli", "triplock.commands", "triplock.__main__")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


@cache
def imports_of(module: str) -> frozenset[str]:
    """The triplock modules that `module` imports anywhere in its text."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        found.update(name for name in names if name in MODULES)
    return frozenset(found)


def reaches(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for imported in imports_of(todo.pop()):
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def _under(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_import_graph_is_read() -> None:
    assert "triplock.rules.registry" in reaches("triplock.audit")
    assert "triplock.inventory" in imports_of("triplock.sources.discovery")


def test_layers_never_reach_what_they_must_not_know() -> None:
    offenders = [
        f"{module} reaches {target}"
        for layer, forbidden in FORBIDDEN.items()
        for module in sorted(MODULES)
        if _under(module, layer)
        for target in sorted(reaches(module))
        if _under(target, forbidden)
    ]
    assert offenders == []


def test_the_library_never_imports_the_cli() -> None:
    offenders = sorted(
        module
        for module in MODULES
        if not _under(module, CLI) and any(_under(t, CLI) for t in imports_of(module))
    )
    assert offenders == []
