"""Fixtures for tests in a real browser: the site built and served like GitHub Pages, and Chromium.

The site is built once per session for a project site (``/REPO/``), so every URL the browser loads
has the shape it will have once published. Chromium is Debian's, driven by Playwright (which never
downloads its own browser here); Playwright launches it with a fresh temporary profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.pages_server import serve_like_github_pages
from tests.support.requirements import (
    AXE_JS,
    CHROMIUM_ARGS,
    require_chromium,
    require_java,
    require_npm_file,
)
from tests.support.site_build import (
    BASE_PATH,
    PUBLISHED_BASE_URL,
    build_or_fail,
    project_with_showcase,
)


@dataclass(frozen=True)
class ServedSite:
    """A built site folder and the loopback URL it is served at (``http://127.0.0.1:P/REPO/``)."""

    site_dir: Path
    base_url: str


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site plus the Markdown showcase page, built once through the CLI for a GitHub
    project site."""
    folder = tmp_path_factory.mktemp("browser")
    project = project_with_showcase(folder / "project")
    return build_or_fail(folder / "_site", PUBLISHED_BASE_URL, project)


@pytest.fixture(scope="session")
def served_site(built_site: Path) -> Iterator[ServedSite]:
    with serve_like_github_pages(built_site, BASE_PATH) as base_url:
        yield ServedSite(built_site, base_url)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium; skipped locally without it, a failure under CI."""
    executable = require_chromium()
    browser = playwright_driver.chromium.launch(
        executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, from the pinned npm package."""
    return require_npm_file(AXE_JS).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def java() -> str:
    """The ``java`` executable (for tests that run a Java tool in a browser session)."""
    return require_java()
