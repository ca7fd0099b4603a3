"""The crawler finds each kind of breakage the reachability test relies on it to find.

A reachability test that passes on the real site proves little unless the same crawl fails on a site
with a broken link, a stale fragment, a forgotten base path or a missing asset; these build such a
site by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.crawl import Crawler, CrawlResult, css_urls, parse_html, srcset_urls
from tests.support.pages_server import PagesServer

PUBLISHED = "https://example.github.io/REPO/"

GOOD_PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/REPO/css/site.css">
<link rel="canonical" href="https://example.github.io/REPO/">
<meta property="og:image" content="https://example.github.io/REPO/img/share.png">
</head><body>
<a href="/REPO/keynote/#agi">AGI</a> <a href="#top">top</a> <a href="#main">main</a>
<a href="https://example.org/elsewhere">out</a> <a href="mailto:a@example.org">mail</a>
<script type="application/ld+json">{"@type": "Event", "url": "https://example.github.io/REPO/keynote/",
 "image": ["https://example.github.io/REPO/img/share.png"], "sameAs": "https://schema.org/x"}</script>
<main id="main"><img src="img/a.png" srcset="img/a.png 1x, img/a2.png 2x" alt=""></main>
</body></html>"""


def write_site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def good_site(root: Path) -> dict[str, str]:
    return {
        "index.html": GOOD_PAGE,
        "keynote/index.html": '<!doctype html><h2 id="agi">AGI</h2><a href="../">home</a>',
        "css/site.css": "/* url(commented-out.png) */ body{background:url('../img/bg.png')}",
        "img/a.png": "png",
        "img/a2.png": "png",
        "img/bg.png": "png",
        "img/share.png": "png",
        "404.html": '<!doctype html><link rel="stylesheet" href="/REPO/css/site.css">',
    }


def crawl(site: Path) -> tuple[CrawlResult, set[str]]:
    with PagesServer(site, "/REPO/") as server:
        crawler = Crawler(server.base_url, PUBLISHED)
        result = crawler.crawl({server.base_url: 200, server.base_url + "x/y/": 404})
        return result, server.served_files()


def test_a_sound_site_has_no_problems_and_every_file_is_reached(tmp_path: Path) -> None:
    files = good_site(tmp_path)
    result, served = crawl(write_site(tmp_path / "_site", files))
    assert result.problems == []
    assert served == set(files) - {"404.html"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"keynote/index.html": "<!doctype html><h2 id='other'>x</h2>"},
            "no element with id='agi'",
        ),
        ({"index.html": GOOD_PAGE.replace("/REPO/keynote/", "/keynote/")}, "HTTP 404"),
        ({"index.html": GOOD_PAGE.replace('href="#main"', 'href="#nowhere"')}, "'nowhere'"),
        (
            {"css/site.css": "body{background:url(../img/gone.png)}"},
            "'../img/gone.png' -> HTTP 404",
        ),
        ({"index.html": GOOD_PAGE.replace("a2.png 2x", "a3.png 2x")}, "'img/a3.png' -> HTTP 404"),
        ({"index.html": GOOD_PAGE.replace("/REPO/keynote/#", "/REPO/keynote#")}, "redirects (301)"),
        ({"index.html": GOOD_PAGE.replace("share.png", "lost.png")}, "meta"),
        ({"404.html": '<link rel="stylesheet" href="css/site.css">'}, "x/y/css/site.css"),
        ({"css/site.css": "@import 'more.css';"}, "'more.css' -> HTTP 404"),
        ({"index.html": GOOD_PAGE.replace('REPO/keynote/",', 'REPO/keynot/",')}, "json-ld"),
        ({"index.html": GOOD_PAGE.replace('"sameAs"', "sameAs")}, "invalid JSON-LD"),
    ],
)
def test_each_kind_of_breakage_is_reported(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    site = write_site(tmp_path / "_site", {**good_site(tmp_path), **change})
    result, _ = crawl(site)
    assert any(expected in problem for problem in result.problems), result.problems


def test_an_unlinked_file_is_not_reached(tmp_path: Path) -> None:
    site = write_site(tmp_path / "_site", {**good_site(tmp_path), "orphan/index.html": "x"})
    _, served = crawl(site)
    assert "orphan/index.html" not in served


def test_the_seed_status_is_checked(tmp_path: Path) -> None:
    files = good_site(tmp_path)
    del files["404.html"]
    site = write_site(tmp_path / "_site", {**files, "x/y/index.html": "<!doctype html>"})
    result, _ = crawl(site)
    assert any("status 200, expected 404" in problem for problem in result.problems)


def test_parse_html_collects_ids_names_and_base() -> None:
    parsed = parse_html('<base href="/b/"><a name="old"></a><p id="new"><img srcset="a.png 2x">')
    assert parsed.ids == {"old", "new"}
    assert parsed.base_href == "/b/"
    assert (1, "image", "a.png") in parsed.references


def test_json_ld_urls_are_references() -> None:
    parsed = parse_html(
        '<script type="application/ld+json">{"a": ["https://x.test/1", {"b": "https://x.test/2"}],'
        ' "c": "not a url"}</script>'
    )
    assert [raw for _, kind, raw in parsed.references if kind == "json-ld"] == [
        "https://x.test/1",
        "https://x.test/2",
    ]


def test_srcset_and_css_url_parsing() -> None:
    assert srcset_urls("a.png 1x,b.png 2x, c.png  300w") == ["a.png", "b.png", "c.png"]
    css = '/* url(no.png) */ a{b:url( "x.png" )} c{d:url(y.svg#i)} @import "z.css";'
    assert css_urls(css) == ["x.png", "y.svg#i", "z.css"]


def test_same_page_fragments_on_the_404_page_are_checked_against_that_page(tmp_path: Path) -> None:
    files = good_site(tmp_path)
    files["404.html"] = (
        '<!doctype html><a href="#main">skip</a><a href="#gone">x</a><main id="main">'
    )
    result, _ = crawl(write_site(tmp_path / "site", files))
    assert [p for p in result.problems if "#" in p] == [
        p for p in result.problems if "'#gone'" in p and "no element with id='gone'" in p
    ]
    assert any("'#gone'" in p for p in result.problems)
    assert not any("'#main'" in p for p in result.problems)
