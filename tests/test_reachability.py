"""Everything in the published site is reachable, and everything it links to exists.

The site is built for a GitHub project site (base path ``/REPO/``) and served the way GitHub Pages
serves it, then crawled from its home page like a reader would. A link that forgets the base path,
a renamed asset, a stale ``#fragment`` or a file nothing links to all fail here, in the same shape
they would fail once published.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.crawl import Crawler, CrawlResult, fetch
from tests.support.pages_server import PagesServer
from tests.support.site_build import (
    BASE_PATH,
    PUBLISHED_BASE_URL,
    UNLINKED_FILES,
    build_or_fail,
    page_paths,
    redirect_paths,
)

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MISSING_PATH = "no-such-page/deeper/"  # nested, so a relative asset URL in 404.html would break


@dataclass
class Crawled:
    site_dir: Path
    local_base: str
    result: CrawlResult
    served_files: set[str]
    robots: str
    sitemap: bytes
    sitemap_statuses: dict[str, int]
    search_script: int | None  # the status of pagefind/pagefind.js, if the site has search


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """Build once for /REPO/, serve it, crawl it from the home page and from a missing URL."""
    site_dir = build_or_fail(tmp_path_factory.mktemp("reach") / "_site", PUBLISHED_BASE_URL)
    with PagesServer(site_dir, BASE_PATH) as server:
        crawler = Crawler(server.base_url, PUBLISHED_BASE_URL)
        # Redirect pages at old URLs are linked from nowhere: old links elsewhere reach them.
        seeds = {server.base_url: 200, server.base_url + MISSING_PATH: 404}
        seeds |= {server.base_url + path: 200 for path in redirect_paths(site_dir)}
        result = crawler.crawl(seeds)
        served = server.served_files()
        robots = fetch(server.base_url + "robots.txt")
        sitemap = fetch(server.base_url + "sitemap.xml")
        locs = sitemap_locations(sitemap.body) if sitemap.status == 200 else []
        statuses = {loc: fetch(crawler.localize(loc)).status for loc in locs}
        indexed = (site_dir / "pagefind").is_dir()
        script = fetch(server.base_url + "pagefind/pagefind.js").status if indexed else None
    assert robots.status == 200, f"robots.txt: HTTP {robots.status}"
    assert sitemap.status == 200, f"sitemap.xml: HTTP {sitemap.status}"
    return Crawled(
        site_dir,
        server.base_url,
        result,
        served,
        robots.body.decode("utf-8"),
        sitemap.body,
        statuses,
        script,
    )


def sitemap_locations(xml: bytes) -> list[str]:
    """The ``<loc>`` URLs of a sitemap, in order."""
    root = ET.fromstring(xml)
    assert root.tag == f"{SITEMAP_NS}urlset", (
        f"sitemap root is {root.tag}, not a sitemaps.org urlset"
    )
    return [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP_NS}loc")]


def site_files(site_dir: Path) -> set[str]:
    return {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()}


def test_every_internal_link_asset_and_fragment_resolves(crawled: Crawled) -> None:
    problems = crawled.result.problems
    assert not problems, f"{len(problems)} broken reference(s):\n" + "\n".join(problems)


def test_the_crawl_checked_links_of_every_kind_it_found(crawled: Crawled) -> None:
    """Guard against a crawl that passes because it read nothing: pages, links and CSS were seen."""
    kinds = {ref.kind for ref in crawled.result.targets}
    assert {"link", "stylesheet"} <= kinds, f"internal reference kinds seen: {sorted(kinds)}"
    pages = [r for r in crawled.result.resources.values() if r.is_html and r.status == 200]
    assert len(pages) >= len(page_paths(crawled.site_dir))


def test_every_file_of_the_site_is_reached_by_the_crawl(crawled: Crawled) -> None:
    # The search index (`search: true`) is fetched by the search box's script, not by links.
    searched = {name for name in site_files(crawled.site_dir) if name.startswith("pagefind/")}
    unreached = site_files(crawled.site_dir) - crawled.served_files - UNLINKED_FILES - searched
    assert not unreached, (
        "files in the output that no page, stylesheet or link reaches (dead weight, or a missing "
        "link):\n" + "\n".join(sorted(unreached))
    )


def test_the_404_page_is_served_for_a_missing_url(crawled: Crawled) -> None:
    missing = crawled.result.resources[crawled.local_base + MISSING_PATH]
    assert missing.status == 404
    assert missing.is_html, f"404 answered with {missing.content_type}"
    assert (crawled.site_dir / "404.html").read_bytes() == missing.body


def test_robots_txt_points_to_the_sitemap(crawled: Crawled) -> None:
    expected = PUBLISHED_BASE_URL + "sitemap.xml"
    sitemaps = [
        line.split(":", 1)[1].strip()
        for line in crawled.robots.splitlines()
        if line.lower().startswith("sitemap:")
    ]
    assert sitemaps == [expected], f"robots.txt Sitemap lines: {sitemaps}; want [{expected!r}]"


def test_the_sitemap_lists_every_page_and_nothing_else(crawled: Crawled) -> None:
    listed = sitemap_locations(crawled.sitemap)
    expected = {PUBLISHED_BASE_URL + path for path in page_paths(crawled.site_dir)}
    assert len(listed) == len(set(listed)), f"duplicate sitemap entries: {listed}"
    assert set(listed) == expected, (
        f"missing from the sitemap: {sorted(expected - set(listed))}; "
        f"listed but not pages: {sorted(set(listed) - expected)}"
    )


def test_every_sitemap_url_is_served(crawled: Crawled) -> None:
    broken = {loc: status for loc, status in crawled.sitemap_statuses.items() if status != 200}
    assert crawled.sitemap_statuses, "the sitemap lists no URL"
    assert not broken, f"sitemap URLs that do not answer 200 when served: {broken}"


def test_the_search_box_finds_its_script_where_it_looks(crawled: Crawled) -> None:
    """With search on, the box loads `<base>pagefind/pagefind.js`, which is served; without
    it, no page has a box."""
    home = (crawled.site_dir / "index.html").read_text(encoding="utf-8")
    if not (crawled.site_dir / "pagefind").is_dir():
        assert 'id="site-search"' not in home
        return
    assert crawled.search_script == 200
    assert f'data-bundle="{BASE_PATH}pagefind/"' in home
