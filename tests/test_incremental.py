"""Incremental builds: keep what did not change, render what did, and end byte-identical to a
clean build. Every test builds a small synthetic site (bench/generate.py) in a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import site_src
from bench.generate import write_site
from site_src.cache import CACHE_FILE, BuildCache
from site_src.config import Config
from site_src.errors import BuildFailed
from site_src.output import MARKER
from site_src.pipeline import BuildResult, build_site

from .conftest import config_for

PAGES = 12
ALL_PAGES = {"index.html", *(f"page-{n:05d}/index.html" for n in range(1, PAGES))}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(PAGES, tmp_path / "site", seed=7)


def build(root: Path, **options: object) -> BuildResult:
    return build_site(config_for(root), **options)  # type: ignore[arg-type]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file's bytes, inode and modification time: a rewrite changes the last two."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(folder).as_posix()] = (
                path.read_bytes(),
                info.st_ino,
                info.st_mtime_ns,
            )
    return found


def clean_build(root: Path, tmp: Path) -> dict[str, bytes]:
    """The same project built from scratch somewhere else, for byte-for-byte comparison."""
    copy = tmp / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_site", ".site_cache"))
    build(copy)
    return {name: data for name, (data, _, _) in snapshot(copy / "_site").items()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_first_build_renders_everything_and_saves_the_cache(site: Path) -> None:
    result = build(site)
    assert set(result.rendered) == ALL_PAGES
    assert {"404.html", "sitemap.xml", *ALL_PAGES} <= set(result.changed)
    assert (site / ".site_cache" / CACHE_FILE).is_file()


def test_a_no_op_rebuild_writes_nothing(site: Path) -> None:
    build(site)
    before = snapshot(site / "_site")
    cache_stat = (site / ".site_cache" / CACHE_FILE).stat()
    neighbours = sorted(p.name for p in site.iterdir())
    result = build(site)
    assert result.rendered == () and result.changed == ()
    assert result.pages == PAGES and result.files == len(set(before) - {MARKER})
    assert snapshot(site / "_site") == before
    assert (site / ".site_cache" / CACHE_FILE).stat().st_mtime_ns == cache_stat.st_mtime_ns
    assert sorted(p.name for p in site.iterdir()) == neighbours


def test_a_one_page_edit_renders_that_page_only(site: Path, tmp_path: Path) -> None:
    build(site)
    before = snapshot(site / "_site")
    edit(site / "content" / "page-00003.md", "\n## ", "\nA new sentence.\n\n## ")
    result = build(site)
    assert result.rendered == ("page-00003/index.html",)
    assert result.changed == ("page-00003/index.html",)
    after = snapshot(site / "_site")
    for name, (data, inode, _) in before.items():
        if name != "page-00003/index.html":
            assert after[name][:2] == (data, inode), name  # the very same file, hard-linked
    assert {n: d for n, (d, _, _) in after.items()} == clean_build(site, tmp_path)


def test_a_title_change_renders_every_page_that_shows_the_site_index(
    site: Path, tmp_path: Path
) -> None:
    build(site)
    edit(site / "content" / "page-00004.md", "title: ", "title: Renamed ")
    result = build(site)
    assert set(result.rendered) == ALL_PAGES
    assert "page-00004/index.html" in result.changed and "sitemap.xml" not in result.changed
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def test_links_into_an_edited_page_are_checked_again(site: Path) -> None:
    """A page that links to a heading is not rendered again, but its link is checked again
    (against the cached scans of every other page), so removing the heading fails the build."""
    build(site)
    target = next(
        (page, href)
        for page in sorted((site / "content").glob("*.md"))
        for href in page.read_text().split("](")[1:]
        if "#" in href.split(")")[0] and not href.startswith(page.name)
    )
    linked_file, anchor = target[1].split(")")[0].split("#")
    heading = anchor.replace("-", " ").capitalize()
    before = snapshot(site / "_site")
    edit(site / "content" / linked_file, f"## {heading}", "## Something else entirely")
    with pytest.raises(BuildFailed) as caught:
        build(site)
    assert any(
        anchor in e.message and e.where and e.where.path == f"content/{target[0].name}"
        for e in caught.value.errors
    )
    assert snapshot(site / "_site") == before


@pytest.mark.parametrize(
    "change",
    [
        ("templates/base.html", "<main>", '<main class="x">'),
        ("site.yml", "title: Synthetic site", "title: Another site"),
        ("static/site.css", "16px", "17px"),
    ],
)
def test_a_template_config_or_asset_change_renders_everything(
    site: Path, tmp_path: Path, change: tuple[str, str | None, str]
) -> None:
    build(site)
    name, old, new = change
    path = site / name
    if old is None:
        path.parent.mkdir(exist_ok=True)
        path.write_text(new)
    else:
        edit(path, old, new)
    result = build(site)
    assert set(result.rendered) == ALL_PAGES
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def rendered_pages(result: BuildResult) -> set[str]:
    return set(result.rendered)


def test_a_data_file_re_renders_only_the_pages_that_read_it(site: Path, tmp_path: Path) -> None:
    (site / "data").mkdir(exist_ok=True)
    (site / "data" / "event.yml").write_text("guests: '2,000'\n", encoding="utf-8")
    (site / "data" / "other.yml").write_text("colour: red\n", encoding="utf-8")
    edit(site / "content" / "page-00003.md", "\n\n", "\n\nGuests: {{ data.event.guests }}.\n\n")
    build(site)
    assert "Guests: 2,000." in (site / "_site" / "page-00003" / "index.html").read_text()

    (site / "data" / "other.yml").write_text("colour: blue\n", encoding="utf-8")
    assert rendered_pages(build(site)) == set()  # nothing reads data/other.yml

    (site / "data" / "event.yml").write_text("guests: '3,100'\n", encoding="utf-8")
    result = build(site)
    assert rendered_pages(result) == {"page-00003/index.html"}
    assert "Guests: 3,100." in (site / "_site" / "page-00003" / "index.html").read_text()
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def test_a_config_value_re_renders_only_the_pages_that_read_it(site: Path, tmp_path: Path) -> None:
    config = site / "site.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "extra:\n  note: one\n  other: x\n", encoding="utf-8"
    )
    edit(site / "content" / "page-00005.md", "\n\n", "\n\nNote: {{ site.extra.note }}.\n\n")
    build(site)
    edit(config, "other: x", "other: y")
    assert set(build(site).rendered) == set()  # nothing reads site.extra.other
    edit(config, "note: one", "note: two")
    assert set(build(site).rendered) == {"page-00005/index.html"}
    assert "Note: two." in (site / "_site" / "page-00005" / "index.html").read_text()
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def test_data_a_template_reads_makes_every_page_depend_on_it(site: Path, tmp_path: Path) -> None:
    (site / "data").mkdir(exist_ok=True)
    (site / "data" / "event.yml").write_text("name: Yunqi\n", encoding="utf-8")
    edit(site / "templates" / "base.html", "<main>", "<main>{{ data.event.name }}")
    build(site)
    (site / "data" / "event.yml").write_text("name: Yunqi 2026\n", encoding="utf-8")
    assert rendered_pages(build(site)) == ALL_PAGES
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def test_a_data_file_that_appears_re_renders_the_pages_that_looked_for_it(site: Path) -> None:
    edit(
        site / "content" / "page-00002.md",
        "\n\n",
        "\n\n{% if data.late is defined %}Late: {{ data.late.word }}.{% endif %}\n\n",
    )
    build(site)
    (site / "data").mkdir(exist_ok=True)
    (site / "data" / "late.yml").write_text("word: here\n", encoding="utf-8")
    assert rendered_pages(build(site)) == {"page-00002/index.html"}
    assert "Late: here." in (site / "_site" / "page-00002" / "index.html").read_text()


def test_a_page_that_lists_the_data_files_depends_on_all_of_them(site: Path) -> None:
    (site / "data").mkdir(exist_ok=True)
    (site / "data" / "a.yml").write_text("x: 1\n", encoding="utf-8")
    edit(site / "content" / "page-00004.md", "\n\n", "\n\nFiles: {{ data|length }}.\n\n")
    build(site)
    (site / "data" / "b.yml").write_text("y: 2\n", encoding="utf-8")
    assert rendered_pages(build(site)) == {"page-00004/index.html"}
    assert "Files: 2." in (site / "_site" / "page-00004" / "index.html").read_text()


def test_a_deleted_page_disappears_from_the_output(site: Path, tmp_path: Path) -> None:
    build(site)
    for page in (site / "content").glob("*.md"):  # nothing may link to the page we delete
        text = page.read_text(encoding="utf-8")
        page.write_text(re.sub(r"\]\(page-00005\.md[^)]*\)", "](index.md)", text), encoding="utf-8")
    (site / "content" / "page-00005.md").unlink()
    result = build(site)
    assert "page-00005/index.html" in result.changed
    assert not (site / "_site" / "page-00005").exists()
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def test_a_corrupt_cache_means_a_full_build(site: Path, tmp_path: Path) -> None:
    build(site)
    (site / ".site_cache" / CACHE_FILE).write_bytes(b"not a cache at all")
    result = build(site)
    assert set(result.rendered) == ALL_PAGES
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],
        lambda raw: raw.replace(b'"files":{', b'"files":{"stray.html":[1,2],', 1),
        lambda raw: b'{"format": 1}',
    ],
)
def test_a_truncated_or_misshapen_cache_means_a_full_build(
    site: Path, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    build(site)
    path = site / ".site_cache" / CACHE_FILE
    path.write_bytes(damage(path.read_bytes()))
    (site / "_site" / "index.html").write_text("stale")  # only a full build repairs both
    result = build(site)
    assert set(result.rendered) == ALL_PAGES
    assert {n: d for n, (d, _, _) in snapshot(site / "_site").items()} == clean_build(
        site, tmp_path
    )


def test_a_cache_from_another_project_is_not_used(site: Path, tmp_path: Path) -> None:
    """Another project's cache describes other files, even where names, sizes and times match."""
    long_ago = time.time_ns() - 86_400 * 10**9
    for path in (site / "content").glob("*.md"):
        os.utime(path, ns=(long_ago, long_ago))
    build(site)
    other = tmp_path / "other"
    shutil.copytree(site, other, ignore=shutil.ignore_patterns("_site"))
    source = other / "content" / "page-00003.md"
    text = source.read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", text, re.M)[1]  # type: ignore[index]
    source.write_text(text.replace(title, title[::-1], 1), encoding="utf-8")
    os.utime(source, ns=(long_ago, long_ago))
    build(other)
    assert title[::-1] in (other / "_site" / "page-00003" / "index.html").read_text()
    assert {n: d for n, (d, _, _) in snapshot(other / "_site").items()} == clean_build(
        other, tmp_path
    )


