"""The built-in theme's search box in headless Chromium, on `tests/growing-site` (`search: true`)
served like GitHub Pages, under a project site's `/REPO/` and at a domain's root `/`: typing finds
pages, the count is announced, the keyboard alone does everything, it is accessible in light and
dark and fits a phone, and without JavaScript there is no box."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.pages_server import serve_like_github_pages
from tests.support.site_build import build_or_fail

pytestmark = pytest.mark.browser

GROWING = Path(__file__).resolve().parents[1] / "growing-site"
TIMEOUT_MS = 30_000
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Where the site is published, and the base path it is served under.
SITES = {"/REPO/": "https://example.github.io/REPO/", "/": "https://conference.example/"}


@pytest.fixture(scope="module", params=list(SITES))
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The growing site built for its base path and served there; the loopback URL of its home."""
    base_path: str = request.param
    folder = tmp_path_factory.mktemp("search-box")
    root = Path(shutil.copytree(GROWING, folder / "project"))
    site = build_or_fail(folder / "_site", SITES[base_path], root)
    with serve_like_github_pages(site, base_path) as served:
        yield served


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def results(page: Page) -> list[str]:
    return page.locator("#site-search-results a").evaluate_all(
        "(links) => links.map((a) => a.href)"
    )


def test_typing_a_word_finds_its_page_and_announces_the_count(page: Page, base_url: str) -> None:
    page.goto(base_url + "news/")
    box = page.get_by_role("searchbox", name="Search this site")
    expect(box).to_be_visible()
    box.fill("zeppelins")
    status = page.locator("#site-search-status")
    expect(status).to_have_text("1 result for “zeppelins”")
    expect(status).to_have_attribute("aria-live", "polite")
    assert results(page) == [base_url + "schedule/"]
    expect(page.locator("#site-search-results mark")).to_contain_text("zeppelins")
    box.fill("word3")
    expect(status).to_have_text("1 result for “word3”")
    assert results(page) == [base_url + "news/update-3/"]
    box.fill("schedule")
    expect(status).to_have_text("7 results for “schedule”")  # it, the home page, 5 updates


def test_a_page_left_out_of_search_is_not_found(page: Page, base_url: str) -> None:
    page.goto(base_url)
    box = page.get_by_role("searchbox", name="Search this site")
    box.fill("marmalade")
    expect(page.locator("#site-search-status")).to_have_text("No results for “marmalade”")
    assert results(page) == []


def test_the_keyboard_alone_searches_opens_a_result_and_clears(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search this site")
    expect(box).to_be_focused()
    page.keyboard.type("lighthouses")
    expect(page.locator("#site-search-status")).to_have_text("1 result for “lighthouses”")
    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(page.locator("#site-search-status")).to_have_text("")
    assert results(page) == []
    page.keyboard.type("zeppelins")
    expect(page.locator("#site-search-status")).to_have_text("1 result for “zeppelins”")
    page.keyboard.press("Enter")
    expect(page.locator("#site-search-results a").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "schedule/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule")


def test_the_results_close_when_focus_leaves_the_box(page: Page, base_url: str) -> None:
    page.goto(base_url)
    box = page.get_by_role("searchbox", name="Search this site")
    box.fill("zeppelins")
    panel = page.locator(".site-search__panel")
    expect(panel).to_be_visible()
    page.locator("#main").focus()
    expect(panel).to_be_hidden()
    box.focus()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("1 result for “zeppelins”")


def test_the_box_loads_pagefind_only_when_used(page: Page, base_url: str) -> None:
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    assert not [url for url in loaded if "/pagefind/" in url]
    page.get_by_role("searchbox", name="Search this site").focus()
    page.wait_for_load_state("networkidle")
    assert base_url + "pagefind/pagefind.js" in loaded


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_open_results_are_accessible_and_fit_a_phone(
    chromium: Browser, base_url: str, axe_source: str, scheme: str
) -> None:
    context = chromium.new_context(
        bypass_csp=True, color_scheme=scheme, viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(base_url + "news/update-2/")
        page.get_by_role("searchbox", name="Search this site").fill("word")
        expect(page.locator("#site-search-status")).to_contain_text("results for “word”")
        panel = page.locator(".site-search__panel")
        expect(panel).to_be_visible()
        page.add_script_tag(content=axe_source)
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        found = page.evaluate("(options) => axe.run(document, options)", options)
        assert found["violations"] == [], [v["id"] for v in found["violations"]]
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360, f"the page is {wide} px wide"
        box = panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    finally:
        context.close()


def test_without_javascript_there_is_no_search_box(chromium: Browser, base_url: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url)
        expect(page.locator("#site-search")).to_be_hidden()
        expect(page.get_by_role("searchbox")).to_have_count(0)
    finally:
        context.close()
