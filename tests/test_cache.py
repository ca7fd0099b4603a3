"""The cache file and the checks that decide whether the output folder can be trusted."""

from __future__ import annotations

import datetime
import json
import os
import shutil
from dataclasses import fields, replace
from pathlib import Path

from site_src.cache import (
    CACHE_FILE,
    OLD_CACHE_FILES,
    BuildCache,
    changed_paths,
    digest_bytes,
    digest_of,
    engine_digest,
    record_of,
    trusted_files,
    verified_output,
)
from site_src.cachefile import FORMAT
from site_src.errors import Location, SiteError
from site_src.links import PageScan
from site_src.model import FileRecord, FrontMatter, Link, PageInfo, Parsed

from .conftest import planted_pickle

PROJECT = Path("/projects/site")


def a_cache(out: Path) -> BuildCache:
    out.mkdir(parents=True, exist_ok=True)
    cache = BuildCache(engine_digest(), output_dir=str(out), project=str(PROJECT))
    for name in ("index.html", "a/index.html"):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
        reads = ("event", "figures") if name == "index.html" else ()
        cache.files[name] = record_of(path, "key", digest_of(name), reads)
    return cache


# Everything YAML's safe loader can make, in the places JSON has no word for.
EXTRA = {
    "text": "ä \u2028 </script>",
    "numbers": [0, -1, 2**80, 1.5, float("inf"), True, None],
    "when": datetime.date(2025, 9, 24),
    "at": datetime.datetime(
        2025, 9, 24, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    ),
    "raw": b"\x00\xff",
    "set": {1, 2},
    "pairs": [("a", 1)],
    "keys": {1: "one", None: "none", datetime.date(2025, 1, 1): "day", (1, 2): "tuple"},
    "$tagged": {"$date": "not a date"},
}


def a_page(source: str) -> PageInfo:
    meta = FrontMatter(
        "A",
        "About A",
        "a-slug",
        "other.html",
        3,
        True,
        datetime.date(2025, 9, 24),
        EXTRA,
        {"title": 2, "$odd": 3},
    )
    return PageInfo(source, "/a/", meta, 9)


def test_a_saved_cache_loads_back_equal(tmp_path: Path) -> None:
    cache = a_cache(tmp_path / "out")
    warning = SiteError(
        "odd", Location("content/a.md", 3, 1), "a hint", severity="warning", code="broken-link"
    )
    cache.parsed["content/a.md"] = Parsed("digest", a_page("content/a.md"), (warning,), 10, 20)
    cache.parsed["content/b.md"] = Parsed("digest", a_page("content/b.md"), ())
    cache.scans["a/index.html"] = PageScan(
        "/a/",
        "content/a.md",
        frozenset({"x"}),
        (("/b/", 3),),
        (("x", 4),),
        (Link("/b/", 5, 2), Link("#x", 6)),
        frozenset({"/c/"}),
    )
    cache.save(tmp_path / "cache")
    loaded = BuildCache.load(tmp_path / "cache", PROJECT)
    (saved,) = loaded.parsed["content/a.md"].warnings
    for each in (cache, loaded):  # errors are exceptions: equal only to themselves
        each.parsed["content/a.md"] = replace(each.parsed["content/a.md"], warnings=())
    assert loaded == cache
    extra = loaded.parsed["content/a.md"].page.meta.extra
    assert [type(value) for value in extra.values()] == [type(value) for value in EXTRA.values()]
    assert [type(key) for key in extra["keys"]] == [type(key) for key in EXTRA["keys"]]
    assert (saved.message, saved.where, saved.hint, saved.severity, saved.code) == (
        "odd",
        Location("content/a.md", 3, 1),
        "a hint",
        "warning",
        "broken-link",
    )
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [CACHE_FILE]


