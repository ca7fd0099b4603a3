"""A site that grows: sections with list pages, pagination, breadcrumbs and prev/next, an Atom
feed, redirect pages for moved URLs, and dates, on `tests/growing-site` built with the built-in
theme through the command line (plus the build's refusals, on small projects of their own)."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from site_src.config import load_config
from site_src.dates import human_date, rfc3339
from site_src.errors import BuildFailed
from site_src.pipeline import build_site
from tests.support.requirements import REPO, require_chromium, require_java
from tests.support.site_build import PUBLISHED_BASE_URL, build_or_fail

GROWING = Path(__file__).resolve().parent / "growing-site"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = PUBLISHED_BASE_URL  # https://example.github.io/REPO/


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project, so its build cache is not left in the repository."""
    return Path(shutil.copytree(GROWING, tmp_path_factory.mktemp("growing") / "project"))


@pytest.fixture(scope="module")
def site(source: Path) -> Path:
    return build_or_fail(source.parent / "_site", BASE, source)


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def listed(html: str) -> list[str]:
    """The links of a section's list, in order."""
    entries = html.split('<ul class="entries">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="([^"]+)">', entries)


def nav_links(html: str, label: str) -> list[tuple[str, str]]:
    block = html.split(f'aria-label="{label}"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', block)


def test_a_section_lists_its_pages_newest_first_a_page_at_a_time(site: Path) -> None:
    assert listed(read(site, "news/index.html")) == ["/REPO/news/update-5/", "/REPO/news/update-4/"]
    assert listed(read(site, "news/page/2/index.html")) == [
        "/REPO/news/update-3/",
        "/REPO/news/update-2/",
    ]
    assert listed(read(site, "news/page/3/index.html")) == ["/REPO/news/update-1/"]
    assert not (site / "news/page/1").exists(), "page 1 is the section's own URL, never twice"
    assert not (site / "news/page/4").exists()


def test_list_pages_link_to_each_other(site: Path) -> None:
    second = read(site, "news/page/2/index.html")
    assert '<a href="/REPO/news/" rel="prev">' in second
    assert '<a href="/REPO/news/page/3/" rel="next">' in second
    assert '<a href="/REPO/news/page/2/" aria-current="page"' in second
    first, last = read(site, "news/index.html"), read(site, "news/page/3/index.html")
    assert 'rel="prev"' not in first.split('class="pagination"')[1]
    assert 'rel="next"' not in last.split('class="pagination"')[1]
    assert "<title>News (page 2 of 3) · Growing Conference</title>" in second
    assert '<link rel="canonical" href="https://example.github.io/REPO/news/page/2/">' in second


def test_nested_sections_breadcrumbs_and_prev_next(site: Path) -> None:
    news = read(site, "news/index.html")
    assert '<a href="/REPO/news/archive/">Archive</a>' in news, "the subsection is listed"
    assert "/REPO/news/archive/recap-2024/" not in listed(news), "its pages are its own"
    recap = read(site, "news/archive/recap-2024/index.html")
    assert [title for _, title in nav_links(recap, "Breadcrumb")] == [
        "Home",
        "News",
        "Archive",
        "Recap 2024",
    ]
    third = read(site, "news/update-3/index.html")
    assert nav_links(third, "Breadcrumb")[:2] == [("/REPO/", "Home"), ("/REPO/news/", "News")]
    links = nav_links(third, "More in News")
    assert [href for href, _ in links] == ["/REPO/news/update-4/", "/REPO/news/update-2/"]
    assert "Newer" in links[0][1] and "Older" in links[1][1]
    assert "Breadcrumb" not in read(site, "schedule/index.html"), "top-level pages have none"


