"""Live editing in a real headless Chromium: a content edit reloads the open page, a CSS edit is
applied without a reload, quick saves end on the last one, and build errors show in the page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from livereload.handlers import LiveReloadHandler
from playwright.sync_api import Browser, Page

from ..serving import Running, dev_server, wait_until

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000


@pytest.fixture
def live(sample: Path) -> Iterator[Running]:
    with dev_server(sample) as running:
        yield running


@pytest.fixture
def page(chromium: Browser, live: Running) -> Iterator[Page]:
    """A tab on the dev server's features page, with livereload.js connected."""
    context = chromium.new_context()
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


def test_content_edit_reloads_the_open_page(page: Page, sample: Path) -> None:
    edit(sample / "content" / "features.md", "## Tables", "## Tables, edited live")
    page.wait_for_function("() => document.body.innerText.includes('Tables, edited live')")
    assert page.evaluate("window.marker") is None, "the page was not reloaded"


def test_css_edit_applies_without_a_reload(page: Page, sample: Path) -> None:
    colour = "() => getComputedStyle(document.querySelector('h2')).color"
    before = page.evaluate(colour)
    assert before != "rgb(1, 2, 3)"
    css = sample / "static" / "css" / "site.css"
    css.write_text(css.read_text() + "\nh2 { color: rgb(1, 2, 3); }\n")
    page.wait_for_function(f"() => ({colour})() === 'rgb(1, 2, 3)'")
    assert page.evaluate("window.marker") == 1, "the page reloaded instead of swapping the CSS"
    # And a second CSS edit (the stylesheet's name has changed twice now) still applies.
    css.write_text(css.read_text().replace("rgb(1, 2, 3)", "rgb(4, 5, 6)"))
    page.wait_for_function(f"() => ({colour})() === 'rgb(4, 5, 6)'")
    assert page.evaluate("window.marker") == 1


def test_three_saves_300_ms_apart_end_on_the_third(page: Page, sample: Path) -> None:
    source = sample / "content" / "features.md"
    text = source.read_text(encoding="utf-8")
    for number in (1, 2, 3):
        source.write_text(text.replace("## Tables", f"## Save number {number}"), encoding="utf-8")
        time.sleep(0.3)
    page.wait_for_function("() => document.body.innerText.includes('Save number 3')")
    time.sleep(1.0)  # nothing later may take it back to an older save
    body = page.inner_text("body")
    assert "Save number 3" in body and "Save number 2" not in body


def test_build_error_overlay_appears_and_goes(page: Page, sample: Path) -> None:
    source = sample / "content" / "features.md"
    good = source.read_text(encoding="utf-8")
    source.write_text(good.replace("title: Features", "title: [oops"), encoding="utf-8")
    overlay = page.get_by_role("alertdialog")
    overlay.wait_for(state="visible")
    text = overlay.inner_text()
    assert "content/features.md:" in text and "not valid YAML" in text
    assert page.evaluate("document.activeElement.id") == "site-src-errors"
    source.write_text(good, encoding="utf-8")
    overlay.wait_for(state="detached")
    assert "Tables" in page.inner_text("main")