def test_a_cache_from_another_engine_version_means_a_full_build(site: Path) -> None:
    build(site)
    folder = site / ".site_cache"
    cache = BuildCache.load(folder, site)
    assert cache.files
    cache.engine = "site_src 0.0.0 with other libraries"
    cache.save(folder)
    assert not BuildCache.load(folder, site).files
    assert set(build(site).rendered) == ALL_PAGES


def test_damaged_output_is_detected_and_repaired(site: Path, tmp_path: Path) -> None:
    build(site)
    out = site / "_site"
    (out / "page-00002" / "index.html").unlink()
    (out / "page-00006" / "index.html").write_text("edited by hand")
    (out / "stray.txt").write_text("left over")
    result = build(site)
    assert set(result.rendered) == {"page-00002/index.html", "page-00006/index.html"}
    assert not (out / "stray.txt").exists()
    assert {n: d for n, (d, _, _) in snapshot(out).items()} == clean_build(site, tmp_path)


def test_a_failed_incremental_build_keeps_the_site_and_the_cache(
    site: Path, tmp_path: Path
) -> None:
    build(site)
    before = snapshot(site / "_site")
    page = site / "content" / "page-00003.md"
    good = page.read_text()
    page.write_text(good + "\n[gone](missing.md)\n")
    with pytest.raises(BuildFailed):
        build(site)
    assert snapshot(site / "_site") == before
    page.write_text(good)
    result = build(site)
    assert result.rendered == ()
    assert snapshot(site / "_site") == before


