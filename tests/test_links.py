"""The link checker on rendered HTML: pages, assets, fragments, base path, and where errors point."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from site_src.errors import BuildFailed
from site_src.links import UNUSUAL_PATH, check_links_by_page, joined_path, scan_html
from site_src.model import Link
from site_src.pipeline import build_site

from .conftest import MakeProject, config_for

FILES = frozenset({"index.html", "keynote/index.html", "css/site.abc.css"})


def check(html: str, templates: dict[str, str] | None = None, links: tuple[Link, ...] = ()):
    scans = {
        "index.html": scan_html(html, "/", "content/index.md", links),
        "keynote/index.html": scan_html('<h2 id="s2">S</h2>', "/keynote/", "content/keynote.md"),
    }
    found = check_links_by_page(scans, FILES, "/R/", templates or {})
    return [problem for problems in found.values() for problem in problems]


def test_good_links_pass() -> None:
    html = (
        '<a href="/R/keynote/#s2">k</a><a href="#me">me</a><p id="me"></p>'
        '<link rel="stylesheet" href="/R/css/site.abc.css"><a href="https://x.org/">x</a>'
        '<a href="mailto:a@b.c">m</a><a href="keynote/">relative</a>'
    )
    assert check(html) == []


def test_missing_page_and_missing_fragment_are_errors_a_missing_slash_a_warning() -> None:
    html = '<a href="/R/nope/">a</a><a href="/R/keynote/#s9">b</a><a href="/R/keynote">c</a>'
    problems = {e.message: e for e in check(html)}
    assert len(problems) == 3
    assert [e.severity for e in problems.values() if "no page or file at /nope/" in e.message]
    assert [e.severity for e in problems.values() if "no element with id 's9'" in e.message]
    [slash] = [e for e in problems.values() if "has no trailing slash" in e.message]
    assert slash.severity == "warning" and slash.hint is not None
    assert "/R/keynote/" in slash.hint
    assert [e.severity for e in problems.values()].count("error") == 2


def test_links_that_ignore_the_base_path_are_errors() -> None:
    errors = check('<a href="/keynote/">k</a>')
    assert len(errors) == 1 and "outside the site's base path /R/" in errors[0].message


def test_errors_point_at_the_markdown_line_when_the_link_came_from_markdown() -> None:
    errors = check('<a href="/R/gone/">g</a>', links=(Link("/R/gone/", 12, 5),))
    assert str(errors[0].where) == "content/index.md:12:5"


def test_errors_point_at_the_template_line_otherwise() -> None:
    template = "<nav>\n  <a href=\"{{ url('/gone/') }}\">x</a>\n</nav>\n"
    errors = check('<a href="/R/gone/">g</a>', {"templates/base.html": template})
    assert str(errors[0].where) == "templates/base.html:2:20"
    assert errors[0].excerpt is not None and "url('/gone/')" in errors[0].excerpt


def test_duplicate_ids_are_errors() -> None:
    errors = check('<h2 id="a">1</h2><h2 id="a">2</h2>')
    assert len(errors) == 1 and "the id 'a' is used twice" in errors[0].message


def test_srcset_and_images_are_checked() -> None:
    errors = check('<img src="/R/css/site.abc.css" srcset="/R/a.png 1x, /R/b.png 2x" alt="">')
    assert sorted(e.message.split()[2] for e in errors) == ["/R/a.png", "/R/b.png"]


def test_a_missing_image_gets_advice_about_files_not_pages(make_project: MakeProject) -> None:
    root = make_project(
        {"content/index.md": "---\ntitle: H\n---\n![A photo](photo.png) and [x](other.md)\n"}
    )
    with pytest.raises(BuildFailed) as failed:
        build_site(config_for(root), processes=1)
    hints = {str(e.message).split(":")[0]: e.hint or "" for e in failed.value.errors}
    image = hints["missing image"]
    assert "../static/img/" in image and ".md source" not in image


PATH_PIECES = [
    "/", "a", "page", ".", "..", "%", "%20", "?", "=", ":", "\\", " ", "\t", "\n", "é", "-", "_",
    "~", ";", "&", "@", "!", "'", "(", "[", "]", "+", "*", ",", "$", "index.html", "\x7f", "\xa0",
]  # fmt: skip


@given(st.lists(st.sampled_from(PATH_PIECES), max_size=12).map(lambda p: "/" + "".join(p)))
@settings(max_examples=800, deadline=None)
def test_a_plain_root_relative_path_is_its_own_target(path: str) -> None:
    """The checker skips URL parsing for such links: that must be what parsing would give."""
    assume(not UNUSUAL_PATH.search(path))
    for base_path, page_url in [("/", "/"), ("/", "/a/b/"), ("/repo/", "/x/")]:
        assert joined_path(path, page_url, base_path) == path