def test_the_feed_is_atom_with_absolute_links_and_dates_from_front_matter(site: Path) -> None:
    root = ET.fromstring((site / "news/feed.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, f"an Atom feed needs <{tag}>"
    links = [link.get("href", "") for link in root.iter(f"{ATOM}link")]
    assert links and all(href.startswith(BASE) for href in links), links
    entries = root.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert ids == [f"{BASE}news/update-{n}/" for n in (5, 4, 3, 2, 1)] + [
        f"{BASE}news/archive/recap-2024/"
    ]
    third = entries[2]
    assert third.findtext(f"{ATOM}published") == "2025-09-23T00:00:00+08:00"  # timezone
    assert third.findtext(f"{ATOM}updated") == "2025-10-01T00:00:00+08:00"  # updated:
    assert root.findtext(f"{ATOM}updated") == "2025-10-01T00:00:00+08:00"
    content = third.findtext(f"{ATOM}content") or ""  # feed: full
    assert f'<a href="{BASE}schedule/">the schedule</a>' in content
    page = read(site, "news/update-3/index.html")
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/REPO/news/feed.xml"' in page
    assert "application/atom+xml" in read(site, "news/archive/index.html"), "announced below"


def test_a_rebuild_makes_the_same_feed(site: Path, source: Path, tmp_path: Path) -> None:
    again = build_or_fail(tmp_path / "_site", BASE, source)
    assert (again / "news/feed.xml").read_bytes() == (site / "news/feed.xml").read_bytes()


def test_an_alias_redirects_to_the_page_under_the_base_path(site: Path) -> None:
    for old in ("program/index.html", "agenda.html", "news/third/index.html"):
        html = read(site, old)
        target = "/REPO/news/update-3/" if old.startswith("news") else "/REPO/schedule/"
        assert f'<meta http-equiv="refresh" content="0; url={target}">' in html
        assert f'<link rel="canonical" href="https://example.github.io{target}">' in html
        assert f'<a href="{target}">' in html, "a visible link, for those who follow no refresh"
    sitemap = read(site, "sitemap.xml")
    assert "program" not in sitemap and "agenda" not in sitemap and "third" not in sitemap


def test_dates_are_shown_stamped_and_dated_from_one_source(site: Path) -> None:
    page = read(site, "news/update-3/index.html")
    assert '<time datetime="2025-09-23">September 23, 2025</time>' in page
    assert '<time datetime="2025-10-01">October 1, 2025</time>' in page
    assert '"datePublished": "2025-09-23"' in page and '"dateModified": "2025-10-01"' in page
    sitemap = read(site, "sitemap.xml")
    assert f"<loc>{BASE}news/update-3/</loc><lastmod>2025-10-01</lastmod>" in sitemap


def test_dates_in_other_languages_and_zones() -> None:
    day = datetime.date(2025, 9, 24)
    assert human_date(day, "zh-CN") == "2025年9月24日"
    assert human_date(day, "fr") == "24 septembre 2025"
    assert human_date(day, "xx-unknown") == "September 24, 2025"
    assert rfc3339(day) == "2025-09-24T00:00:00Z"
    assert rfc3339(day, "America/New_York") == "2025-09-24T00:00:00-04:00"


def test_the_output_is_the_same_in_every_time_zone_of_the_machine(tmp_path: Path) -> None:
    """Built in processes with far-apart TZ settings: a day later in one than in the other."""
    root = Path(shutil.copytree(GROWING, tmp_path / "project"))
    outputs = []
    for zone in ("Pacific/Kiritimati", "America/Adak"):
        out = tmp_path / zone.replace("/", "-")
        env = {**os.environ, "TZ": zone}
        command = [sys.executable, str(REPO / "build.py"), "--output", str(out), "--quiet"]
        command += ["--base-url", BASE]
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        outputs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outputs[0] == outputs[1]


def project(tmp_path: Path, files: dict[str, str], site_yml: str = "") -> Path:
    root = tmp_path / "project"
    files = {"content/index.md": "---\ntitle: Home\n---\n", **files}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "site.yml").write_text(site_yml or "base_url: https://example.org/\n")
    return root


def build_errors(root: Path) -> list[str]:
    with pytest.raises(BuildFailed) as failed:
        build_site(load_config(root, environ={}), write=False, processes=1)
    errors = [e for e in failed.value.errors if e.severity == "error"]
    return [f"{e.where}: {e.message} | {e.hint}" for e in errors]


def test_an_alias_that_takes_a_real_page_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "content/index.md": "---\ntitle: Home\n---\n",
            "content/old.md": "---\ntitle: Old\n---\n",
            "content/new.md": "---\ntitle: New\naliases: [/old/]\n---\n",
        },
    )
    (error,) = build_errors(root)
    assert error.startswith("content/new.md:3:1: the alias /old/ collides with the page")


def test_a_bad_alias_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {"content/index.md": "---\ntitle: Home\naliases: [old/../../etc]\n---\n"},
    )
    (error,) = build_errors(root)
    assert error.startswith("content/index.md:3:1: the alias 'old/../../etc' is not a site path")


def test_a_feed_without_an_absolute_base_url_is_refused_with_the_fix(tmp_path: Path) -> None:
    files = {"content/news/index.md": "---\ntitle: News\nfeed: true\n---\n"}
    (error,) = build_errors(project(tmp_path, files, "base_url: /REPO/\n"))
    assert error.startswith("content/news/index.md:3:1: a feed needs an absolute base_url")
    assert "https://USER.github.io/REPO/" in error


def test_a_feed_outside_a_section_is_an_error(tmp_path: Path) -> None:
    (error,) = build_errors(project(tmp_path, {"content/a.md": "---\ntitle: A\nfeed: true\n---\n"}))
    assert error.startswith("content/a.md:3:1: feed: works only in a section's index.md")


def test_a_list_page_that_takes_a_real_page_is_an_error(tmp_path: Path) -> None:
    files = {
        "content/news/index.md": "---\ntitle: News\npaginate: 1\n---\n",
        "content/news/a.md": "---\ntitle: A\n---\n",
        "content/news/page/2.md": "---\ntitle: Two\n---\n",
    }
    errors = build_errors(project(tmp_path, files))
    assert any("list page 2 of this section would be written to news/page/2/" in e for e in errors)


def test_an_unknown_timezone_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = project(
        tmp_path, {"content/index.md": "---\ntitle: A\n---\n"}, "timezone: Mars/Olympus\n"
    )
    with pytest.raises(BuildFailed) as failed:
        load_config(root, environ={})
    (error,) = failed.value.errors
    assert str(error.where) == "site.yml:1:1" and "time zone" in error.message


@pytest.mark.java
@pytest.mark.browser
def test_the_site_checks_pass_on_the_growing_site(tmp_path: Path) -> None:
    """The Nu Html Checker, axe in light and dark, 360 px and the crawl, on list pages, feeds
    and redirect pages built by the built-in theme."""
    require_java(), require_chromium()
    root = tmp_path / "growing-site"
    shutil.copytree(GROWING, root)
    checks = ["tests/test_html_validity.py", "tests/browser/test_accessibility.py"]
    checks += ["tests/test_reachability.py"]
    env = {**os.environ, "SITE_CHECK_ROOT": str(root)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *checks]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout, result.stdout[-800:]
