"""No secret reaches any output. Every file under tests/fixtures/canary/ plants secrets whose
values contain CANARY; every format of `triplock audit` is grepped for that marker."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT, run_cli
from triplock import formats

CANARY_DIR = ROOT / "tests" / "fixtures" / "canary"
MARKER = "CANARY"


def test_canary_fixtures_exist() -> None:
    files = [p for p in CANARY_DIR.rglob("*") if p.is_file()]
    planted = [p for p in files if MARKER.encode() in p.read_bytes()]
    assert len(planted) >= 2, "the canary corpus must plant secrets"


@pytest.mark.parametrize("fmt", formats.names())
def test_no_canary_in_any_format(fmt: str, tmp_path: object) -> None:
    result = run_cli("audit", str(CANARY_DIR), "--format", fmt, "--fail-on", "critical")
    assert result.code in (0, 1), result.err
    assert result.out.strip(), f"{fmt} printed nothing"
    assert MARKER not in result.out, f"a secret leaked into --format {fmt}"
    assert MARKER not in result.err
    if fmt == "json":
        assert result.json()["findings"], "the canary corpus must produce findings"


def test_every_command_line_form_is_found_where_it_is() -> None:
    """The forms in shell/forms.sh are detected as literal secrets on their own lines, not
    only masked."""
    script = CANARY_DIR / "shell" / "forms.sh"
    planted = {
        n
        for n, line in enumerate(script.read_text().splitlines(), start=1)
        if MARKER in line and not line.startswith(("#", "echo"))
    }
    result = run_cli("audit", str(script), "--format", "json")
    found = {
        f["location"]["line"]
        for f in result.json()["findings"]
        if f["rule_id"] == "SHELL-004" and f["status"] == "fail"
    }
    assert planted and planted <= found, sorted(planted - found)


def test_every_input_format_is_read_and_bad_ones_are_errors() -> None:
    """The canary corpus covers each format: its good files are read, its bad ones are errors
    (the leak check above then covers both)."""
    result = run_cli("audit", str(CANARY_DIR / "formats"), "--format", "json")
    kinds = {i["kind"] for i in result.json()["inputs"]}
    assert {"helm-values", "kubernetes", "compose", "env-file", "kubeconfig", "shell"} <= kinds
    failing = {e["reason"].split(":", 1)[0] for e in result.json()["errors"]}
    assert {"kubeconfig", "env-file", "compose", "manifest in here-document at line 16"} <= failing
