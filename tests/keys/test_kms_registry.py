"""KMS backends register themselves: each module of triplock.keys.kms declares BACKEND, the
package finds it, and neither the interface nor the options import a backend or the CLI."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from triplock.keys.kms import backend, backends
from triplock.keys.kms.file import FileKms
from triplock.keys.kms.interface import KmsOptionError
from triplock.keys.kms.options import add_arguments, spec_from_args
from triplock.keys.kms.pkcs11 import Pkcs11Kms

KMS = ROOT / "src" / "triplock" / "keys" / "kms"


def test_every_backend_module_is_found_by_its_kind() -> None:
    assert backends() == {"file": backend("file"), "pkcs11": backend("pkcs11")}
    assert backend(FileKms.kind).location_is_path
    assert not backend(Pkcs11Kms.kind).location_is_path
    with pytest.raises(
        KmsOptionError, match="unknown KMS kind 'vault' \\(choose file or pkcs11\\)"
    ):
        backend("vault")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_interface_imports_no_backend_and_the_library_not_the_cli() -> None:
    assert not {m for m in _imports(KMS / "interface.py") if m.startswith("triplock.")}
    assert not {m for m in _imports(KMS / "__init__.py") if m.startswith("triplock.keys.kms.")} - {
        "triplock.keys.kms.interface"
    }
    for module in (ROOT / "src" / "triplock" / "keys").rglob("*.py"):
        assert not {m for m in _imports(module) if m.startswith("triplock.cli")}, module


def test_the_interface_loads_without_any_backend() -> None:
    code = (
        "import sys, triplock.keys.kms.interface\n"
        "assert not [m for m in sys.modules if m in "
        "('triplock.keys.kms.file', 'triplock.keys.kms.pkcs11', 'triplock.cli')], sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(ROOT / "src")})


def test_options_name_the_backends_and_raise_a_library_error(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert "file:KEYRING or pkcs11:TOKEN_LABEL" in parser.format_help()
    args = parser.parse_args(["--kms", f"file:{tmp_path.name}/ring.json"])
    spec = spec_from_args(args)
    assert spec.kind == "file" and Path(spec.location).is_absolute()
    token = spec_from_args(parser.parse_args(["--kms", "pkcs11:my-token"]))
    assert token.location == "my-token"
    with pytest.raises(KmsOptionError, match="unknown KMS kind 'vault'"):
        spec_from_args(parser.parse_args(["--kms", "vault:x"]))
