"""A real folder of Markdown written for another generator builds with the built-in theme and
reports only what is really wrong in it: MkDocs' own docs/ (tests/fixtures/mkdocs-docs)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from site_src.errors import BuildFailed
from site_src.pipeline import build_site

from .conftest import config_for

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "mkdocs-docs"

# Each problem the build reports, at its place, and why it is really wrong in the original.
EXPECTED = [
    # The page's only line is `--8<-- "CONTRIBUTING.md"`, a pymdownx.snippets include of a file
    # outside docs/: read as Markdown (and on GitHub) the page is that line, with no title.
    ("error", "docs/about/contributing.md", 1, "the page has no title"),
    # `../user-guide/configuration.md/#enabled-option`: the slash after `.md` makes it a folder
    # that does not exist; MkDocs leaves such a link as it is, and it is a 404 there too.
    ("error", "docs/about/release-notes.md", 124, "broken link: ../user-guide/configuration.md/"),
    # cli.md is one `::: mkdocs-click` directive: the headings (and so #mkdocs-get-deps) are made
    # by a plugin; the Markdown has no such heading.
    ("error", "docs/about/release-notes.md", 335, "broken link: ../user-guide/cli.md#mkdocs-get"),
    # `[MkDocs favicon]: img/favicon.ico`: there is no docs/img/favicon.ico (MkDocs' theme adds
    # one to its output); on GitHub the link is a 404.
    ("error", "docs/getting-started.md", 133, "missing file: img/favicon.ico"),
    # Raw HTML `<a href="user-guide/choosing-your-theme">`: the page is .../choosing-your-theme/,
    # which a server only reaches by a redirect (MkDocs writes the same link).
    ("warning", "docs/index.md", 30, "link user-guide/choosing-your-theme has no trailing slash"),
]


@pytest.fixture
def mkdocs_docs(tmp_path: Path) -> Path:
    root = tmp_path / "mkdocs-docs"
    shutil.copytree(FIXTURE, root)
    return root


def test_mkdocs_docs_report_only_real_problems(mkdocs_docs: Path) -> None:
    with pytest.raises(BuildFailed) as failed:
        build_site(config_for(mkdocs_docs), processes=1)
    found = sorted(
        (e.severity, e.where.path, e.where.line, e.message)
        for e in failed.value.errors
        if e.where is not None
    )
    assert len(found) == len(failed.value.errors)
    assert [(s, p, n) for s, p, n, _ in found] == [(s, p, n) for s, p, n, _ in EXPECTED]
    for (_, _, _, message), (_, _, _, start) in zip(found, EXPECTED, strict=True):
        assert message.startswith(start), message


def test_a_stray_jinja_tag_in_imported_docs_is_one_error_naming_the_switch(
    mkdocs_docs: Path,
) -> None:
    """Without `macros: false`, the one `{{ ... }}` MkDocs shows as text is an error at its line."""
    config = mkdocs_docs / "site.yml"
    config.write_text(config.read_text().replace("macros: false", "macros: true"))
    with pytest.raises(BuildFailed) as failed:
        build_site(config_for(mkdocs_docs), processes=1)
    (error,) = [e for e in failed.value.errors if "in Markdown" in e.message]
    assert error.where is not None
    assert (error.where.path, error.where.line) == ("docs/about/release-notes.md", 1695)
    assert "'base_url' is undefined" in error.message
    assert error.hint is not None and "macros: false" in error.hint


def test_mkdocs_docs_images_beside_pages_are_published_with_their_size(
    mkdocs_docs: Path,
) -> None:
    """With the real problems fixed, the site builds: every image beside the pages is shown
    with its real size, anchors written `**term**{ #id }` exist, and CNAME is published."""
    docs = mkdocs_docs / "docs"
    # What the snippet would include: the headings other pages link to.
    headings = ("Installing for development", "Submitting Pull Requests")
    (docs / "about/contributing.md").write_text(
        "# Contributing\n"
        + "".join(f"\n## {h}\n" for h in (*headings, "Submitting Changes to the Builtin Themes"))
    )
    notes = docs / "about/release-notes.md"
    text = notes.read_text().replace("configuration.md/#", "configuration.md#")
    notes.write_text(text.replace("cli.md#mkdocs-get-deps", "cli.md"))
    (docs / "img/favicon.ico").write_bytes(b"\0\0\1\0")
    build_site(config_for(mkdocs_docs), processes=1)
    site = mkdocs_docs / "_site"
    html = (site / "user-guide/choosing-your-theme/index.html").read_text()
    assert 'id="mkdocs-locale"' in html and 'id="readthedocs-locale"' in html
    shown = 0
    for page in site.rglob("*.html"):
        for tag, src in re.findall(r'(?=(<img src="/([^"]*)"[^>]*>))', page.read_text()):
            with Image.open(site / src) as image:
                assert f'width="{image.width}" height="{image.height}"' in tag, tag
            shown += 1
    assert shown == 9  # the Markdown images; two more are raw HTML, left as written
    assert (site / "CNAME").read_text() == (docs / "CNAME").read_text()
