"""The error type and its renderings; Jinja errors traced to the template file and line at fault."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import jinja2
import pytest

from site_src.errors import (
    BuildFailed,
    Location,
    SiteError,
    decode_text,
    excerpt,
    format_html,
    format_text,
    from_jinja_error,
    located,
    project_path,
    sort_problems,
)


def test_location_prints_compiler_style() -> None:
    assert str(Location("a.md", 3, 7)) == "a.md:3:7"
    assert str(Location("a.md", 3)) == "a.md:3"
    assert str(Location("a.md", None, 7)) == "a.md"


def test_text_rendering_has_location_excerpt_caret_and_hint() -> None:
    error = located("bad value", "a.md", "one\ntwo: x\nthree\n", 2, 6, "fix it\nlike this")
    assert format_text([error]) == (
        "a.md:2:6: error: bad value\n"
        "  1 | one\n"
        "> 2 | two: x\n"
        "    |      ^\n"
        "  3 | three\n"
        "  hint: fix it\n"
        "        like this"
    )


def test_excerpt_outside_the_text_is_none() -> None:
    assert excerpt("a\nb", 5) is None and excerpt("", 1) is None


def test_html_rendering_escapes_everything() -> None:
    error = located("<script>alert(1)</script>", "<a>.md", "<b>\n", 1, 1, "<i>")
    html = format_html([error])
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_problems_sort_by_file_line_column_and_unlocated_last() -> None:
    problems = [
        SiteError("z", None),
        SiteError("c", Location("b.md", 2, 5)),
        SiteError("b", Location("b.md", 2, 1)),
        SiteError("a", Location("b.md", 10)),
        SiteError("d", Location("a.md")),
        SiteError("e", Location("b.md", 1), severity="warning"),
    ]
    assert [p.message for p in sort_problems(problems)] == ["d", "e", "b", "c", "a", "z"]
    assert [p.message for p in BuildFailed(problems).errors] == ["d", "e", "b", "c", "a", "z"]


def test_the_same_problem_at_the_same_place_is_shown_once() -> None:
    twice = [
        SiteError("x", Location("t.html", 3), "from a"),
        SiteError("x", Location("t.html", 3), "from b"),
    ]
    assert len(sort_problems(twice)) == 1


def test_errors_survive_pickling_between_processes() -> None:
    error = located("m", "a.md", "x\n", 1, 1, "h", severity="warning")
    failed = pickle.loads(pickle.dumps(BuildFailed([error])))
    (copy,) = failed.errors
    assert (str(copy), copy.hint, copy.excerpt, copy.severity) == (
        str(error),
        "h",
        error.excerpt,
        "warning",
    )


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"a\r\nb\r\n", "a\nb\n"),
        (b"\xef\xbb\xbfa\nb", "a\nb"),
        (b"a\rb\r\nc", "a\nb\nc"),
        (b"", ""),
    ],
)
def test_decoding_drops_the_bom_and_normalises_line_ends(raw: bytes, text: str) -> None:
    assert decode_text(raw, "f") == text


def test_decoding_names_the_line_and_column_of_a_bad_byte() -> None:
    with pytest.raises(SiteError) as caught:
        decode_text(b"ok\nab\xffc\n", "f.md")
    assert str(caught.value) == "f.md:2:3: error: file is not UTF-8 (byte 0xff)"


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b"\xef\xbb\xbfab\xff\n", "f.md:1:3: error: file is not UTF-8 (byte 0xff)"),
        (b"x\n\xc3\xa9t\xc3\xa9 \xe9\n", "f.md:2:5: error: file is not UTF-8 (byte 0xe9)"),
        (b"a\rb\rc\r\nd\xe9", "f.md:4:2: error: file is not UTF-8 (byte 0xe9)"),
    ],
)
def test_a_bad_byte_is_placed_as_an_editor_counts_lines_and_characters(
    raw: bytes, where: str
) -> None:
    """After a BOM, after multi-byte characters and after old Mac line ends alike."""
    with pytest.raises(SiteError) as caught:
        decode_text(raw, "f.md")
    assert str(caught.value) == where
    assert caught.value.excerpt is not None and "^" in caught.value.excerpt


TEMPLATES = {
    "base.html": "<html>\n{% block main %}{% endblock %}\n{% include 'footer.html' %}\n</html>\n",
    "footer.html": "<footer>\n{% from 'macros.html' import credit %}\n{{ credit(site) }}\n</footer>\n",
    "macros.html": "{% macro credit(s) %}\n<p>\n{{ s.owner.name }}\n</p>\n{% endmacro %}\n",
    "page.html": "{% extends 'base.html' %}\n{% block main %}\n<h1>{{ page.title }}</h1>\n{{ page.missing }}\n{% endblock %}\n",
    "ok.html": "{% extends 'base.html' %}\n{% block main %}ok{% endblock %}\n",
    "broken.html": "{% extends 'base.html' %}\n{% block main %}\n{% for x in y %}\n{% endblock %}\n",
    "includes-broken.html": "<div>\n{% include 'bad-partial.html' %}\n</div>\n",
    "bad-partial.html": "<p>\n{{ 1 + }}\n</p>\n",
    "includes-missing.html": "<div>\n\n{% include 'nope.html' %}\n</div>\n",
    "divides.html": "a\nb\n{{ 1 / 0 }}\n",
    "loops.html": "<div>\n{% include 'loops.html' %}\n</div>\n",
}


def render_error(tmp_path: Path, name: str, **context: object) -> SiteError:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for file, text in TEMPLATES.items():
        (folder / file).write_text(text)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)), undefined=jinja2.StrictUndefined
    )
    try:
        env.get_template(name).render(**context)
    except Exception as exc:
        return from_jinja_error(exc, str(tmp_path), Location("content/x.md", 4))
    raise AssertionError("the template rendered")


def test_undefined_in_a_page_template_names_its_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "page.html", page={"title": "T"}, site={"owner": {"name": "n"}})
    assert (
        str(error)
        == "templates/page.html:4: error: template error: 'dict object' has no attribute 'missing'"
    )
    assert (
        error.hint is not None
        and "reached from templates/base.html:2, templates/page.html:1" in error.hint
    )


def test_undefined_in_a_macro_of_an_included_template_names_the_macro_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "ok.html", site={})
    assert (
        str(error)
        == "templates/macros.html:3: error: template error: 'dict object' has no attribute 'owner'"
    )
    assert error.hint is not None
    assert "templates/footer.html:3, templates/base.html:3, templates/ok.html:1" in error.hint


def test_a_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "broken.html")
    assert str(error).startswith("templates/broken.html:4: error: template syntax error:")
    assert error.excerpt is not None and "> 4 | {% endblock %}" in error.excerpt


def test_a_syntax_error_in_an_included_template_names_the_included_file(tmp_path: Path) -> None:
    error = render_error(tmp_path, "includes-broken.html")
    assert str(error).startswith("templates/bad-partial.html:2: error: template syntax error:")


def test_a_missing_include_names_the_including_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "includes-missing.html")
    assert str(error) == "templates/includes-missing.html:3: error: template not found: nope.html"


def test_a_missing_page_template_falls_back_to_the_front_matter_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "absent.html")
    assert str(error) == "content/x.md:4: error: template not found: absent.html"


def test_any_python_error_in_a_template_is_located(tmp_path: Path) -> None:
    error = render_error(tmp_path, "divides.html")
    assert (
        str(error)
        == "templates/divides.html:3: error: template error: ZeroDivisionError: division by zero"
    )


def test_endless_template_recursion_names_the_recursing_line(tmp_path: Path) -> None:
    error = render_error(tmp_path, "loops.html")
    assert str(error) == "templates/loops.html:2: error: template recursion is too deep"


@pytest.mark.parametrize("root", ["/srv/site", "/srv/site/", "/", "/srv/si"])
def test_project_paths_are_what_relpath_makes_of_them(root: str) -> None:
    """The short way for plain paths below the root agrees with `os.path.relpath`'s long way."""
    names = ["c.md", ".x", "../c", "c/", "/c", "c//d", "", "c d/é.md", "c.", "c/.", "c/./d", "c/.."]
    for name in names:
        filename = "/srv/site/" + name
        relative = os.path.relpath(filename, root)
        expected = filename if relative.startswith("..") else relative
        assert project_path(filename, root) == expected, (filename, root)
