"""Markdown rendering: the plugins the engine promises, heading ids, and .md link rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_src.markdown import (
    SYNTAXES,
    Parsers,
    heading_slug,
    make_markdown,
    render_markdown,
    rewrite_link,
    syntaxes_in,
)
from site_src.model import FrontMatter, Page, RenderedBody, UrlMap

URLS = UrlMap(
    {"content/index.md": "/", "content/keynote.md": "/keynote/", "content/a/b.md": "/a/b/"}
)


def render(markdown: str, source: str = "content/index.md", base: str = "/") -> RenderedBody:
    page = Page(source, "/", FrontMatter("T"), markdown, 4, "---\ntitle: T\n---\n" + markdown)
    body, errors = render_markdown(Parsers(), page, URLS, base)
    assert errors == []
    return body


def test_headings_get_stable_ids_permalinks_and_a_toc() -> None:
    body = render("## First part\n\n### Détails *here*\n\n## Stage 2 {#stage-2 .big}\n")
    assert '<h2 id="first-part">' in body.html
    assert 'href="#first-part" aria-label="Permalink to First part"' in body.html
    assert '<h2 id="stage-2" class="big">Stage 2' in body.html
    assert [(h.level, h.id, h.title) for h in body.toc] == [
        (2, "first-part", "First part"),
        (3, "détails-here", "Détails here"),
        (2, "stage-2", "Stage 2"),
    ]


def test_tables_footnotes_quotes_and_attributes() -> None:
    body = render('| a |\n|---|\n| 1 |\n\nIt\'s "so"[^n].\n\n[^n]: Note.\n\n{.lead}\nText\n')
    assert "<table>" in body.html and "<td>1</td>" in body.html
    assert "It’s “so”" in body.html
    assert 'class="footnote-ref"' in body.html and 'id="fn1"' in body.html
    assert '<p class="lead">Text</p>' in body.html


def test_fenced_code_is_highlighted_without_javascript() -> None:
    body = render("```python\nx = 1\n```\n")
    assert '<pre class="highlight" tabindex="0"><code class="language-python">' in body.html
    assert '<span class="n">x</span>' in body.html
    assert "<script" not in body.html


def test_unknown_language_falls_back_to_escaped_code() -> None:
    body = render("```nosuchlang\n<b>\n```\n")
    assert "&lt;b&gt;" in body.html


def test_links_to_md_sources_become_urls_with_the_base_path() -> None:
    body = render("[k](keynote.md#x) [b](a/b.md) [r](/keynote/) [e](https://e.org/)", base="/R/")
    assert 'href="/R/keynote/#x"' in body.html
    assert 'href="/R/a/b/"' in body.html
    assert 'href="/R/keynote/"' in body.html
    assert 'href="https://e.org/"' in body.html


def test_relative_md_links_resolve_from_the_page_folder() -> None:
    assert rewrite_link("../keynote.md", "content/a/b.md", URLS, "/") == "/keynote/"
    assert rewrite_link("b.md#top", "content/a/b.md", URLS, "/") == "/a/b/#top"
    assert rewrite_link("missing.md", "content/a/b.md", URLS, "/") is None


def test_missing_md_link_is_reported_at_its_line_and_column() -> None:
    text = "---\ntitle: T\n---\nIntro\n\nSee\nthe [gone](gone.md) page.\n"
    page = Page("content/index.md", "/", FrontMatter("T"), text.split("---\n", 2)[2], 4, text)
    _, errors = render_markdown(Parsers(), page, URLS, "/")
    assert len(errors) == 1
    assert str(errors[0].where) == "content/index.md:7:12"
    assert "gone.md" in errors[0].message


def test_links_record_source_lines_for_the_link_checker() -> None:
    body = render("one\n\n[a](keynote.md)\n\n<p><a href='/x/'>raw</a></p>\n")
    assert [(link.href, link.line) for link in body.links] == [("/keynote/", 6), ("/x/", 8)]


def test_raw_html_can_be_switched_off() -> None:
    page = Page("content/index.md", "/", FrontMatter("T"), "<b>x</b>\n", 4, "")
    body, _ = render_markdown(Parsers(raw_html=False), page, URLS, "/")
    assert "&lt;b&gt;x&lt;/b&gt;" in body.html


def test_task_lists_are_disabled_checkboxes_named_by_their_text() -> None:
    body = render("- [ ] Write the talk\n- [x] Book the hall\n- [y] not a task\n")
    assert '<ul class="contains-task-list">' in body.html
    assert (
        '<li class="task-list-item"><label><input class="task-list-item-checkbox" '
        'disabled="disabled" type="checkbox"> Write the talk</label></li>'
    ) in body.html
    assert 'checked="checked" disabled="disabled" type="checkbox"> Book the hall</label>' in (
        body.html
    )
    assert "<li>[y] not a task</li>" in body.html


def test_bare_urls_become_links_but_not_in_code_or_file_names() -> None:
    body = render("See www.alibabacloud.com and https://qwen.ai/news, `www.code.io`, build.py\n")
    assert '<a href="http://www.alibabacloud.com">www.alibabacloud.com</a>' in body.html
    assert '<a href="https://qwen.ai/news">https://qwen.ai/news</a>,' in body.html
    assert "<code>www.code.io</code>" in body.html and ", build.py</p>" in body.html
    assert [link.href for link in body.links] == [
        "http://www.alibabacloud.com",
        "https://qwen.ai/news",
    ]


@pytest.mark.parametrize("kind", ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"])
def test_github_alerts_are_titled_notes(kind: str) -> None:
    body = render(f"> [!{kind}]\n> Mind the *gap*.\n\n> A plain quote.\n")
    title = kind.capitalize()
    assert (
        f'<div class="markdown-alert markdown-alert-{kind.lower()}" role="note">\n'
        f'<p class="markdown-alert-title">{title}</p>\n<p>Mind the <em>gap</em>.</p>\n</div>'
    ) in body.html
    assert "<blockquote>\n<p>A plain quote.</p>\n</blockquote>" in body.html


def test_definition_lists() -> None:
    body = render("ASI\n: Artificial superintelligence.\n")
    assert "<dl>\n<dt>ASI</dt>\n<dd>Artificial superintelligence.</dd>\n</dl>" in body.html


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Getting started", "getting-started"),
        ("What's new in v2.0?", "whats-new-in-v20"),
        ("云栖大会", "云栖大会"),
        ("Qwen3 -- 通义千问", "qwen3----通义千问"),
        ("snake_case & C++", "snake_case--c"),
        ("हिन्दी शीर्षक", "हिन्दी-शीर्षक"),
        ("Ünïcödé Straße", "ünïcödé-straße"),
    ],
)
def test_heading_slugs_follow_github(text: str, slug: str) -> None:
    assert heading_slug(text) == slug


def test_every_heading_level_gets_a_unique_id_and_custom_ids_win() -> None:
    body = render(
        "# 云栖大会\n\n## Agenda\n\n### Agenda\n\n#### Agenda {#agenda-1}\n\n"
        "##### Agenda\n\n###### Done!\n\n## ¿?\n"
    )
    assert [(h.level, h.id) for h in body.toc] == [
        (1, "云栖大会"),
        (2, "agenda"),
        (3, "agenda-2"),
        (4, "agenda-1"),
        (5, "agenda-3"),
        (6, "done"),
        (2, "section"),
    ]
    assert 'href="#云栖大会" aria-label="Permalink to 云栖大会">#</a></h1>' in body.html
    assert '<h6 id="done">Done! <a class="header-anchor" href="#done"' in body.html


def test_heading_ids_come_from_the_text_readers_see() -> None:
    body = render("## Qwen3 -- what's new\n\n## Agenda\n\n### Agenda\n")
    assert [h.id for h in body.toc] == ["qwen3--whats-new", "agenda", "agenda-1"]


UNTRUSTED = """Intro

