"""docs/fix.md is generated from the registry and a fix run on the bundled insecure example."""

from __future__ import annotations

from tests.helpers import ROOT
from triplock.fix.catalog import fix_markdown

EXAMPLE = "examples/spark-on-k8s/insecure"


def test_docs_fix_md_is_current() -> None:
    import os

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        generated = fix_markdown(EXAMPLE)
    finally:
        os.chdir(here)
    current = (ROOT / "docs" / "fix.md").read_text(encoding="utf-8")
    assert current == generated, (
        f"docs/fix.md is stale: run `python -m triplock.fix.catalog {EXAMPLE} > docs/fix.md`"
    )
    assert "| SPARK-010 |" in generated and "applied (set)" in generated
    assert "8f2b1d7e9c3a4f6b" not in generated  # the example's literal secret stays masked
