"""Live editing in a real headless Chromium: a content edit reloads the open page, a CSS edit is
applied without a reload, quick saves end on the last one, and build errors show in the page."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from livereload.handlers import LiveReloadHandler

from ..serving import Running, dev_server, wait_until

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: required, not skipped)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never Playwright's own download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright not found: pip install playwright")
    if not CHROMIUM.is_file():
        _missing("Chromium not found: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live(sample: Path) -> Iterator[Running]:
    with dev_server(sample) as running:
        yield running


@pytest.fixture
def page(browser: object, live: Running) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(f"http://127.0.0.1:{live.port}{live.base_path}features/")
    # livereload.js is connected once the server counts it among the pages to reload.
    wait_until(lambda: len(LiveReloadHandler.waiters) > 0)
    tab.evaluate("window.marker = 1")
    yield tab
    context.close()


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_content_edit_reloads_the_open_page(page: object, sample: Path) -> None:
    edit(sample / "content" / "features.md", "## Tables", "## Tables, edited live")
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.body.innerText.includes('Tables, edited live')"
    )
    assert page.evaluate("window.marker") is None, "the page was not reloaded"  # type: ignore[attr-defined]


def test_css_edit_applies_without_a_reload(page: object, sample: Path) -> None:
    colour = "() => getComputedStyle(document.querySelector('h2')).color"
    before = page.evaluate(colour)  # type: ignore[attr-defined]
    assert before != "rgb(1, 2, 3)"
    css = sample / "static" / "css" / "site.css"
    css.write_text(css.read_text() + "\nh2 { color: rgb(1, 2, 3); }\n")
    page.wait_for_function(f"() => ({colour})() === 'rgb(1, 2, 3)'")  # type: ignore[attr-defined]
    assert page.evaluate("window.marker") == 1, "the page reloaded instead of swapping the CSS"  # type: ignore[attr-defined]
    # And a second CSS edit (the stylesheet's name has changed twice now) still applies.
    css.write_text(css.read_text().replace("rgb(1, 2, 3)", "rgb(4, 5, 6)"))
    page.wait_for_function(f"() => ({colour})() === 'rgb(4, 5, 6)'")  # type: ignore[attr-defined]
    assert page.evaluate("window.marker") == 1  # type: ignore[attr-defined]


def test_three_saves_300_ms_apart_end_on_the_third(page: object, sample: Path) -> None:
    source = sample / "content" / "features.md"
    text = source.read_text(encoding="utf-8")
    for number in (1, 2, 3):
        source.write_text(text.replace("## Tables", f"## Save number {number}"), encoding="utf-8")
        time.sleep(0.3)
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.body.innerText.includes('Save number 3')"
    )
    time.sleep(1.0)  # nothing later may take it back to an older save
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Save number 3" in body and "Save number 2" not in body


def test_build_error_overlay_appears_and_goes(page: object, sample: Path) -> None:
    source = sample / "content" / "features.md"
    good = source.read_text(encoding="utf-8")
    source.write_text(good.replace("title: Features", "title: [oops"), encoding="utf-8")
    overlay = page.get_by_role("alertdialog")  # type: ignore[attr-defined]
    overlay.wait_for(state="visible")
    text = overlay.inner_text()
    assert "content/features.md:" in text and "not valid YAML" in text
    assert page.evaluate("document.activeElement.id") == "site-src-errors"  # type: ignore[attr-defined]
    source.write_text(good, encoding="utf-8")
    overlay.wait_for(state="detached")
    assert "Tables" in page.inner_text("main")  # type: ignore[attr-defined]
