"""Safe to serve: front matter never reaches HTML unescaped, and raw HTML can be switched off.

Run against the flagship site's own templates (title, meta tags, Open Graph, JSON-LD via tojson),
with a page whose title and description try to break out of every context they are used in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from site_src.errors import BuildFailed
from site_src.pipeline import build_site

from .conftest import REPO, MakeProject, config_for

HOSTILE = "</title><script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"
PARTS = ("site.yml", "content", "templates", "static", "data")


@pytest.fixture
def flagship(tmp_path: Path) -> Path:
    root = tmp_path / "flagship"
    for part in PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, root / part)
    return root


def hostile_keynote(root: Path) -> str:
    """Give the keynote page (whose template writes JSON-LD) a hostile title and description."""
    path = root / "content" / "keynote.md"
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    kept = [line for line in front.splitlines() if not line.startswith(("title:", "description:"))]
    hostile = json.dumps(HOSTILE)
    path.write_text(
        f"---\ntitle: {hostile}\ndescription: {hostile}\n" + "\n".join(kept) + f"\n---\n{body}",
        encoding="utf-8",
    )
    build_site(config_for(root))
    return (root / "_site" / "keynote" / "index.html").read_text(encoding="utf-8")


def test_front_matter_is_escaped_in_title_meta_and_body(flagship: Path) -> None:
    html = hostile_keynote(flagship)
    assert "<script>alert(1)" not in html
    assert "onerror=alert(2)>" not in html and "<img src=x" not in html
    escaped = "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&gt;&lt;img src=x"
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith(escaped)
    assert f'<meta name="description" content="{escaped}' in html
    assert f'<meta property="og:title" content="{escaped}' in html
    assert f"<h1>{escaped}" in html


def test_front_matter_in_json_ld_cannot_close_the_script(flagship: Path) -> None:
    html = hostile_keynote(flagship)
    blocks = [
        b.split("</script>", 1)[0] for b in html.split('<script type="application/ld+json">')[1:]
    ]
    assert blocks, "the keynote page has no JSON-LD"
    values = [json.loads(block) for block in blocks]
    assert any(value.get("headline") == HOSTILE for value in values)
    assert all("<" not in block and ">" not in block for block in blocks)


def test_raw_html_is_allowed_by_default_and_escaped_when_switched_off(
    make_project: MakeProject,
) -> None:
    page = '---\ntitle: Raw\n---\nText <b onclick="x()">bold</b>\n\n<script>alert(1)</script>\n'
    root = make_project({"content/index.md": page})
    build_site(config_for(root))
    html = (root / "_site" / "index.html").read_text()
    assert '<b onclick="x()">bold</b>' in html and "<script>alert(1)</script>" in html
    (root / "site.yml").write_text("raw_html: false\n")
    build_site(config_for(root))
    html = (root / "_site" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<b onclick" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Text &lt;b onclick=" in html and "&gt;bold&lt;/b&gt;" in html


def test_javascript_links_in_markdown_are_not_rendered_as_links(make_project: MakeProject) -> None:
    page = "---\ntitle: L\n---\n[click](javascript:alert(1)) and ![i](data:text/html,x)\n"
    root = make_project({"content/index.md": page})
    build_site(config_for(root))
    assert 'href="javascript:' not in (root / "_site" / "index.html").read_text()


def test_untrusted_attributes_are_dropped_with_warnings_every_build(
    make_project: MakeProject,
) -> None:
    page = '---\ntitle: A\n---\n{style="position:fixed" .note}\nOverlay\n'
    root = make_project(
        {"site.yml": "raw_html: false\nbase_url: https://e.org/\n", "content/index.md": page}
    )
    for _ in range(2):  # the second build keeps the page from the cache, and still warns
        result = build_site(config_for(root))
        assert [str(w) for w in result.warnings] == [
            "content/index.md:4:2: warning: attribute 'style' was dropped: "
            "with raw_html: false only class and id are allowed"
        ]
    assert '<p class="note">Overlay</p>' in (root / "_site" / "index.html").read_text()
    with pytest.raises(BuildFailed, match="1 error"):
        build_site(config_for(root), strict=True)


def test_an_untrusted_id_that_clashes_with_the_template_fails_the_build(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "site.yml": "raw_html: false\nbase_url: https://e.org/\n",
            "templates/page.html": '{% extends "base.html" %}\n'
            '{% block main %}<div id="main">{{ page.content }}</div>{% endblock %}\n',
            "content/index.md": "---\ntitle: A\n---\n{#main}\nHijack\n",
        }
    )
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    assert [str(e) for e in caught.value.errors] == [
        "content/index.md: error: the id 'main' is used twice on / (line 4 of the output)"
    ]