def test_an_in_memory_cache_is_updated_and_never_written(site: Path) -> None:
    """How a long-running process (the dev server) keeps the cache between rebuilds."""
    config: Config = replace(config_for(site), cache_dir=site / "no-cache-here")
    cache = BuildCache()
    assert set(build_site(config, cache=cache).rendered) == ALL_PAGES
    edit(site / "content" / "page-00001.md", "\n## ", "\nEdited.\n\n## ")
    assert build_site(config, cache=cache).changed == ("page-00001/index.html",)
    assert build_site(config, cache=cache).changed == ()
    assert not (site / "no-cache-here").exists()


def test_check_mode_uses_the_cache_but_writes_nothing(site: Path) -> None:
    build(site)
    before = snapshot(site / "_site")
    cache_stat = (site / ".site_cache" / CACHE_FILE).stat()
    edit(site / "content" / "page-00003.md", "\n## ", "\n[gone](missing.md)\n\n## ")
    with pytest.raises(BuildFailed):
        build(site, write=False)
    assert snapshot(site / "_site") == before
    assert os.stat(site / ".site_cache" / CACHE_FILE).st_mtime_ns == cache_stat.st_mtime_ns


def build_with_engine(root: Path, engine: Path) -> None:
    """`python -m site_src` in `root` as a user runs it, importing the engine found in `engine`."""
    environment = {k: v for k, v in os.environ.items() if k != "SITE_BASE_URL"}
    environment["PYTHONPATH"] = str(engine)
    done = subprocess.run(
        [sys.executable, "-m", "site_src", "--quiet"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def test_an_edit_of_the_engine_code_renders_everything_again(site: Path, tmp_path: Path) -> None:
    """Same version number, different code: the cache must not keep what the old code made."""
    engine = tmp_path / "engine"
    package = Path(site_src.__file__).parent
    shutil.copytree(package, engine / "site_src", ignore=shutil.ignore_patterns("__pycache__"))
    build_with_engine(site, engine)
    before = snapshot(site / "_site")
    edit(engine / "site_src" / "markdown.py", 'permalinkSymbol="#"', 'permalinkSymbol="§"')
    build_with_engine(site, engine)
    after = {n: d for n, (d, _, _) in snapshot(site / "_site").items()}
    assert after != {n: d for n, (d, _, _) in before.items()}
    assert "§</a>" in after["index.html"].decode()
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("_site", ".site_cache"))
    build_with_engine(clean, engine)
    assert after == {n: d for n, (d, _, _) in snapshot(clean / "_site").items()}
