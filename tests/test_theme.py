"""The built-in theme: a folder with only content/ builds a finished site, and a project replaces
or extends one piece of the theme without copying the rest."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from site_src.errors import BuildFailed
from site_src.pipeline import build_site
from site_src.theme import STATIC_DIR, TEMPLATES_DIR

from .conftest import REPO, config_for, write_files

BUDGET = 30 * 1024  # HTML plus CSS, gzip-compressed, per page: the flagship's bar

LONG_PAGE = """\
    ---
    title: A long guide
    description: Every section of the guide.
    order: 2
    ---
    ## Install

    Wide things scroll inside their own box:

    ```python
    print("a line of code much longer than any phone is wide, and then some more words")
    ```

    ## Configure

    | one | two | three | four | five | six | seven | eight |
    |-----|-----|-------|------|------|-----|-------|-------|
    | 1   | 2   | 3     | 4    | 5    | 6   | 7     | 8     |

    ### Details

    ## Deploy

    Back to [the start](index.md).
    """

BARE = {
    "content/index.md": "---\ntitle: Home\n---\nSee [the guide](guide.md#install).\n",
    "content/guide.md": LONG_PAGE,
    "content/nested/deep.md": "---\ntitle: Deep\norder: 3\n---\nDeep text.\n",
}


def build(root: Path) -> Path:
    out = root / "_site"
    build_site(config_for(root, output_dir=str(out)), processes=1)
    return out


def stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


def test_a_folder_with_only_content_builds_a_styled_site(tmp_path: Path) -> None:
    out = build(write_files(tmp_path / "bare", BARE))
    home = (out / "index.html").read_text()
    guide = (out / "guide/index.html").read_text()
    assert "<title>Untitled site</title>" in home and "<title>A long guide · Untitled site" in guide
    assert [(out / css.lstrip("/")).is_file() for css in stylesheets(home)] == [True, True]
    assert re.search(r'href="/guide/" aria-current="page">A long guide<', guide)
    assert 'href="/nested/deep/"' not in home, "only top-level pages belong in the navigation"
    toc = re.search(r'<nav class="toc".*?</nav>', guide, re.S)
    assert toc and all(f'href="#{i}"' in toc[0] for i in ("install", "configure", "details"))
    assert '<nav class="toc"' not in home
    assert "There is no page at this address" in (out / "404.html").read_text()
    assert (out / "robots.txt").is_file()
    assert not (out / "sitemap.xml").exists(), "a sitemap needs absolute URLs"
    published = tmp_path / "published"
    config = config_for(tmp_path / "bare", output_dir=str(published), base_url="https://x.org/")
    build_site(config, processes=1)
    assert "<loc>https://x.org/guide/</loc>" in (published / "sitemap.xml").read_text()


def test_every_theme_page_has_a_description_and_only_an_absolute_canonical(
    tmp_path: Path,
) -> None:
    """Search engines want both (Lighthouse's SEO audits fail a page without a description or
    with a relative canonical); a bare folder has no description: its first paragraph serves."""
    root = write_files(tmp_path / "bare", BARE)
    out = build(root)
    described = '<meta name="description" content="{}">'
    home = (out / "index.html").read_text()
    assert described.format("See the guide.") in home
    guide = (out / "guide/index.html").read_text()
    assert described.format("Every section of the guide.") in guide, "front matter wins"
    assert described.format("Deep text.") in (out / "nested/deep/index.html").read_text()
    assert 'rel="canonical"' not in home + guide, "no host: no canonical URL to name"
    published = tmp_path / "published"
    config = config_for(root, output_dir=str(published), base_url="https://x.org/docs/")
    build_site(config, processes=1)
    home = (published / "index.html").read_text()
    assert '<link rel="canonical" href="https://x.org/docs/">' in home


def test_every_theme_page_fits_the_weight_budget(tmp_path: Path) -> None:
    out = build(write_files(tmp_path / "bare", BARE))
    for page in sorted(out.rglob("*.html")):
        html = page.read_text()
        css = b"".join((out / href.lstrip("/")).read_bytes() for href in stylesheets(html))
        size = len(gzip.compress(html.encode())) + len(gzip.compress(css))
        assert size < BUDGET, f"{page.relative_to(out)}: {size} bytes compressed"


def test_the_theme_stylesheet_keeps_wide_blocks_in_their_own_box() -> None:
    css = (STATIC_DIR / "css/site.css").read_text()
    assert ".prose table { display: block; max-width: 100%; overflow-x: auto;" in css
    assert re.search(r"\.prose pre \{ overflow-x: auto;", css)
    assert "@media (prefers-color-scheme: dark)" in css


def test_a_project_template_replaces_the_theme_one_of_the_same_name(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "p",
        {**BARE, "templates/partials/footer.html": "<footer><p>Our own footer</p></footer>\n"},
    )
    out = build(root)
    for page in ("index.html", "guide/index.html", "404.html"):
        html = (out / page).read_text()
        assert "<footer><p>Our own footer</p></footer>" in html and "Made with site_src" not in html
        assert '<nav class="site-nav"' in html, "the rest of the theme is still used"


def test_a_base_template_extends_the_theme_base_and_fills_one_block(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "p",
        {
            **BARE,
            "templates/base.html": """\
                {% extends "theme/base.html" %}
                {% block head %}<meta name="generator" content="ours">{% endblock %}
                {% block footer %}<footer><p>{{ site.title }}, our footer</p></footer>{% endblock %}
                """,
        },
    )
    out = build(root)
    guide = (out / "guide/index.html").read_text()
    assert re.search(r'<meta name="generator" content="ours">\s*</head>', guide)
    assert "Untitled site, our footer" in guide and "Made with site_src" not in guide
    assert "<h1>A long guide</h1>" in guide, "the theme's page.html goes through our base.html"


def test_a_project_static_file_replaces_the_theme_file_of_the_same_path(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {**BARE, "static/css/site.css": "body { color: red }\n"})
    out = build(root)
    home = (out / "index.html").read_text()
    own, highlight = (out / href.lstrip("/") for href in stylesheets(home))
    assert own.read_text() == "body { color: red }\n"
    assert highlight.read_bytes() == (STATIC_DIR / "css/highlight.css").read_bytes()
    assert len(list(out.glob("css/site.*.css"))) == 1


def test_a_template_the_theme_lacks_is_still_an_error(tmp_path: Path) -> None:
    files = {"content/index.md": "---\ntitle: Home\ntemplate: missing.html\n---\nText\n"}
    with pytest.raises(BuildFailed) as failed:
        build(write_files(tmp_path / "p", files))
    assert "template not found: missing.html" in str(failed.value.errors[0])


def test_the_flagship_leans_on_the_theme_only_for_code_colours() -> None:
    own = {p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*")}
    assert {"base.html", "page.html", "404.html"} <= own
    theme_static = {p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.*")}
    taken = {name for name in theme_static if not (REPO / "static" / name).is_file()}
    assert taken == {"css/highlight.css"}
    assert (TEMPLATES_DIR / "base.html").is_file()
