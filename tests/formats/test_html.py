"""--format html: one self-contained page. Static checks here; the page is then loaded in
headless Chromium (Debian's /usr/bin/chromium driven by Playwright, no browser download): no
console error, no request leaves the file, the filters show the right rows."""

from __future__ import annotations

import base64
import hashlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, need_command, need_module, run_cli
from tests.helpers.sample import sample_result
from triplock.formats.html import render

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def test_self_contained_and_locked_down() -> None:
    page = render(sample_result())
    assert '<ul id="unused-waivers">\n<li>.triplock.yaml:9: waiver of TEST-009' in page
    assert "<link" not in page
    assert not re.search(r"<(script|img|iframe)[^>]+src=", page)
    assert "@import" not in page and "url(" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and "default-src 'none'" in policy[1]
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.DOTALL)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body[1].encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy[1], f"the inline {tag} must be allowed by hash"


def test_input_text_is_escaped_and_secrets_absent() -> None:
    page = render(sample_result())
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "hunter2" not in page and "CANARY" not in page
    assert "spark.authenticate.secret=****" in page


@pytest.fixture(scope="module")  # closed before other modules: sync Playwright runs an event loop
def browser_context() -> Iterator[Any]:
    chromium = need_command("chromium")
    need_module("playwright")
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="triplock-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield context
        context.close()


def shown(page: Any) -> int:
    count: int = page.locator("#findings-table tbody tr:visible").count()
    return count


def test_report_in_chromium(browser_context: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render(sample_result()), encoding="utf-8")
    page = browser_context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")

    assert shown(page) == 4  # everything but the pass
    assert page.locator("#shown-count").inner_text() == "4 of 5 findings shown"
    page.select_option("#f-status", "pass")
    assert shown(page) == 1
    page.select_option("#f-status", "all")
    page.select_option("#f-severity", label="critical")
    assert shown(page) == 1
    assert "TEST-002" in page.locator("#findings-table tbody tr:visible").inner_text()
    page.select_option("#f-severity", label="info")
    page.select_option("#f-control", "rest.spark-local")
    assert shown(page) == 2
    page.select_option("#f-control", "")
    page.select_option("#f-file", "deploy/spark-defaults.conf")
    assert shown(page) == 2
    page.select_option("#f-file", "")
    page.click('#checklist a[data-filter-control="keys.management"]')
    assert page.locator("#f-control").input_value() == "keys.management"
    assert shown(page) == 1
    page.locator("#findings-table tbody tr:visible summary").first.click()
    assert "Literal secrets leak" in page.locator("#findings-table tbody tr:visible").inner_text()

    assert problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    page.close()


def test_deployment_report_screenshot(browser_context: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = run_cli(
        "audit",
        str(ROOT / "tests" / "fixtures" / "reports"),
        "--format",
        "html",
        "-o",
        str(report),
    )
    assert result.code in (0, 1), result.err
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(report.as_uri())
    assert page.locator("#checklist h3").count() == 7
    assert shown(page) >= 1
    waived = page.locator('#findings-table tr[data-status="waived"]')
    assert waived.count() == 1
    assert "lab cluster without tenant data" in waived.inner_text()
    assert "expired" in page.locator("#expired-waivers").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    assert problems == []
    page.close()


@pytest.mark.parametrize("width", [1024, 1400, 1920])
def test_layout_at_common_widths(browser_context: Any, tmp_path: Path, width: int) -> None:
    """Rule ids and headers stay on one line, and no column is squeezed to a few characters
    (once, `overflow-wrap: anywhere` let the table wrap "SPARK-004" letter by letter)."""
    report = tmp_path / "report.html"
    run_cli(
        "audit",
        str(ROOT / "examples" / "spark-on-k8s" / "insecure"),
        "--format",
        "html",
        "-o",
        str(report),
    )
    page = browser_context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(report.as_uri())
    line = page.evaluate("() => parseFloat(getComputedStyle(document.body).lineHeight)")
    heights = page.evaluate(
        """() => Array.from(document.querySelectorAll(
             '#findings-table td:nth-child(3) strong, th'))
           .filter(e => e.offsetParent !== null)
           .map(e => [e.innerText, e.getBoundingClientRect().height])"""
    )
    assert heights
    tall = [(text, h) for text, h in heights if h > 2 * line]
    assert not tall, tall
    columns = page.evaluate(
        """() => Array.from(document.querySelectorAll('#findings-table thead th'))
           .map(th => [th.innerText, th.getBoundingClientRect().width])"""
    )
    narrow = [(text, w) for text, w in columns if w < 70]
    assert not narrow, narrow
    widths = dict(columns)
    assert widths["finding"] >= 250 and widths["why and fix"] >= 180
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#findings").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"report-{width}.png"))
    assert (ARTIFACTS / f"report-{width}.png").stat().st_size > 10_000
    page.close()
