"""Property: whatever the content says, a build either succeeds or fails with the project's own errors.

Random front matter (YAML-ish text with known, unknown and mistyped keys) and random Markdown
(raw HTML, links to .md files, headings with {#id}, code fences, footnotes) are written to a real
project folder and built with `build_site`. Anything other than success, `SiteError` or `BuildFailed`
is a crash of the engine, and Hypothesis shrinks it to a small example.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_src.errors import BuildFailed, SiteError
from site_src.pipeline import build_site

from .conftest import MINIMAL_TEMPLATES, config_for, write_files

PAGE_NAMES = ["index.md", "a.md", "sub/index.md", "sub/b.md", "b-c.md"]
KEYS = ["title", "description", "slug", "template", "order", "draft", "date", "extra", "titel"]
TEMPLATES = {
    **MINIMAL_TEMPLATES,
    "templates/404.html": """\
        {% extends "base.html" %}
        {% block main %}Not found{% endblock %}
        """,
    "templates/page.html": """\
        {% extends "base.html" %}
        {% block main %}
        <meta name="description" content="{{ page.description }}">
        <script type="application/ld+json">{{ {"name": page.title, "extra": page.extra} | tojson }}</script>
        {% for h in page.toc %}<a href="#{{ h.id }}">{{ h.title }}</a>{% endfor %}
        {% for item in site.pages %}<a href="{{ url(item.url) }}">{{ item.title }}</a>{% endfor %}
        {{ page.content }}
        {% endblock %}
        """,
}

scalar_text = st.sampled_from(
    [
        "Home",
        "'quoted'",
        '"a\\tb"',
        "2025-09-24",
        "2025-13-45",
        "2025-09-24 10:00:00",
        "12",
        "-3",
        "1e400",
        "0x1F",
        "true",
        "no",
        "null",
        "~",
        "[a, b]",
        "{a: 1}",
        "[unclosed",
        "{x: ",
        "&anchor value",
        "*anchor",
        "!!binary aGVsbG8=",
        "!!python/object:os.system x",
        "|",
        ">",
        "''",
        "a: b: c",
        "../../etc",
        "/abs",
        "a\\\\b",
        "C:",
        "é",
        "<script>x</script>",
        "- item",
        "? complex",
        "%YAML",
        "@at",
        "`tick`",
        "#comment",
    ]
)
any_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)
yaml_line = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(KEYS), scalar_text),
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(KEYS), any_text),
    st.builds(lambda v: f"  {v}", scalar_text),
    any_text,
)
yaml_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.dates()
    | st.datetimes()
    | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)
dumped_mapping = st.dictionaries(st.sampled_from(KEYS) | any_text, yaml_value, max_size=6).map(
    lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
)
# Mostly a valid title plus noise, so that many examples get past front matter into Markdown,
# links and templates; sometimes anything at all.
front_matter = st.one_of(
    st.builds(
        lambda title, lines: f"title: {title}\n" + "\n".join(lines),
        st.sampled_from(["Page", "'<script>alert(1)</script>'", '"Ünïcode & <b>"']),
        st.lists(yaml_line, max_size=4),
    ),
    st.builds(
        lambda title, lines: f"title: {title}\n" + "\n".join(lines),
        st.just("Page"),
        st.lists(
            st.sampled_from(
                [
                    "order: 2",
                    "draft: true",
                    "slug: other",
                    "extra: {k: v}",
                    "date: 2025-09-24",
                    "description: '<i>d</i>'",
                    "template: page.html",
                ]
            ),
            max_size=3,
        ),
    ),
    st.lists(yaml_line, max_size=6).map("\n".join),
    dumped_mapping,
)

# Markdown's own punctuation, densely: what stresses the parser and its plugins most.
syntax_soup = st.text(st.sampled_from("#*_[]()<>!`{}|-=~:\\/.\n &;\"'^0aé"), max_size=40)
markdown_line = st.one_of(
    any_text,
    syntax_soup,
    st.builds(lambda n, t: f"{'#' * n} {t}", st.integers(1, 6), any_text),
    st.builds(
        lambda t, i: f"## {t} {{#{i}}}",
        any_text,
        st.from_regex(r"[a-z][\w:-]{0,8}", fullmatch=True),
    ),
    st.builds(
        lambda text, target, frag: f"[{text}]({target}{frag})",
        any_text,
        st.sampled_from(
            [
                *PAGE_NAMES,
                "../a.md",
                "/a.md",
                "missing.md",
                "sub/",
                "/",
                "#top",
                "http://[bad",
                "mailto:x@y",
            ]
        ),
        st.sampled_from(["", "#top", "#x", "#", "?q=1"]),
    ),
    st.sampled_from(
        [
            '<div id="x"><a href="a.md">raw</a></div>',
            "<script>alert(1)</script>",
            '<img src="/nope.png">',
            '<a href="http://[::1">bad</a>',
            "<!-- comment",
            "```python\nprint(1)\n```",
            "```nosuchlang\nx\n```",
            "~~~\nunclosed fence",
            "[^1]\n\n[^1]: a footnote",
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "{#orphan .cls}",
            "Text {.cls}",
            "<http://example.com>",
            "&#0; &#x110000; &bogus;",
        ]
    ),
)
page_text = st.builds(
    lambda fm, body, fence: (f"---\n{fm}\n---\n" if fence else fm + "\n") + "\n\n".join(body),
    front_matter,
    st.lists(markdown_line, max_size=8),
    st.integers(0, 9).map(lambda n: n < 9),
)
pages = st.dictionaries(st.sampled_from(PAGE_NAMES), page_text, min_size=1, max_size=3)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pages=pages)
def test_any_content_builds_or_fails_with_site_errors(pages: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = write_files(Path(folder) / "project", TEMPLATES)
        for name, text in pages.items():
            path = root / "content" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        try:
            result = build_site(config_for(root))
        except (SiteError, BuildFailed) as failure:
            problems = failure.errors if isinstance(failure, BuildFailed) else (failure,)
            assert problems and all(p.message for p in problems)
            assert not (root / "_site").exists(), "a failed build wrote the output folder"
        else:
            assert result.pages <= len(pages)
            assert (root / "_site" / "404.html").is_file()
        leftovers = [p.name for p in root.iterdir() if ".staging-" in p.name]
        assert not leftovers
