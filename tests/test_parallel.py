"""Rendering on every core: same bytes as one process, and a link scan that sees what a parser sees."""

from __future__ import annotations

import threading
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench.generate import write_site
from site_src.errors import BuildFailed
from site_src.links import scan_html
from site_src.parallel import PARALLEL_THRESHOLD, start_method
from site_src.pipeline import build_site

from .conftest import REPO, SAMPLE, config_for


def contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_parallel_build_gives_the_same_bytes_as_one_process(tmp_path: Path) -> None:
    """Enough pages that front matter is also parsed in workers."""
    root = write_site(PARALLEL_THRESHOLD * 4, tmp_path / "site", seed=3)
    config = config_for(root)
    one = replace(config, output_dir=tmp_path / "one", cache_dir=tmp_path / "cache-one")
    many = replace(config, output_dir=tmp_path / "many", cache_dir=tmp_path / "cache-many")
    first = build_site(one, processes=1)
    second = build_site(many, processes=2)
    assert first.pages == second.pages == PARALLEL_THRESHOLD * 4
    assert len(second.rendered) == PARALLEL_THRESHOLD * 4
    assert contents(tmp_path / "one") == contents(tmp_path / "many")


def test_parallel_build_reports_errors_from_workers(tmp_path: Path) -> None:
    root = write_site(PARALLEL_THRESHOLD * 2, tmp_path / "site", seed=3)
    page = root / "content" / "page-00007.md"
    page.write_text(page.read_text() + "\n[gone](missing.md)\n")
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root), processes=2)
    assert [e.where.path for e in caught.value.errors if e.where] == ["content/page-00007.md"]
    assert not (root / "_site").exists()


def test_front_matter_errors_found_in_workers_are_all_reported(tmp_path: Path) -> None:
    root = write_site(PARALLEL_THRESHOLD * 4, tmp_path / "site", seed=3)
    for number in (3, 50):
        page = root / "content" / f"page-{number:05d}.md"
        page.write_text(page.read_text().replace("order: ", "order: x", 1))
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root), processes=2)
    where = sorted(str(e.where) for e in caught.value.errors if "order" in e.message)
    assert where == ["content/page-00003.md:4:1", "content/page-00050.md:4:1"]


def test_workers_are_forked_only_when_no_other_thread_runs() -> None:
    assert start_method() in ("fork", "forkserver", "spawn")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert start_method() != "fork"
    finally:
        stop.set()
        thread.join()


class _Reference(HTMLParser):
    """The standard library's view of a document's ids and links, to check the fast scanner."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[tuple[str, int]] = []
        self.refs: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        rel = (dict(attrs).get("rel") or "").split()
        hint = tag == "link" and bool(
            {"canonical", "alternate", "preconnect", "dns-prefetch"} & set(rel)
        )
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.append((value, line))
            elif name in {"href", "src", "poster", "action", "data"} and not hint:
                self.refs.append((value, line))
            elif name == "srcset":
                self.refs.extend((i.split()[0], line) for i in value.split(",") if i.strip())

    handle_startendtag = handle_starttag


def reference_scan(text: str) -> tuple[set[str], list[tuple[str, int]]]:
    parser = _Reference()
    parser.feed(text)
    parser.close()
    return {value for value, _ in parser.ids}, parser.refs


TRICKY = [
    '<a href="/a/" id=x>one</a><a HREF=\'/b/\' data-x="1 > 2">two</a>',
    '<!-- <a href="/commented/"> -->\n<img src="/i.png" alt="a > b" srcset="/a.png 1x, /b.png 2x">',
    '<script>if (a < b) { document.write("<a href=/no/>") }</script>\n<a href="/yes/">',
    '<style>a::after { content: "<a href=/no/>" }</style><p id="a&amp;b">x</p>',
    '<link rel="canonical" href="https://x/"><link rel="stylesheet" href="/s.css">',
    '<input disabled id="f"><br/><a\nhref="/multi/"\n>x</a><![CDATA[<a href="/cdata/">]]>',
    # Tags the scanner skips without reading them: no attribute it wants, outside quotes.
    '<span title="<a href=\'/in-attr/\'>" class="k">x</span><img data-src="/l.png" alt="id=3">',
    "<td><p title='a > b' id=bare><p class=\"x\"id=\"after-quote\"><a class='y'href=/q/>",
    '<a hreflang="en" href = "/spaced/" ><object data="/o.svg"></object><form action="/f/">',
    '<video poster="/p.png"></video><a/href="/slash/">s</a><a href="/x/?a=1&amp;b=2" id="">',
    '<!-->< a href="/z/"><!---><a href="/w/"><!--x--><a href="/v/">',
    '<SCRIPT type="module">document.write(\'<a href="/no/">\')</SCRIPT><A HREF="/yes/">',
]


@pytest.mark.parametrize("snippet", TRICKY)
def test_scanner_agrees_with_the_html_parser_on_tricky_markup(snippet: str) -> None:
    scan = scan_html(snippet, "/", "x.md")
    ids, refs = reference_scan(snippet)
    assert (set(scan.ids), list(scan.refs)) == (ids, refs)


def test_scanner_agrees_with_the_html_parser_on_built_sites(tmp_path: Path) -> None:
    builds = []
    for name, root in (("real", REPO), ("sample", SAMPLE), ("synthetic", None)):
        if root is None:
            root = write_site(20, tmp_path / "synthetic-project", seed=5)
        config = replace(
            config_for(root), output_dir=tmp_path / name, cache_dir=tmp_path / f"c-{name}"
        )
        build_site(config)
        builds.append(tmp_path / name)
    checked = 0
    for folder in builds:
        for page in folder.rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            scan = scan_html(text, "/", "x.md")
            ids, refs = reference_scan(text)
            assert (set(scan.ids), list(scan.refs)) == (ids, refs), page
            checked += 1
    assert checked > 30