def test_the_cache_file_holds_every_field_of_what_it_saves() -> None:
    """Adding a field to one of these values must come with a change of the cache format."""
    assert [f.name for f in fields(FrontMatter)] == [
        *("title", "description", "slug", "template", "order", "draft", "date", "extra", "lines"),
        *("lang", "written", "title_in_content"),
        *("updated", "feed", "aliases", "paginate", "search", "macros"),
    ]
    assert [f.name for f in fields(PageInfo)] == ["source", "url", "meta", "body_line"]
    assert [f.name for f in fields(PageScan)] == [
        *("url", "origin", "ids", "refs", "duplicate_ids", "body_links", "reported", "warnings"),
        "linked",
    ]
    assert [f.name for f in fields(Parsed)] == ["digest", "page", "warnings", "size", "mtime_ns"]
    assert [f.name for f in fields(FileRecord)] == [
        *("key", "digest", "size", "mtime_ns", "inode", "reads")
    ]
    assert [f.name for f in fields(Link)] == ["href", "line", "column", "written"]
    assert [f.name for f in fields(Location)] == ["path", "line", "column"]


def test_front_matter_the_format_cannot_hold_is_left_for_the_next_build(tmp_path: Path) -> None:
    cache = a_cache(tmp_path / "out")
    bomb: list[object] = ["x"] * 10
    for _ in range(8):  # a YAML alias bomb: a billion strings that share 10 lists
        bomb = [bomb] * 10
    looped: list[object] = []
    looped.append(looped)
    kept = Parsed("digest", a_page("content/kept.md"), ())
    cache.parsed["content/kept.md"] = kept
    for name, value in (("bomb", bomb), ("loop", looped), ("object", object())):
        page = a_page(f"content/{name}.md")
        meta = FrontMatter("T", extra={"value": value})
        cache.parsed[page.source] = Parsed("d", PageInfo(page.source, "/x/", meta, 1), ())
    cache.save(tmp_path / "cache")
    assert (tmp_path / "cache" / CACHE_FILE).stat().st_size < 100_000
    assert BuildCache.load(tmp_path / "cache", PROJECT).parsed == {"content/kept.md": kept}


def saved_document(tmp_path: Path) -> dict[str, object]:
    cache = a_cache(tmp_path / "out")
    cache.parsed["content/a.md"] = Parsed("digest", a_page("content/a.md"), ())
    cache.save(tmp_path / "cache")
    document: dict[str, object] = json.loads((tmp_path / "cache" / CACHE_FILE).read_bytes())
    assert BuildCache.load(tmp_path / "cache", PROJECT).files
    return document


def wrong_shapes(document: dict[str, object]) -> list[object]:
    """Documents that are almost a cache: each must be refused as a whole."""
    row = document["files"]["index.html"]  # type: ignore[index]
    return [
        [],
        {},
        "text",
        {**document, "format": FORMAT - 1},
        {**document, "format": FORMAT + 1},
        {**document, "engine": "another engine"},
        {**document, "parsed": []},
        {**document, "files": {"index.html": [*row, 1]}},
        {**document, "files": {"index.html": ["key", "digest", "12", 1, 2]}},
        {**document, "files": {"index.html": {"key": "k"}}},
        {
            **document,
            "scans": {"a": ["/a/", "o", ["x"], [], [], [], [], ["#x"], [1, 2], [None], []]},
        },
        {**document, "scans": {"a": ["/a/", "o", [1], [], [], [], [], [], [], [], []]}},
        {**document, "parsed": {"content/a.md": ["d", 1, 2, ["s", "u", "", 1, ""], [], []]}},
    ]


