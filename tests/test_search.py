"""Site search (`search: true`): the Pagefind index of `tests/growing-site` built through the
command line, read back from Pagefind's own files; what a build without search does not do; the
refusals (Pagefind missing, a failed index); and the dev server's index made on demand. The search
box in a browser is tested in tests/browser/test_search.py."""

from __future__ import annotations

import gzip
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from site_src.serve import Event, Indexed
from tests.serving import dev_server, wait_until
from tests.support.requirements import REPO
from tests.support.site_build import PUBLISHED_BASE_URL, build_or_fail, build_site_cli
from tests.test_devserver import free_port, serving_line, start
from tests.test_page_weight import BUDGET

GROWING = Path(__file__).resolve().parent / "growing-site"
INDEXED = {
    "/REPO/",
    "/REPO/schedule/",
    "/REPO/news/",
    "/REPO/news/update-1/",
    "/REPO/news/update-2/",
    "/REPO/news/update-3/",
    "/REPO/news/update-4/",
    "/REPO/news/update-5/",
    "/REPO/news/archive/",
    "/REPO/news/archive/recap-2024/",
}
# Makes `pagefind` impossible to import in a child Python, as if it were not installed.
WITHOUT_PAGEFIND = """
import importlib.abc, runpy, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pagefind", "pagefind_bin"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
sys.argv = sys.argv[1:]  # build.py and its options
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def copy_project(folder: Path, search: bool = True) -> Path:
    root = Path(shutil.copytree(GROWING, folder / "project"))
    if not search:
        config = root / "site.yml"
        config.write_text(config.read_text().replace("search: true\n", ""), encoding="utf-8")
    return root


def fragments(site: Path) -> dict[str, dict[str, object]]:
    """Every page in the index, by URL: Pagefind's fragment files are gzipped JSON after a
    `pagefind_dcd` signature."""
    found = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(b"pagefind_dcd"), path
        fragment = json.loads(raw[len(b"pagefind_dcd") :])
        found[fragment["url"]] = fragment
    return found


def drain(events: queue.Queue[Event]) -> list[Event]:
    found = []
    while not events.empty():
        found.append(events.get_nowait())
    return found


def tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("search"))
    return build_or_fail(root.parent / "_site", PUBLISHED_BASE_URL, root)


def test_the_index_covers_every_page_but_those_left_out(site: Path) -> None:
    assert set(fragments(site)) == INDEXED
    # Left out, though built: `search: false`, the 404 page, a list page 2, redirect pages.
    for path in ["privacy/index.html", "404.html", "news/page/2/index.html", "program/index.html"]:
        assert (site / path).is_file(), path


def test_the_index_holds_each_pages_title_and_text_not_its_navigation(site: Path) -> None:
    found = fragments(site)
    schedule, news = found["/REPO/schedule/"], found["/REPO/news/"]
    assert schedule["meta"] == {"title": "Schedule"}
    assert "The keynote is about zeppelins" in str(schedule["content"])
    assert "When each talk happens" in str(schedule["content"])  # the description
    # A section's list of pages and the site's navigation belong to the pages they name.
    assert "Update 5" not in str(news["content"]) and "Privacy" not in str(news["content"])
    assert not any("marmalade" in str(page["content"]) for page in found.values())


def test_every_page_has_the_search_box_and_only_the_indexed_mark_their_text(site: Path) -> None:
    for path in ["index.html", "privacy/index.html", "news/page/2/index.html", "404.html"]:
        html = (site / path).read_text(encoding="utf-8")
        assert '<form class="site-search" id="site-search" role="search" hidden' in html, path
        assert 'data-bundle="/REPO/pagefind/"' in html, path
    marked = (site / "schedule/index.html").read_text(encoding="utf-8")
    assert marked.count("data-pagefind-body") == 3  # title, description, text
    for path in ["privacy/index.html", "news/page/2/index.html", "404.html"]:
        assert "data-pagefind-body" not in (site / path).read_text(encoding="utf-8"), path


def pagefind_modules_after_a_build(root: Path) -> list[str]:
    """Build `root` in a fresh Python; the pagefind modules it imported."""
    script = (
        "import sys; from pathlib import Path\n"
        "from site_src.config import load_config; from site_src.pipeline import build_site\n"
        f"build_site(load_config(Path({str(root)!r}), environ={{}}), processes=1)\n"
        "print(sorted(m for m in sys.modules if m.startswith('pagefind')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().replace("'", '"')))


def test_a_build_without_search_neither_imports_nor_runs_pagefind(tmp_path: Path) -> None:
    without = copy_project(tmp_path / "off", search=False)
    assert pagefind_modules_after_a_build(without) == []
    site = without / "_site"
    assert not (site / "pagefind").exists()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "pagefind" not in text and "site-search" not in text, page
    # The same build with search on does import it: the check above can fail.
    assert "pagefind.index" in pagefind_modules_after_a_build(copy_project(tmp_path / "on"))


def test_search_without_pagefind_installed_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    command = [sys.executable, "-c", WITHOUT_PAGEFIND, str(REPO / "build.py"), "--quiet"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    line = (root / "site.yml").read_text().splitlines().index("search: true") + 1
    assert done.returncode == 1, done.stderr
    assert f"site.yml:{line}:1: error: search: true needs Pagefind" in done.stderr
    assert 'pip install "site-src[search]"' in done.stderr
    assert "Traceback" not in done.stderr and not (root / "_site").exists()


def test_a_failed_index_leaves_the_published_site_as_it_was(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    site = build_or_fail(tmp_path / "_site", PUBLISHED_BASE_URL, root)
    before = tree(site)
    page = root / "content" / "schedule.md"
    page.write_text(page.read_text() + "\nA new word: quokka.\n", encoding="utf-8")
    broken = tmp_path / "pagefind"  # a Pagefind binary that dies, as one out of memory does
    broken.write_text("#!/bin/sh\necho 'out of memory' >&2\nexit 3\n")
    broken.chmod(0o755)
    os.environ["PAGEFIND_BINARY_PATH"] = str(broken)
    try:
        failed = build_site_cli(site, PUBLISHED_BASE_URL, root)
    finally:
        del os.environ["PAGEFIND_BINARY_PATH"]
    assert failed.returncode == 1
    assert "the search index could not be written: Pagefind failed" in failed.stderr
    assert tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "pagefind", "project"]
    # Once Pagefind works again, the edit is built and indexed.
    build_or_fail(site, PUBLISHED_BASE_URL, root)
    assert "quokka" in str(fragments(site)["/REPO/schedule/"]["content"])


def test_the_dev_server_indexes_when_the_index_is_first_asked_for(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    with dev_server(root) as running:
        folder = running.server.state.current.folder
        assert folder is not None and not (folder / "pagefind").exists(), "builds leave it out"
        status, _headers, body = running.get("/REPO/pagefind/pagefind-entry.json")
        assert status == 200 and json.loads(body)["languages"]
        assert set(fragments(folder)) == INDEXED
        indexed = [e for e in drain(running.events) if isinstance(e, Indexed)]
        assert [(e.pages, e.problem) for e in indexed] == [(len(INDEXED), None)]
        running.get("/REPO/pagefind/pagefind-entry.json")  # the same build: indexed once
        assert not [e for e in drain(running.events) if isinstance(e, Indexed)]
        page = root / "content" / "schedule.md"
        page.write_text(page.read_text() + "\nA new word: quokka.\n", encoding="utf-8")
        assert not running.next_outcome().errors
        assert "quokka" in running.page("schedule/")
        assert "quokka" not in json.dumps(fragments(folder)), "the rebuild did not index"
        status, _headers, _body = running.get("/REPO/pagefind/pagefind.js")
        assert status == 200
        wait_until(lambda: "quokka" in str(fragments(folder)["/REPO/schedule/"]["content"]))


def test_search_must_be_true_or_false(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    config = root / "site.yml"
    config.write_text(config.read_text().replace("search: true", "search: yes please"))
    done = build_site_cli(tmp_path / "_site", None, root)
    assert done.returncode == 1
    assert re.search(
        r"site\.yml:\d+:1: error: config key 'search' must be a true/false", done.stderr
    )


def test_search_needs_the_output_folders_pagefind_folder(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "static" / "pagefind").mkdir(parents=True)
    (root / "static" / "pagefind" / "pagefind.js").write_text("// someone else's\n")
    done = build_site_cli(tmp_path / "_site", PUBLISHED_BASE_URL, root)
    assert done.returncode == 1
    assert re.search(
        r"writes pagefind/pagefind\.[0-9a-f]{10}\.js, but search: true needs", done.stderr
    )
    assert "site.yml:" in done.stderr and not (tmp_path / "_site").exists()


def test_pages_with_the_search_box_stay_within_the_page_weight_budget(site: Path) -> None:
    css = b"".join(p.read_bytes() for p in (site / "css").glob("*.css"))
    for page in site.rglob("*.html"):
        size = len(gzip.compress(page.read_bytes())) + len(gzip.compress(css))
        assert size < BUDGET, f"{page.relative_to(site)}: {size} bytes compressed"


def test_search_in_front_matter_must_be_true_or_false(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    page = root / "content" / "privacy.md"
    page.write_text(page.read_text().replace("search: false", "search: no thanks"))
    done = build_site_cli(tmp_path / "_site", PUBLISHED_BASE_URL, root)
    assert done.returncode == 1
    assert (
        "content/privacy.md:5:1: error: front matter 'search' must be true or false" in done.stderr
    )


def test_serve_says_when_it_indexed_for_search(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    port = free_port()
    process = start(root, port, tmp_path)
    try:
        serving_line(process)
        url = f"http://127.0.0.1:{port}/REPO/pagefind/pagefind.js"
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.status == 200
        assert process.stdout is not None
        lines = sorted(process.stdout.readline() for _ in range(2))  # the first build, the index
        assert lines[0].startswith(f"Indexed {len(INDEXED)} pages for search in "), lines
        assert lines[1].startswith("Rebuilt in "), lines
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    finally:
        process.kill() if process.poll() is None else None
