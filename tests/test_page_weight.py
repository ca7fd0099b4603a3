"""Pages stay light on a slow connection: small when compressed, images sized and lazy."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_src.pipeline import build_site

from .conftest import REPO, config_for

BUDGET = 30 * 1024  # HTML plus CSS, gzip-compressed, per page


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet":
            self.stylesheets.append(values.get("href") or "")
        elif tag == "img":
            self.images.append(values)
        elif tag == "script":
            self.scripts.append(values)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("weight") / "site"
    build_site(config_for(REPO, output_dir=str(out)))
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_html_and_css_fit_the_budget_on_every_page(site: Path) -> None:
    for page in pages(site):
        html = page.read_bytes()
        found = _Resources()
        found.feed(html.decode())
        css = b"".join((site / href.lstrip("/")).read_bytes() for href in found.stylesheets)
        size = len(gzip.compress(html)) + len(gzip.compress(css))
        assert size < BUDGET, f"{page.relative_to(site)}: {size} bytes compressed"


def test_images_are_sized_and_lazy_and_nothing_comes_from_other_hosts(site: Path) -> None:
    for page in pages(site):
        found = _Resources()
        found.feed(page.read_text())
        for image in found.images:
            assert image.get("width") and image.get("height"), f"{page}: unsized image"
            assert image.get("loading") == "lazy", f"{page}: image not lazy"
            assert image.get("alt") is not None
        for href in found.stylesheets:
            assert href.startswith("/"), f"{page}: stylesheet from another host: {href}"
        assert all(s.get("type") == "application/ld+json" for s in found.scripts), page