def test_missing_corrupt_or_foreign_caches_load_empty(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    assert BuildCache.load(folder, PROJECT) == BuildCache(engine_digest(), project=str(PROJECT))
    document = saved_document(tmp_path)
    raw = (folder / CACHE_FILE).read_bytes()
    damages = [b"", raw[: len(raw) // 2], raw[:-1], b"\x80\x05garbage", b"[" * 100_000]
    damages += [json.dumps(shape).encode() for shape in wrong_shapes(document)]
    for damage in damages:
        (folder / CACHE_FILE).write_bytes(damage)
        loaded = BuildCache.load(folder, PROJECT)
        assert loaded.note.startswith("The saved cache was not used: it was "), damage[:200]
        fresh = BuildCache(engine_digest(), project=str(PROJECT), note=loaded.note)
        assert loaded == fresh, damage[:200]
    (folder / CACHE_FILE).write_bytes(raw)
    assert BuildCache.load(folder, PROJECT / "elsewhere").note == (
        f"The saved cache was made in {PROJECT}: every file it names is checked by its content."
    )
    (folder / CACHE_FILE).write_bytes(json.dumps({**document, "engine": "old"}).encode())
    assert BuildCache.load(folder, PROJECT).note == (
        "The saved cache was not used: it was made by other engine code or libraries."
    )


def test_a_planted_pickle_is_never_loaded_and_is_removed_on_save(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / OLD_CACHE_FILES[0]).write_bytes(planted_pickle(marker))
    assert BuildCache.load(folder, PROJECT).files == {}
    assert not marker.exists()
    a_cache(tmp_path / "out").save(folder)
    assert [p.name for p in folder.iterdir()] == [CACHE_FILE]
    assert not marker.exists()


def test_a_cache_file_that_is_a_link_a_pipe_or_not_ours_is_not_read(tmp_path: Path) -> None:
    saved_document(tmp_path)
    folder = tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere.json"
    os.replace(folder / CACHE_FILE, elsewhere)
    (folder / CACHE_FILE).symlink_to(elsewhere)
    assert BuildCache.load(folder, PROJECT).files == {}
    (folder / CACHE_FILE).unlink()
    os.mkfifo(folder / CACHE_FILE)  # opening a pipe to read would wait for a writer forever
    assert BuildCache.load(folder, PROJECT).files == {}
    (folder / CACHE_FILE).unlink()
    os.replace(elsewhere, folder / CACHE_FILE)
    assert BuildCache.load(folder, PROJECT).files
    if os.geteuid() == 0:  # only root can give a file away
        os.chown(folder / CACHE_FILE, 12345, -1)
        assert BuildCache.load(folder, PROJECT).files == {}


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


def test_a_cache_from_another_folder_forgets_every_stat_and_follows_the_project(
    tmp_path: Path,
) -> None:
    """A CI runner's restored cache or a moved project: sizes and times there prove nothing."""
    folder = tmp_path / "cache"
    made = a_cache(tmp_path / "old" / "_site")
    made.project = str(tmp_path / "old")
    made.parsed["content/a.md"] = Parsed("d", a_page("content/a.md"), (), 12, 345)
    made.save(folder)
    moved = BuildCache.load(folder, tmp_path / "new")
    assert moved.project == str(tmp_path / "new")
    assert moved.output_dir == str(tmp_path / "new" / "_site")
    assert moved.parsed["content/a.md"].mtime_ns == -1
    assert moved.parsed["content/a.md"].digest == "d"
    assert {(r.mtime_ns, r.inode) for r in moved.files.values()} == {(-1, -1)}
    assert [r.digest for r in moved.files.values()] == [r.digest for r in made.files.values()]
    assert BuildCache.load(folder, tmp_path / "old") == made


def verifiable_cache(out: Path) -> BuildCache:
    """Output files recorded with the hash of their bytes, as a build records them."""
    cache = a_cache(out)
    for name, record in cache.files.items():
        digest = digest_bytes((out / name).read_bytes())
        cache.files[name] = replace(record, digest=digest)
    return cache


def test_an_output_folder_restored_elsewhere_is_verified_by_content(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cache = verifiable_cache(out)
    assert verified_output(cache, out) is cache  # nothing changed: nothing hashed
    restored = tmp_path / "restored"
    shutil.copytree(out, restored)  # new inodes, as a CI cache's tar archive gives
    shutil.rmtree(out)
    os.replace(restored, out)
    (out / "a" / "index.html").write_text("a/index.htmX")  # same size, other bytes
    assert trusted_files(cache, out) == (set(), False)
    verified = verified_output(cache, out)
    assert verified is not cache and verified.files["a/index.html"] is cache.files["a/index.html"]
    assert trusted_files(verified, out) == ({"index.html"}, False)
    assert cache.files["index.html"].inode != os.stat(out / "index.html").st_ino
    assert verified.files["index.html"].inode == os.stat(out / "index.html").st_ino


def test_changed_paths_compare_bytes_not_files() -> None:
    old = {"a": FileRecord("k", "1", 1, 1, 1), "b": FileRecord("k", "2", 1, 1, 2)}
    new = {"a": FileRecord("k2", "1", 1, 9, 9), "c": FileRecord("k", "3", 1, 1, 3)}
    assert changed_paths(old, new) == ["b", "c"]


def test_the_engine_digest_is_stable_within_a_process() -> None:
    assert engine_digest() == engine_digest()
    assert digest_of("a", 1) != digest_of("a", 2)