{style="position:fixed;inset:0" #lead-in .lead onclick="steal()"}
A [link](/a/){href="javascript:alert(1)" ping="https://t.example/" .more}
and ![pic](/i.png){src="https://t.example/px" style="width:100vw" .wide}

{id="x\\" onmouseover=\\"y"}
## Spoofed
"""


def render_untrusted(markdown: str) -> tuple[RenderedBody, list[str]]:
    text = "---\ntitle: T\n---\n" + markdown
    page = Page("content/index.md", "/", FrontMatter("T"), markdown, 4, text)
    body, problems = render_markdown(Parsers(raw_html=False), page, URLS, "/")
    assert all(problem.severity == "warning" for problem in problems)
    return body, [str(problem) for problem in problems]


def test_untrusted_attributes_keep_only_classes_and_plain_ids() -> None:
    body, _ = render_untrusted(UNTRUSTED)
    assert '<p id="lead-in" class="lead">A <a href="/a/" class="more">link</a>' in body.html
    assert '<img src="/i.png" alt="pic" class="wide" />' in body.html
    for dropped in ("style=", "onclick", "javascript:", "ping=", "t.example", "onmouseover"):
        assert dropped not in body.html
    assert '<h2 id="spoofed">Spoofed <a class="header-anchor" href="#spoofed"' in body.html
    assert [heading.id for heading in body.toc] == ["spoofed"]


def test_each_dropped_attribute_is_a_warning_at_its_line_and_column() -> None:
    _, warnings = render_untrusted(UNTRUSTED)
    only = "was dropped: with raw_html: false only class and id are allowed"
    assert warnings == [
        f"content/index.md:6:2: warning: attribute 'style' {only}",
        f"content/index.md:6:48: warning: attribute 'onclick' {only}",
        f"content/index.md:7:15: warning: attribute 'href' {only}",
        f"content/index.md:7:42: warning: attribute 'ping' {only}",
        f"content/index.md:8:20: warning: attribute 'src' {only}",
        f"content/index.md:8:47: warning: attribute 'style' {only}",
        "content/index.md:10:2: warning: attribute 'id' was dropped: id "
        "'x\\\\\" onmouseover=\\\\\"y' is not a plain name (letters, digits, '-', '_', ':')",
    ]


def test_trusted_content_keeps_its_attributes() -> None:
    page = Page("content/index.md", "/", FrontMatter("T"), UNTRUSTED, 4, "")
    body, problems = render_markdown(Parsers(raw_html=True), page, URLS, "/")
    assert problems == []
    assert (
        'style="position:fixed;inset:0"' in body.html and 'ping="https://t.example/"' in body.html
    )


def test_an_id_or_class_right_after_emphasis_lands_on_it() -> None:
    """`**term**{ #id }`, as MkDocs' attr_list writes an anchor on a definition's term."""
    html = make_markdown(raw_html=False).render(
        "* **`locale`**{ #mkdocs-locale }: the locale\n\n*x*{: .big #y} and **a *b*{#q}**{.z}\n"
    )
    assert '<strong id="mkdocs-locale"><code>locale</code></strong>: the locale' in html
    assert '<em class="big" id="y">x</em>' in html
    assert '<strong class="z">a <em id="q">b</em></strong>' in html


# Pieces that make, nearly make, or hide each optional syntax (bare links, footnotes, attributes,
# definitions, strikethrough, task boxes, typographic replacements and quotes, figures, alerts),
# mixed with the Markdown around them.
SYNTAX_PIECES = [
    "www.", "ww", "w", "example.com", "https", "http", "://", ":", "//", "/", "@", "a@b.co",
    "mailto:", "xmpp:", "[", "](", ")", "<", ">", "`", "*", "_", "\\", "![", "^[", "]", " ",
    "\n", "\n\n", "| a | b |\n|---|---|\n| ", "> ", "- ", "x", "(", ".", ",", "&#64;", "~~",
    "~", "[^1]", "[^1]: note", "{", "}", "{#id .c}", "{.x}", "{: .y }", "\n: ", "\n~ ", ": d",
    "[ ] ", "[x] ", "[X]", "- [ ] ", "(c)", "(TM)", "(r", "+-", "+", "-", "--", "...", "..",
    "????", "!!!!", ",,", "'", '"', "&quot;", "\\'", "[!NOTE]", "> [!TIP]\n> ", "[!",
    '![a](i.png "T")', "![b](j.png)", "# ", "## ", "\n===", "\n---", "```\n", "    ", "\t",
]  # fmt: skip


@given(st.lists(st.sampled_from(SYNTAX_PIECES), max_size=40).map("".join))
@settings(max_examples=1500, deadline=None)
def test_parsing_without_the_syntaxes_a_page_cannot_use_changes_nothing(text: str) -> None:
    for raw_html in (True, False):
        parsers = Parsers(raw_html)
        md, tokens, env = parsers.parse(text)
        assert md.renderer.render(tokens, md.options, env) == parsers.full.render(text)


def real_markdown() -> list[Path]:
    """Every Markdown file of the project: the flagship, the starter, imported docs, fixtures."""
    root = Path(__file__).parent.parent
    folders = ("content", "site_src/starter", "tests")
    return sorted(path for folder in folders for path in (root / folder).rglob("*.md"))


def test_real_pages_parse_the_same_with_only_the_syntaxes_they_use() -> None:
    files = real_markdown()
    assert len(files) > 20
    used: set[str] = set()
    parsers = Parsers()
    for path in files:
        text = path.read_text(encoding="utf-8")
        md, tokens, env = parsers.parse(text)
        assert md.renderer.render(tokens, md.options, env) == parsers.full.render(text), path
        used |= syntaxes_in(text)
    # Each syntax but bare links and strikethrough (the property test's) has a page that needs it.
    assert used == SYNTAXES - {"autolinks", "strikethrough"}


def test_pages_without_a_syntax_are_parsed_without_its_rules() -> None:
    parsers = Parsers()
    md, _, _ = parsers.parse("Plain *prose* with a [link](a.md) and `code`.\n")
    assert (
        md.inline.ruler.get_active_rules()
        == Parsers().get(frozenset()).inline.ruler.get_active_rules()
    )
    assert "footnote_ref" not in md.inline.ruler.get_active_rules()
    md, _, _ = parsers.parse("A note[^1] and ~~old~~.\n\n[^1]: Here.\n")
    assert {"footnote_ref", "strikethrough"} <= set(md.inline.ruler.get_active_rules())
    assert set(parsers.built) == {frozenset(), frozenset({"footnotes", "strikethrough"})}


def test_bare_links_are_found_though_the_first_parse_leaves_them_out() -> None:
    parsers = Parsers()
    for text, href in [
        ("See www.example.com today.", "http://www.example.com"),
        ("Write to team@example.org.", "mailto:team@example.org"),
        ("A [link](https://a.org) and https://b.org/x too.", "https://b.org/x"),
    ]:
        md, tokens, env = parsers.parse(text)
        assert f'href="{href}"' in md.renderer.render(tokens, md.options, env)
