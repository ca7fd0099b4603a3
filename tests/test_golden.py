"""Whole rendered pages of tests/sample-project compared file by file with tests/golden/sample/.

The golden files are made with the versions in `requirements/test.lock`. HTML is compared after
spelling every character reference in text the same way, because how a dependency escapes text
(Pygments 2.21 writes `"` where 2.20 wrote `&quot;`) is not ours and must not fail a user's
install of a newer release; tags, attributes and text stay compared exactly.

Regenerate after an intended change:  python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import html
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_src.pipeline import build_site

from .conftest import config_for

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample"


def all_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class _Canonical(HTMLParser):
    """Re-serialises HTML with text escaped one way; markup is kept byte for byte."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(self.get_starttag_text() or "")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        self.parts.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.parts.append(f"<!{decl}>")


def canonical(name: str, content: bytes) -> str:
    text = content.decode()
    if not name.endswith(".html"):
        return text
    parser = _Canonical()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def test_canonical_form_ignores_only_text_escaping() -> None:
    assert canonical("a.html", b'<p class="x">&quot;a&#39;</p>') == canonical(
        "a.html", b'<p class="x">"a\'</p>'
    )
    assert canonical("a.html", b'<p class="x">a</p>') != canonical("a.html", b'<p class="y">a</p>')
    assert canonical("a.html", b"<p>a</p>") != canonical("a.html", b"<p>b</p>")


def test_sample_site_matches_golden_files(
    sample: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    out = tmp_path / "out"
    build_site(config_for(sample, output_dir=str(out)))
    built = all_files(out)
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
        pytest.skip("golden files rewritten")
    expected = all_files(GOLDEN)
    assert sorted(built) == sorted(expected), "the set of output files changed"
    for name, content in expected.items():
        assert canonical(name, built[name]) == canonical(name, content), (
            f"{name} differs from the golden copy"
        )
