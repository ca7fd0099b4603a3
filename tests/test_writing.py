"""Writing content as people already do: optional front matter, the first `# heading` as the
title, a page's own keys and language, README.md as a folder's page, and links without their
trailing slash. Built with the built-in theme, as a folder of Markdown would be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_src.content import first_heading, page_url, parse_page
from site_src.errors import BuildFailed, SiteError
from site_src.links import check_links_by_page, scan_html
from site_src.markdown import rewrite_link
from site_src.model import Link, Source, UrlMap
from site_src.pipeline import build_site

from .conftest import config_for, write_files


def build(root: Path, base_url: str = "/") -> tuple[Path, list[SiteError]]:
    out = root / "_site"
    result = build_site(config_for(root, output_dir=str(out), base_url=base_url), processes=1)
    warnings = [w for w in result.warnings if "base_url" not in w.message]
    return out, warnings


def h1s(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)


# --- Titles and front matter ---------------------------------------------------------------


def test_without_front_matter_the_first_level_one_heading_is_the_title() -> None:
    page, warnings = parse_page(
        Source("content/a.md", "Intro.\n\n# The *first* `one`\n"), "content"
    )
    assert (page.title, page.meta.title_in_content, page.body_line) == ("The first one", True, 1)
    assert page.markdown.startswith("Intro.") and warnings == []


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("# Plain\n", "Plain"),
        ("Setext title\n============\n", "Setext title"),
        ("# With an id {#custom}\n", "With an id"),
        ("# Closed #\n", "Closed"),
        ("```\n# not a heading\n```\n# After the code\n", "After the code"),
        ("## Only a section\n\n#hashtag\n", None),
        ("    # indented code\n", None),
    ],
)
def test_the_first_heading_is_found_outside_code(body: str, title: str | None) -> None:
    assert first_heading(body) == title


def test_a_front_matter_title_wins_and_an_equal_first_heading_is_not_shown_twice() -> None:
    page, _ = parse_page(Source("content/a.md", "---\ntitle: Mine\n---\n# Other\n"), "content")
    assert (page.title, page.meta.title_in_content) == ("Mine", False)
    same, _ = parse_page(Source("content/a.md", "---\ntitle: Same\n---\n# Same\n"), "content")
    assert (same.title, same.meta.title_in_content) == ("Same", True)
    empty, _ = parse_page(Source("content/a.md", "---\nlang: de\n---\n# Hallo\n"), "content")
    assert (empty.title, empty.meta.lang, empty.body_line) == ("Hallo", "de", 4)


def test_a_page_with_neither_front_matter_nor_heading_is_a_located_error() -> None:
    with pytest.raises(SiteError) as caught:
        parse_page(Source("content/a.md", "Just text.\n"), "content")
    assert str(caught.value).startswith("content/a.md:1:1: error: the page has no title")
    assert caught.value.hint is not None and "# My page" in caught.value.hint


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "pt-BR", "de-CH-1996"])
def test_a_page_can_set_its_language(lang: str) -> None:
    page, _ = parse_page(Source("content/a.md", f"---\ntitle: T\nlang: {lang}\n---\n"), "content")
    assert page.meta.lang == lang


def test_a_language_that_is_not_a_tag_is_a_located_error() -> None:
    with pytest.raises(SiteError) as caught:
        parse_page(Source("content/a.md", "---\ntitle: T\nlang: Chinese!\n---\n"), "content")
    assert str(caught.value) == "content/a.md:3:1: error: lang 'Chinese!' is not a language tag"


# --- README.md ----------------------------------------------------------------------------


def test_a_readme_is_its_folders_page() -> None:
    assert page_url("content/docs/README.md", "content", None) == "/docs/"
    assert page_url("content/readme.md", "content", None) == "/"
    assert page_url("content/docs/README-old.md", "content", None) == "/docs/README-old/"


def test_a_folder_with_both_index_and_readme_is_an_error(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "p",
        {"content/index.md": "# Home\n", "content/README.md": "# Read me\n"},
    )
    with pytest.raises(BuildFailed) as caught:
        build(root)
    [error] = caught.value.errors
    assert "two pages have the URL /" in error.message
    assert error.where is not None and error.where.path.startswith("content/")


# --- Links without a trailing slash --------------------------------------------------------

URLS = UrlMap(
    {
        "content/index.md": "/",
        "content/keynote.md": "/keynote/",
        "content/asi-stages.md": "/asi-stages/",
        "content/guide/index.md": "/guide/",
        "content/guide/setup.md": "/guide/setup/",
    }
)


@pytest.mark.parametrize(
    ("href", "page", "expected"),
    [
        ("/keynote", "/", "/R/keynote/"),
        ("/asi-stages#stage-2", "/", "/R/asi-stages/#stage-2"),
        ("/R/keynote", "/", "/R/keynote/"),
        ("/guide/setup?x=1#a", "/", "/R/guide/setup/?x=1#a"),
        ("keynote", "/", "keynote/"),
        ("setup#step-2", "/guide/", "setup/#step-2"),
        ("../keynote", "/guide/", "../keynote/"),
        ("/keynote/", "/", "/R/keynote/"),
        ("/notes.txt", "/", "/R/notes.txt"),
        ("/CNAME", "/", "/R/CNAME"),
        ("setup", "/keynote/", "setup"),  # /keynote/setup is no page: the checker says so
    ],
)
def test_markdown_links_to_a_page_without_its_slash_get_the_pages_url(
    href: str, page: str, expected: str
) -> None:
    source = next(name for name, url in URLS.items() if url == page)
    assert rewrite_link(href, source, URLS, "/R/", page) == expected


def test_link_messages_quote_what_was_written_with_the_line_and_the_nearest_id(
    tmp_path: Path,
) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content/index.md").write_text("# Home\n\nSee [costs](keynote.md#capx).\n")
    ids = " ".join(f'<h2 id="section-{n}">S</h2>' for n in range(500))
    scans = {
        "index.html": scan_html(
            '<a href="/R/keynote/#capx">costs</a>',
            "/",
            "content/index.md",
            (Link("/R/keynote/#capx", 3, 5, "keynote.md#capx"),),
        ),
        "keynote/index.html": scan_html(
            f'{ids}<h2 id="capex">C</h2>', "/keynote/", "content/keynote.md"
        ),
    }
    files = frozenset(scans)
    found = check_links_by_page(scans, files, "/R/", {}, None, tmp_path)
    assert found["keynote/index.html"] == []
    [error] = found["index.html"]
    assert str(error) == (
        "content/index.md:3:5: error: broken link: keynote.md#capx "
        "(no element with id 'capx' on /keynote/)"
    )
    assert error.excerpt is not None and "> 3 | See [costs](keynote.md#capx)." in error.excerpt
    assert "    |     ^" in error.excerpt
    assert error.hint is not None and error.hint.startswith("Did you mean keynote.md#capex?")


# --- Whole sites, with the built-in theme --------------------------------------------------


def test_a_title_from_the_first_heading_is_shown_once_and_lang_follows_the_page(
    tmp_path: Path,
) -> None:
    root = write_files(
        tmp_path / "p",
        {
            "site.yml": "title: Site\nlanguage: en\n",
            "content/index.md": "# Welcome {#top-title}\n\nBack to [the top](#top-title).\n",
            "content/zh.md": "---\ntitle: 云栖大会\nlang: zh-Hans\ndate: 2025-09-24\n---\nText.\n",
            "content/same.md": "---\ntitle: Same\n---\n# Same\n\nText.\n",
        },
    )
    out, warnings = build(root)
    assert warnings == []
    home = (out / "index.html").read_text()
    assert len(h1s(home)) == 1 and 'id="top-title"' in home and '<html lang="en">' in home
    assert len(h1s((out / "same/index.html").read_text())) == 1
    chinese = (out / "zh/index.html").read_text()
    assert '<html lang="zh-Hans">' in chinese and h1s(chinese) == ["云栖大会"]
    # The date in the page's language (Babel's CLDR data), no English month names.
    assert ">2025年9月24日</time>" in chinese and "September" not in chinese


def test_page_meta_gives_templates_every_front_matter_key(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "p",
        {
            "templates/page.html": (
                "{% extends 'theme/page.html' %}{% block before_content %}"
                "<p class=section>{{ page.meta.section }}</p>"
                "{% if page.meta.missing is defined %}no{% endif %}{% endblock %}"
            ),
            "content/index.md": "---\ntitle: Home\nsection: talks\n---\nText.\n",
        },
    )
    out, warnings = build(root)
    assert warnings == []
    assert "<p class=section>talks</p>" in (out / "index.html").read_text()


def test_a_template_link_without_its_slash_is_a_warning_that_names_the_fix(
    tmp_path: Path,
) -> None:
    root = write_files(
        tmp_path / "p",
        {
            "templates/page.html": (
                "{% extends 'theme/page.html' %}{% block before_content %}"
                "<a href=\"{{ url('/about') }}\">About</a>{% endblock %}"
            ),
            "content/index.md": "# Home\n\n<a href='/R/about'>raw</a>\n",
            "content/about.md": "# About\n",
        },
    )
    _out, warnings = build(root, "https://example.org/R/")
    # One per page using the template; the report shows each place once.
    assert sorted({(str(w.where), w.severity) for w in warnings}) == [
        ("content/index.md:3:10", "warning"),
        ("templates/page.html:1:75", "warning"),
    ]
    assert all("no trailing slash" in w.message for w in warnings)
    assert {w.hint for w in warnings} == {
        "Write /R/about/ (with the trailing slash), as the page's URL is.",
        "Write /about/ (with the trailing slash), as the page's URL is.",
    }


GITHUB_DOCS = {
    "site.yml": "title: Docs\n",
    "content/README.md": """\
        # Project docs

        Start with [installing](guide/install.md), read the [commands](/commands/npm-install)
        or the [FAQ](/faq#why-not-x), and see [the guide](guide/) or [its README](guide/README.md).

        ## Contents
        """,
    "content/faq.md": """\
        ---
        title: FAQ
        nav_order: 3
        layout: default
        ---
        ## Why not X?

        Because. Back to [the contents](README.md#contents) or [the top](/#project-docs).

        ###### A tiny heading

        See [below](#a-tiny-heading).
        """,
    "content/guide/README.md": """\
        Guide
        =====

        1. [Install](install.md#requirements)
        2. [Commands](../commands/npm-install.md#synopsis)
        """,
    "content/guide/install.md": """\
        # Installing

        ### Requirements

        Then go [back](/guide) or to [setup](/guide/install#requirements).
        And a [broken one](/guide/instal).
        """,
    "content/commands/npm-install.md": """\
        ---
        title: npm install
        section: commands
        ---
        # npm install

        ## Synopsis

        ##### Configuration {#config}

        Link to [config](#config) and [the FAQ](../faq.md#why-not-x).
        """,
}


def test_a_folder_of_markdown_written_for_github_builds_reporting_only_real_problems(
    tmp_path: Path,
) -> None:
    root = write_files(tmp_path / "p", GITHUB_DOCS)
    with pytest.raises(BuildFailed) as caught:
        build(root, "https://example.org/REPO/")
    problems = [(str(e.where), e.severity, e.message, e.hint) for e in caught.value.errors]
    assert [p[:2] for p in problems if "base_url" not in p[2]] == [
        ("content/guide/install.md:6:20", "error")
    ]
    [broken] = [p for p in problems if p[0].startswith("content/")]
    assert broken[2] == "broken link: /guide/instal (no page or file at /guide/instal)"
    assert broken[3] is not None and broken[3].startswith("Did you mean /guide/install/?")
    # Fixed, it builds: every other link resolves, written as the page's real URL.
    fixed = GITHUB_DOCS["content/guide/install.md"].replace("/guide/instal)", "/guide/install)")
    write_files(root, {"content/guide/install.md": fixed})
    out, warnings = build(root, "https://example.org/REPO/")
    assert warnings == []
    home = (out / "index.html").read_text()
    for href in (
        "/REPO/guide/install/",
        "/REPO/commands/npm-install/",
        "/REPO/faq/#why-not-x",
        "/REPO/guide/",
    ):
        assert f'href="{href}"' in home
    assert h1s(home)[0].startswith("Project docs")
    assert "<title>Guide · Docs</title>" in (out / "guide/index.html").read_text()
    install = (out / "guide/install/index.html").read_text()
    assert (
        'href="/REPO/guide/"' in install and 'href="/REPO/guide/install/#requirements"' in install
    )
