"""The dev server's broken-links panel in a real headless Chromium: a save that breaks a link
shows the new page with the panel over its lower part, Dismiss removes it, a fix takes it away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from livereload.handlers import LiveReloadHandler
from playwright.sync_api import Browser, Page

from ..serving import Running, dev_server, wait_until

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000


@pytest.fixture
def page(chromium: Browser, sample: Path) -> Iterator[tuple[Page, Running]]:
    with dev_server(sample) as live:
        context = chromium.new_context(viewport={"width": 1000, "height": 800})
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(f"http://127.0.0.1:{live.port}{live.base_path}features/")
        wait_until(lambda: len(LiveReloadHandler.waiters) > 0)
        yield tab, live
        context.close()


def test_a_broken_link_shows_the_new_page_and_a_dismissible_panel(
    page: tuple[Page, Running], sample: Path
) -> None:
    tab, _live = page
    source = sample / "content" / "features.md"
    good = source.read_text(encoding="utf-8")
    source.write_text(good + "\nSee [the gone page](/gone/) now.\n", encoding="utf-8")
    panel = tab.get_by_role("dialog", name="1 broken link")
    panel.wait_for(state="visible")
    assert "content/features.md:" in panel.inner_text()
    assert "broken link: /gone/" in panel.inner_text()
    assert tab.get_by_role("alertdialog").count() == 0, "no error overlay: the site built"
    assert "the gone page" in tab.inner_text("main"), "the new page is the one shown"
    box = panel.bounding_box()
    assert box is not None and box["y"] > 0, "the top of the page stays visible"
    panel.get_by_role("button", name="Dismiss").click()
    panel.wait_for(state="detached")
    source.write_text(good + "\nSee [the features](features.md) now.\n", encoding="utf-8")
    tab.wait_for_function("() => document.body.innerText.includes('See the features now')")
    assert tab.get_by_role("dialog").count() == 0
