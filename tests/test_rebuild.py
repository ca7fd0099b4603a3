"""The rebuild loop with a stand-in builder (the one injected collaborator), and the real builder's
stylesheet detection."""

from __future__ import annotations

import dataclasses
import queue
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from site_src.cache import BuildCache, engine_digest
from site_src.errors import BuildFailed, SiteError
from site_src.pipeline import build_site
from site_src.serve.rebuilder import Built, Outcome, Rebuilder, previous_stylesheets, site_builder
from site_src.serve.wsgi_app import SiteState

from .conftest import config_for
from .serving import wait_until


def scripted_builds(results: list[object]) -> Callable[[frozenset[Path]], Built]:
    """A build function that returns or raises the given results in turn."""

    def scripted(_changed: frozenset[Path]) -> Built:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, Built)
        return result

    return scripted


def test_changes_during_a_build_are_built_together_right_after(tmp_path: Path) -> None:
    release = threading.Event()
    calls: list[frozenset[Path]] = []

    def slow(changed: frozenset[Path]) -> Built:
        calls.append(changed)
        if len(calls) == 2:
            release.wait(5)
        return Built(tmp_path, "/")

    outcomes: queue.Queue[Outcome] = queue.Queue()
    rebuilder = Rebuilder(slow, SiteState(), outcomes.put)
    rebuilder.start()
    outcomes.get(timeout=5)
    rebuilder.request(frozenset({Path("a.md")}))
    wait_until(lambda: len(calls) >= 2, timeout=5)
    rebuilder.request(frozenset({Path("b.md")}))
    rebuilder.request(frozenset({Path("c.md")}))
    release.set()
    assert outcomes.get(timeout=5).changed == {Path("a.md")}
    assert outcomes.get(timeout=5).changed == {Path("b.md"), Path("c.md")}
    rebuilder.stop()
    assert calls == [frozenset(), {Path("a.md")}, {Path("b.md"), Path("c.md")}]


def test_errors_keep_the_last_good_site_and_a_good_build_clears_them(tmp_path: Path) -> None:
    results: list[object] = [
        Built(tmp_path, "/r/"),
        BuildFailed([SiteError("bad one"), SiteError("bad two")]),
        ZeroDivisionError("a bug"),
        Built(tmp_path, "/r/"),
    ]

    scripted = scripted_builds(results)

    state = SiteState()
    outcomes: queue.Queue[Outcome] = queue.Queue()
    rebuilder = Rebuilder(scripted, state, outcomes.put)
    rebuilder.start()
    assert outcomes.get(timeout=5).errors == ()
    rebuilder.request(frozenset({Path("x")}))
    failed = outcomes.get(timeout=5)
    assert [e.message for e in failed.errors] == ["bad one", "bad two"]
    assert state.current.folder == tmp_path and len(state.current.errors) == 2
    rebuilder.request(frozenset({Path("x")}))
    crashed = outcomes.get(timeout=5)
    assert crashed.crash is not None and "ZeroDivisionError" in crashed.crash
    assert "internal error" in state.current.errors[0].message
    rebuilder.request(frozenset({Path("x")}))
    assert outcomes.get(timeout=5).errors == ()
    assert state.current.errors == () and state.current.folder == tmp_path
    rebuilder.stop()


def test_only_a_stylesheet_change_names_stylesheets(sample: Path, tmp_path: Path) -> None:
    config = config_for(sample)
    build = site_builder(lambda: config_for(sample), tmp_path / "private")
    first = build(frozenset())
    assert first.base_path == "/sample/" and (first.folder / "index.html").is_file()
    (old,) = (first.folder / "css").glob("site.*.css")
    css = config.static_dir / "css" / "site.css"
    page = config.content_dir / "index.md"
    assert previous_stylesheets(config, frozenset({css}), first.folder) == (
        f"/sample/css/{old.name}",
    )
    assert previous_stylesheets(config, frozenset({css, page}), first.folder) == ()
    assert previous_stylesheets(config, frozenset(), first.folder) == ()
    css.write_text(css.read_text() + "p{}")
    second = build(frozenset({css}))
    assert second.stylesheets == (f"/sample/css/{old.name}",)
    assert not (second.folder / "css" / old.name).exists()


def test_edits_from_a_failed_build_still_count_after_the_fix(sample: Path, tmp_path: Path) -> None:
    """The builder tells the engine which files changed; edits made during a failed build must
    not be forgotten when the next save fixes a different file."""
    config = config_for(sample)
    build = site_builder(lambda: config_for(sample), tmp_path / "private")
    folder = build(frozenset()).folder
    index, setup = config.content_dir / "index.md", config.content_dir / "guide" / "setup.md"
    index.write_text(index.read_text() + "\nA fresh sentence.\n")
    setup.write_text("---\ntitle: [broken\n---\n")
    with pytest.raises(BuildFailed):
        build(frozenset({index, setup}))
    setup.write_text("---\ntitle: Setup\n---\n## Step 2 {#step-2}\n\nBack [home](../index.md).\n")
    build(frozenset({setup}))
    assert "A fresh sentence." in (folder / "index.html").read_text()
    assert "Back" in (folder / "guide" / "setup" / "index.html").read_text()
    index.write_text(index.read_text() + "\nAnother one.\n")
    build(frozenset({index}))
    assert "Another one." in (folder / "index.html").read_text()


