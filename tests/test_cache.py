"""The cache file and the checks that decide whether the output folder can be trusted."""

from __future__ import annotations

import os
from pathlib import Path

from site_src.cache import (
    CACHE_FILE,
    BuildCache,
    FileRecord,
    Parsed,
    changed_paths,
    digest_of,
    engine_digest,
    record_of,
    trusted_files,
)
from site_src.links import PageScan
from site_src.model import FrontMatter, Link, Page


def a_cache(out: Path) -> BuildCache:
    out.mkdir(parents=True, exist_ok=True)
    cache = BuildCache(engine_digest(), output_dir=str(out))
    for name in ("index.html", "a/index.html"):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
        cache.files[name] = record_of(path, "key", digest_of(name))
    return cache


def test_a_saved_cache_loads_back_equal(tmp_path: Path) -> None:
    cache = a_cache(tmp_path / "out")
    page = Page("content/a.md", "/a/", FrontMatter("A", lines={"title": 2}), "", 4, "")
    cache.parsed["content/a.md"] = Parsed("digest", page, ())
    cache.scans["a/index.html"] = PageScan(
        "/a/", "content/a.md", frozenset({"x"}), (("/b/", 3),), (), (Link("/b/", 5, 2),)
    )
    cache.save(tmp_path / "cache")
    assert BuildCache.load(tmp_path / "cache") == cache
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [CACHE_FILE]


def test_missing_corrupt_or_foreign_caches_load_empty(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    assert BuildCache.load(folder).files == {}
    folder.mkdir()
    for damage in (b"", b"\x80\x05garbage", b"just text"):
        (folder / CACHE_FILE).write_bytes(damage)
        loaded = BuildCache.load(folder)
        assert loaded.files == {} and loaded.engine == engine_digest()
    stale = a_cache(tmp_path / "out")
    stale.engine = "an older engine"
    stale.save(folder)
    assert BuildCache.load(folder).files == {}


def test_untouched_output_is_trusted_exactly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cache = a_cache(out)
    assert trusted_files(cache, out) == ({"index.html", "a/index.html"}, True)


def test_edited_deleted_and_stray_files_are_noticed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cache = a_cache(out)
    (out / "stray.txt").write_text("x")
    assert trusted_files(cache, out) == ({"index.html", "a/index.html"}, False)
    (out / "stray.txt").unlink()
    (out / "a" / "index.html").unlink()
    assert trusted_files(cache, out) == ({"index.html"}, False)
    info = (out / "index.html").stat()
    (out / "index.html").write_text("same size!")
    os.utime(out / "index.html", ns=(info.st_atime_ns, info.st_mtime_ns + 1))
    assert trusted_files(cache, out) == (set(), False)


def test_a_cache_for_another_output_folder_trusts_nothing(tmp_path: Path) -> None:
    cache = a_cache(tmp_path / "out")
    (tmp_path / "elsewhere").mkdir()
    assert trusted_files(cache, tmp_path / "elsewhere") == (set(), False)


def test_changed_paths_compare_bytes_not_files() -> None:
    old = {"a": FileRecord("k", "1", 1, 1, 1), "b": FileRecord("k", "2", 1, 1, 2)}
    new = {"a": FileRecord("k2", "1", 1, 9, 9), "c": FileRecord("k", "3", 1, 1, 3)}
    assert changed_paths(old, new) == ["b", "c"]


def test_the_engine_digest_is_stable_within_a_process() -> None:
    assert engine_digest() == engine_digest()
    assert digest_of("a", 1) != digest_of("a", 2)
