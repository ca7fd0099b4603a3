"""Jinja in Markdown: data, config and components in a page's text; code stays literal; every
mistake is an error at the Markdown line; safe with raw_html: false; switched off per page or
per site."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import jinja2
import pytest

from site_src.errors import BuildFailed, SiteError
from site_src.macros import line_map
from site_src.pipeline import build_site

from .conftest import MakeProject, config_for

DATA = {
    "data/figures.yml": "capex: 380 billion\nplatforms: 5-6\n",
    "data/stages.yml": "- name: Intelligence emergence\n- name: Autonomous action\n",
    "data/bad.yml": 'text: "<script>alert(1)</script> <b>bold</b>"\n',
    "templates/components/callout.html": (
        '<aside class="callout">{{ text }}: {{ data.figures.capex }}</aside>\n'
    ),
    "templates/partials/stages.html": (
        '<ol class="stages">{% for s in data.stages %}<li>{{ s.name }}</li>{% endfor %}</ol>\n'
    ),
}


def build(root: Path) -> Path:
    out = root / "_site"
    build_site(config_for(root, output_dir=str(out)), processes=1)
    return out


def page_html(make_project: MakeProject, body: str, extra: Mapping[str, str] = {}) -> str:
    root = make_project({**DATA, "content/index.md": "---\ntitle: Home\n---\n" + body, **extra})
    return (build(root) / "index.html").read_text(encoding="utf-8")


def failure(make_project: MakeProject, body: str, extra: Mapping[str, str] = {}) -> SiteError:
    root = make_project({**DATA, "content/index.md": "---\ntitle: Home\n---\n" + body, **extra})
    with pytest.raises(BuildFailed) as caught:
        build(root)
    (error,) = caught.value.errors
    return error


def test_data_config_and_page_values_are_written_into_the_markdown(
    make_project: MakeProject,
) -> None:
    html = page_html(
        make_project,
        "Spending grows from **{{ data.figures.capex }}** on {{ page.title }} of "
        "{{ site.title }}.\n\n"
        "{% for stage in data.stages %}\n1. {{ stage.name }}\n{% endfor %}\n",
        {"site.yml": "title: Yunqi\n"},
    )
    assert "<p>Spending grows from <strong>380 billion</strong> on Home of Yunqi.</p>" in html
    assert "<ol>\n<li>Intelligence emergence</li>\n<li>Autonomous action</li>\n</ol>" in html


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("```\n{{ x }} {% if %}\n```\n", "<pre><code>{{ x }} {% if %}\n</code></pre>"),
        ("~~~ text\n{{ x }}\n~~~\n", "{{ x }}"),
        ("Text.\n\n    {{ x }} {% for %}\n", "<pre><code>{{ x }} {% for %}\n</code></pre>"),
        ("Say `inline {{ x }}` here.\n", "<code>inline {{ x }}</code>"),
        ("Say ``a {{ x }} ` b`` here.\n", "<code>a {{ x }} ` b</code>"),
        ("A `{% raw %}` tag.\n", "<code>{% raw %}</code>"),
        ("- item\n\n  ```\n  {{ x }}\n  ```\n", "<code>{{ x }}\n</code>"),
        ("> `{{ quoted }}`\n", "<code>{{ quoted }}</code>"),
        ("| a |\n|---|\n| `{{ cell }}` |\n", "<code>{{ cell }}</code>"),
    ],
)
def test_code_is_never_interpreted(make_project: MakeProject, markdown: str, shown: str) -> None:
    html = page_html(make_project, f"Capex {{{{ data.figures.capex }}}}.\n\n{markdown}")
    assert "Capex 380 billion." in html
    assert shown in html


def test_a_line_of_tags_leaves_nothing_and_a_tag_ending_a_paragraph_keeps_it_apart(
    make_project: MakeProject,
) -> None:
    html = page_html(
        make_project,
        "  {% set n = data.stages|length %}  \n{%- if n %}\nThere are {{ n }}.\n{% endif -%}\n\n"
        "- first\n{% for s in data.stages %}\n- {{ s.name }}\n{% endfor %}\n\n"
        "Shown {% if true %}here{% endif %}\n\nNext paragraph.\n",
    )
    assert "<p>There are 2.</p>" in html
    assert "<ul>\n<li>first</li>\n<li>Intelligence emergence</li>\n<li>Autonomous action" in html
    assert "<p>Shown here</p>\n<p>Next paragraph.</p>" in html


def test_heading_ids_and_raw_blocks_are_left_as_written(make_project: MakeProject) -> None:
    html = page_html(
        make_project,
        "## Capex: {{ data.figures.capex }} {#capex}\n\n"
        "{% raw %}Literal {{ x }} and `{{ y }}`{% endraw %}\n\n"
        "{{ '{{' }} is how to write it.\n",
    )
    assert '<h2 id="capex">Capex: 380 billion' in html
    assert "<p>Literal {{ x }} and <code>{{ y }}</code></p>" in html
    assert "<p>{{ is how to write it.</p>" in html


def test_a_component_is_a_block_of_the_templates_html_even_without_raw_html(
    make_project: MakeProject,
) -> None:
    html = page_html(
        make_project,
        'Before.\n\n{{ component("callout", text="Capex") }}\n\n'
        'Inline {{ component("callout", text="here") }} too.\n\n'
        '{{ component("partials/stages.html") }}\n\n<b>raw</b>\n',
        {"site.yml": "raw_html: false\n"},
    )
    assert '<p>Before.</p>\n<aside class="callout">Capex: 380 billion</aside>\n' in html
    assert '<p>Inline <aside class="callout">here: 380 billion</aside> too.</p>' in html
    assert "<p><aside" not in html and "<p><ol" not in html
    assert '<ol class="stages"><li>Intelligence emergence</li>' in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html  # the page's own HTML is still escaped


def test_a_data_value_is_text_with_raw_html_off(make_project: MakeProject) -> None:
    html = page_html(
        make_project, "Value: {{ data.bad.text }}\n", {"site.yml": "raw_html: false\n"}
    )
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;" in html


def test_a_placeholder_cannot_be_forged_by_the_author(make_project: MakeProject) -> None:
    html = page_html(
        make_project,
        '{{ component("callout", text="x") }}\n\nTyped: \ue000abc:0\ue001\n',
        {"site.yml": "raw_html: false\n"},
    )
    assert html.count('<aside class="callout">') == 1
    assert "Typed: \ue000abc:0\ue001" in html


@pytest.mark.parametrize(
    ("body", "line", "column", "message", "hint"),
    [
        (
            "Intro.\n\nCapex {{ data.figures.capx }}.\n",
            6,
            23,
            "has no attribute 'capx'",
            "Did you mean 'capex'?",
        ),
        ("Intro.\n\n{{ dta.figures }}\n", 6, 4, "'dta' is undefined", "Did you mean 'data'?"),
        ("One.\n\n{{ site.titel }}\n", 6, 9, "site has no attribute 'titel'", "'title'"),
        ("One.\n\nA stray {{ in prose.\n\nMore text.\n", 6, 9, "syntax error", "{{ '{{' }}"),
        (
            "One.\n\n{% for s in data.stages %}\n- {{ s.name }}\n",
            6,
            1,
            "endfor",
            "macros: false",
        ),
        ('One.\n\n{{ component("nope") }}\n', 6, 4, "components/nope.html", "components/"),
    ],
)
def test_a_mistake_is_an_error_at_the_markdown_line(
    make_project: MakeProject, body: str, line: int, column: int, message: str, hint: str
) -> None:
    error = failure(make_project, body)
    assert error.where is not None
    assert (error.where.path, error.where.line, error.where.column) == (
        "content/index.md",
        line,
        column,
    )
    assert message in error.message
    assert error.hint is not None and hint in error.hint
    assert error.excerpt is not None and f"> {line} |" in error.excerpt


def test_a_mistake_in_a_component_is_at_the_template_line_reached_from_the_page(
    make_project: MakeProject,
) -> None:
    error = failure(
        make_project,
        'One.\n\n{{ component("broken") }}\n',
        {"templates/components/broken.html": "<p>\n{{ data.nothing.here }}</p>\n"},
    )
    assert error.where is not None
    assert (error.where.path, error.where.line) == ("templates/components/broken.html", 2)
    assert error.hint is not None and "reached from content/index.md:6" in error.hint


def test_lines_after_an_expansion_keep_their_own_numbers_in_errors(
    make_project: MakeProject,
) -> None:
    error = failure(
        make_project,
        "{% for s in data.stages %}\n- {{ s.name }}\n{% endfor %}\n\n"
        "One more.\n\n[broken](missing.md)\n",
    )
    assert error.where is not None and error.where.line == 10
    assert "missing.md" in error.message


@pytest.mark.parametrize(
    "files",
    [
        {"content/index.md": "---\ntitle: Home\nmacros: false\n---\nKeep {{ as written }}.\n"},
        {
            "site.yml": "macros: false\n",
            "content/index.md": "---\ntitle: Home\n---\nKeep {{ as written }}.\n",
        },
    ],
    ids=["front matter", "site.yml"],
)
def test_macros_can_be_switched_off_for_a_page_or_the_site(
    make_project: MakeProject, files: Mapping[str, str]
) -> None:
    html = (build(make_project({**DATA, **files})) / "index.html").read_text(encoding="utf-8")
    assert "<p>Keep {{ as written }}.</p>" in html


def test_macros_must_be_true_or_false(make_project: MakeProject) -> None:
    root = make_project({"content/index.md": "---\ntitle: Home\nmacros: no way\n---\nText\n"})
    with pytest.raises(BuildFailed) as caught:
        build(root)
    assert any("'macros' must be true or false" in e.message for e in caught.value.errors)


def test_a_full_feed_carries_the_expanded_text(make_project: MakeProject) -> None:
    root = make_project(
        {
            **DATA,
            "site.yml": "base_url: https://example.com/\n",
            "content/index.md": "# Home\n",
            "content/news/index.md": "---\ntitle: News\nfeed: full\n---\n",
            "content/news/a.md": (
                "---\ntitle: A\ndate: 2025-09-24\n---\nCapex {{ data.figures.capex }}.\n\n"
                '{{ component("callout", text="Note") }}\n'
            ),
        }
    )
    feed = (build(root) / "news" / "feed.xml").read_text(encoding="utf-8")
    assert "Capex 380 billion." in feed and "Note: 380 billion" in feed
    assert "\ue000" not in feed


def test_a_long_page_of_loops_maps_its_lines_in_one_pass() -> None:
    """Lines made by tags are traced back to the file without comparing every pair of lines."""
    loop = "{% for x in [1, 2] %}\n- {{ x }}\n{% endfor %}\n"
    source = "".join(f"Line {n} of prose.\n\n" if n % 3 else loop for n in range(6_000))
    source += "Last [link](x.md).\n"
    made = jinja2.Environment(trim_blocks=True).from_string(source).render()
    started = time.perf_counter()
    mapped = line_map(source, made)
    assert time.perf_counter() - started < 2  # one pass: a tenth of that; quadratic: minutes
    old, new = source.split("\n"), made.split("\n")
    assert len(mapped) == len(new) != len(old)
    assert old[mapped[new.index("Last [link](x.md).")]] == "Last [link](x.md)."
    assert old[mapped[new.index("Line 1 of prose.")]] == "Line 1 of prose."