def test_a_failed_build_says_whether_an_earlier_site_is_still_shown(tmp_path: Path) -> None:
    """Never claim a last good site when none has built."""
    results: list[object] = [BuildFailed([SiteError("bad")]), Built(tmp_path, "/"), SiteError("x")]

    scripted = scripted_builds(results)

    outcomes: queue.Queue[Outcome] = queue.Queue()
    rebuilder = Rebuilder(scripted, SiteState(), outcomes.put)
    rebuilder.start()
    first = outcomes.get(timeout=5)
    assert first.errors and not first.serving_older
    rebuilder.request(frozenset({Path("a.md")}))
    assert not outcomes.get(timeout=5).errors
    rebuilder.request(frozenset({Path("b.md")}))
    third = outcomes.get(timeout=5)
    rebuilder.stop()
    assert third.errors and third.serving_older


def site_files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def clean_site(root: Path, tmp: Path) -> dict[str, bytes]:
    """The project as it is now, built from scratch in a copy (published with any broken links,
    as the dev server does)."""
    copy = tmp / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    build_site(dataclasses.replace(config_for(copy), broken_links="warning"), processes=1)
    return site_files(copy / "_site")


def test_every_kind_of_edit_serves_what_a_clean_build_makes(sample: Path, tmp_path: Path) -> None:
    """The dev server's shortcuts (the last index kept in memory, no walk of the content folder
    when only known pages changed, keys of unchanged pages taken from the cache) never change
    the output: after each edit, the served folder equals a clean build of the same files."""
    build = site_builder(lambda: config_for(sample), tmp_path / "private")
    folder = build(frozenset()).folder
    content = sample / "content"
    features, fresh = content / "features.md", content / "fresh.md"
    original = features.read_text()
    draft = content / "draft.md"
    drafted = draft.read_text()
    config = sample / "site.yml"
    settings = config.read_text()

    def write(path: Path, text: str) -> frozenset[Path]:
        path.write_text(text)
        return frozenset({path})

    def remove(path: Path) -> frozenset[Path]:
        path.unlink()
        return frozenset({path})

    steps: list[Callable[[], frozenset[Path]]] = [
        lambda: write(features, original + "\nA new paragraph.\n"),
        lambda: write(features, original.replace("title: Features", "title: Abilities")),
        lambda: write(features, original.replace("order: 2", "order: 9")),
        lambda: write(fresh, "---\ntitle: Fresh\n---\nNew [features](features.md#tables).\n"),
        lambda: write(fresh, "---\ntitle: Fresh\n---\nNew text, same title.\n"),
        lambda: remove(fresh) | write(content / "fresher.md", "---\ntitle: Fresher\n---\nMoved.\n"),
        lambda: remove(content / "fresher.md"),
        lambda: write(draft, drafted.replace("draft: true", "draft: false")),
        lambda: write(draft, drafted),
        lambda: write(sample / "data" / "meetup.yml", (sample / "data" / "meetup.yml").read_text()),
        lambda: write(features, original.replace("## Tables {#tables}", "## Tables {#tabular}")),
        lambda: write(features, original),
        lambda: write(config, settings.replace("title: Sample", "title: Renamed")),
        lambda: write(features, original + "\nA paragraph under the new config.\n"),
        lambda: write(content / "notes.txt", "A file beside the pages, published as it is.\n"),
        lambda: write(features, original + "\nSee [the notes](notes.txt).\n"),
        lambda: write(content / "notes.txt", "The notes, edited.\n"),
        lambda: remove(content / "notes.txt") | write(features, original),
    ]
    for number, step in enumerate(steps):
        build(step())
        assert site_files(folder) == clean_site(sample, tmp_path), f"after step {number}"


def test_an_edit_of_a_page_text_keeps_the_site_index(sample: Path) -> None:
    """A body edit reuses the last index (the costly part of a dev server's rebuild at 10,000
    pages); a front matter edit makes a new one."""
    config = dataclasses.replace(config_for(sample), output_dir=sample / "_served")
    cache = BuildCache(engine_digest())
    build_site(config, cache=cache, processes=1)
    assert cache.index is not None
    view = cache.index.site.view
    features = config.content_dir / "features.md"
    features.write_text(features.read_text() + "\nMore text.\n")
    build_site(config, cache=cache, processes=1, edited=frozenset({features}))
    assert cache.index.site.view is view
    features.write_text(features.read_text().replace("title: Features", "title: Abilities"))
    build_site(config, cache=cache, processes=1, edited=frozenset({features}))
    assert cache.index.site.view is not view
    assert any(page.title == "Abilities" for page in cache.index.site.view.pages)
