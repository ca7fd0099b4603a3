"""Reading content: encodings, line endings, file names that cannot be URLs, and front matter checks."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_src.content import ATX_H1, MAYBE_H1, SETEXT_H1, parse_page
from site_src.datafiles import load_data
from site_src.errors import BuildFailed, SiteError, decode_text
from site_src.model import Source
from site_src.pipeline import build_site
from site_src.sources import find_sources

from .conftest import MakeProject, config_for

CLEAN = "---\ntitle: Home\ndescription: The start\n---\n# Home\n\nSee [the guide](guide.md).\n"
GUIDE = "---\ntitle: Guide\n---\n## Setup {#setup}\n\nText.\n"


def built_files(root: Path) -> dict[str, bytes]:
    out = root / "_site"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def write_bytes(root: Path, name: str, raw: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: text.replace("\n", "\r\n").encode(),
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        lambda text: text.replace("\n", "\r").encode(),
    ],
    ids=["bom", "crlf", "bom-and-crlf", "old-mac-cr"],
)
def test_bom_and_crlf_build_the_same_bytes_as_clean_files(
    make_project: MakeProject, tmp_path: Path, encode: object
) -> None:
    clean = make_project({"content/index.md": CLEAN, "content/guide.md": GUIDE})
    build_site(config_for(clean))
    expected = built_files(clean)
    other = tmp_path / "other"
    os.rename(clean, other)
    (other / "_site").rename(tmp_path / "clean-site")
    for name, text in (("content/index.md", CLEAN), ("content/guide.md", GUIDE)):
        write_bytes(other, name, encode(text))  # type: ignore[operator]
    build_site(config_for(other))
    assert built_files(other) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbf---\r\ntitle: Home\r\n\r\norder: soon\r\n---\r\n",
        b"---\r\ntitle: Home\r\n\r\norder: soon\r\n---\r\n",
        b"---\rtitle: Home\r\rorder: soon\r---\r",
    ],
    ids=["bom-crlf", "crlf", "cr"],
)
def test_line_numbers_stay_right_with_bom_and_crlf(raw: bytes) -> None:
    text = decode_text(raw, "content/a.md")
    with pytest.raises(SiteError) as caught:
        parse_page(Source("content/a.md", text), "content")
    assert str(caught.value).startswith("content/a.md:4:1: error: front matter 'order'")


def test_a_file_that_is_not_utf8_names_line_and_column(make_project: MakeProject) -> None:
    root = make_project({"content/index.md": CLEAN})
    write_bytes(
        root, "content/latin1.md", "---\ntitle: x\n---\nna\xefve caf\xe9\n".encode("latin-1")
    )
    sources, errors = find_sources(config_for(root))
    assert [s.path for s in sources] == ["content/index.md"]
    assert [str(e) for e in errors] == [
        "content/latin1.md:4:3: error: file is not UTF-8 (byte 0xef)"
    ]


def test_an_empty_or_blank_file_is_an_error() -> None:
    for text in ("", "\n\n  \n"):
        with pytest.raises(SiteError) as caught:
            parse_page(Source("content/e.md", text), "content")
        assert str(caught.value) == "content/e.md:1:1: error: the file is empty"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("content/a\\b.md", "'\\\\'"),
        ("content/C:/evil.md", "':'"),
        ("content/bell\x07.md", "'\\x07'"),
        ("content/tab\tfolder/page.md", "'\\t'"),
        ("content/new\nline.md", "'\\n'"),
        ("content/what?.md", "'?'"),
        ("content/hash#tag.md", "'#'"),
        ("content/100%.md", "'%'"),
        ("content/del\x7f.md", "'\\x7f'"),
    ],
)
def test_file_and_folder_names_that_cannot_be_urls_are_refused(
    make_project: MakeProject, name: str, shown: str
) -> None:
    root = make_project({"content/index.md": CLEAN.replace("See [the guide](guide.md).", "")})
    write_bytes(root, name, b"---\ntitle: Bad name\n---\n")
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    (error,) = caught.value.errors
    assert error.where is not None and error.where.path == name
    assert f"(it contains {shown})" in error.message
    assert not (root / "_site").exists()


def test_content_linked_from_outside_the_project_is_refused(
    make_project: MakeProject, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nprivate\n")
    root = make_project({"content/index.md": "---\ntitle: Home\n---\n"})
    (root / "content" / "leak.md").symlink_to(secret)
    (root / "data").mkdir()
    (root / "data" / "leak.yml").symlink_to(secret)
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    assert [(str(e.where), e.message) for e in caught.value.errors] == [
        ("content/leak.md", "the file is a link to somewhere outside the project"),
        ("data/leak.yml", "the file is a link to somewhere outside the project"),
    ]


def test_hidden_files_and_folders_are_not_content(make_project: MakeProject) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: Home\n---\n",
            "content/.drafts/x.md": "not front matter at all",
            "content/.x.md": "",
        }
    )
    sources, errors = find_sources(config_for(root))
    assert [s.path for s in sources] == ["content/index.md"] and not errors


def test_unknown_keys_warn_only_when_they_look_like_a_typo_of_a_known_key() -> None:
    text = (
        "---\ntitle: T\ntempalte: page.html\ncolour: red\nsection: talks\n"
        "titel: oops\ndescripton: d\ntags: [a]\ndata: x\n---\n"
    )
    page, warnings = parse_page(Source("content/a.md", text), "content")
    assert [(str(w), w.hint) for w in warnings] == [
        (
            "content/a.md:3:1: warning: unknown front matter key 'tempalte': did you mean "
            "'template'?",
            "Rename it to 'template'. (Templates still see it as page.meta['tempalte'].)",
        ),
        (
            "content/a.md:6:1: warning: unknown front matter key 'titel': did you mean 'title'?",
            "Rename it to 'title'. (Templates still see it as page.meta['titel'].)",
        ),
        (
            "content/a.md:7:1: warning: unknown front matter key 'descripton': did you mean "
            "'description'?",
            "Rename it to 'description'. (Templates still see it as page.meta['descripton'].)",
        ),
    ]
    # Every key is kept, as written, for templates (page.meta.section).
    assert page.meta.written["section"] == "talks"
    assert page.meta.written["colour"] == "red" and page.meta.written["tags"] == ["a"]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            "title: T\norder: 1.5",
            "content/a.md:3:1: error: front matter 'order' must be a whole number, not float 1.5",
        ),
        (
            "title: T\norder: true",
            "content/a.md:3:1: error: front matter 'order' must be a whole number, not bool True",
        ),
        (
            "title: T\ndraft: 'yes'",
            "content/a.md:3:1: error: front matter 'draft' must be true or false, not str 'yes'",
        ),
        (
            "title: T\ndate: soon",
            "content/a.md:3:1: error: front matter 'date' must be a date (YYYY-MM-DD), not str 'soon'",
        ),
        (
            "title: T\nextra: [1]",
            "content/a.md:3:1: error: front matter 'extra' must be a mapping, not list [1]",
        ),
        ("title: 2025", "content/a.md:2:1: error: front matter 'title' must be text, not int 2025"),
        ("title:", "content/a.md:2:1: error: front matter 'title' must be text, not NoneType None"),
        (
            "title: T\ndescription: [a]",
            "content/a.md:3:1: error: front matter 'description' must be text, not list ['a']",
        ),
        (
            "title: T\nslug: a/b",
            "content/a.md:3:1: error: slug 'a/b' is not allowed: use letters, digits, '.', '-' and '_' only",
        ),
        (
            "title: T\ntemplate: /etc/passwd",
            "content/a.md:3:1: error: template '/etc/passwd' is not a template name",
        ),
        (
            "title: T\ntemplate: a\\b.html",
            "content/a.md:3:1: error: template 'a\\\\b.html' is not a template name",
        ),
        (
            "title: T\n\ndate: 2025-02-30",
            "content/a.md:4:7: error: front matter has a value YAML cannot read: day is out of range for month",
        ),
        ("", "content/a.md:2:1: error: front matter has no title"),
        (
            "just text",
            "content/a.md:2:1: error: front matter must be a mapping of keys to values, not str",
        ),
        ("title: T\ntitle: U", "content/a.md:3:1: error: front matter has the key 'title' twice"),
        (
            "title: [[[[[[[[",
            "content/a.md:2:16: error: front matter is not valid YAML: expected the node content, but found '<stream end>' (while parsing a flow node)",
        ),
    ],
)
def test_front_matter_mistakes_name_file_line_and_column(front: str, expected: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse_page(Source("content/a.md", f"---\n{front}\n---\nbody\n"), "content")
    assert str(caught.value) == expected


def test_a_data_file_mistake_names_its_line(make_project: MakeProject) -> None:
    root = make_project(
        {
            "data/a.yml": "x: 1\ny: [\n",
            "data/b.yaml": "when: 2025-02-30\n",
            "data/c.yml": "ok: true\n",
        }
    )
    data, errors = load_data(config_for(root))
    assert data["c"] == {"ok": True}
    assert [str(e).split(": error: ")[0] for e in errors] == ["data/a.yml:3:1", "data/b.yaml:1:7"]


def test_a_data_file_that_failed_raises_its_own_error_wherever_it_is_used(
    make_project: MakeProject,
) -> None:
    """So that a template or calendar reading it adds no second error, only the same one."""
    root = make_project({"data/a.yml": "x: 1\ny: [\n"})
    data, errors = load_data(config_for(root))
    uses: list[Callable[[Any], object]] = [lambda d: d.x, lambda d: d["y"], list, bool, str]
    for placeholder in (data["a"], pickle.loads(pickle.dumps(data["a"]))):
        for use in uses:
            with pytest.raises(SiteError) as caught:
                use(placeholder)
            assert str(caught.value) == str(errors[0])


def test_a_missing_content_folder_is_one_clear_error(tmp_path: Path) -> None:
    sources, errors = find_sources(config_for(tmp_path))
    assert sources == [] and [str(e) for e in errors] == [
        "error: there is no content folder content/"
    ]


def test_two_data_files_with_the_same_name_are_an_error(make_project: MakeProject) -> None:
    root = make_project({"data/event.yaml": "a: 1\n", "data/event.yml": "a: 2\n"})
    data, errors = load_data(config_for(root))
    assert data == {"event": {"a": 1}}
    assert [str(e) for e in errors] == [
        "data/event.yml: error: two data files are named 'event' (.yml and .yaml)"
    ]


@given(
    st.lists(st.sampled_from(["#", "=", " ", "\t", "\n", "\r", "x", "`", "~", "-"]), max_size=30)
)
@settings(max_examples=800, deadline=None)
def test_the_quick_look_for_a_level_1_heading_misses_none(pieces: list[str]) -> None:
    """`first_heading` skips its line scan when `MAYBE_H1` finds nothing: every line either
    heading pattern takes must be found by it."""
    text = "".join(pieces)
    if any(ATX_H1.match(line) or SETEXT_H1.match(line) for line in text.split("\n")):
        assert MAYBE_H1.search("\n" + text)
