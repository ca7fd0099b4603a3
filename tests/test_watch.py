"""The watcher, on real files: edits, atomic saves, bursts, editors' noise, the config file and
folders that appear later."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_src.serve.watcher import Debounce, Watcher, WatchTargets, is_editor_noise

Changes = queue.Queue[frozenset[Path]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "page.md").write_text("one")
    (tmp_path / "site.yml").write_text("title: T\n")
    return tmp_path


@pytest.fixture
def changes(project: Path) -> Iterator[Changes]:
    found: Changes = queue.Queue()
    targets = WatchTargets((project / "content", project / "data"), (project / "site.yml",))
    watcher = Watcher(lambda: targets, found.put, Debounce(quiet_ms=50, max_ms=400))
    watcher.start()
    yield found
    watcher.stop()


def settle(found: Changes, seconds: float = 0.5) -> set[Path]:
    """Everything reported within `seconds` after the first report."""
    seen = set(found.get(timeout=5))
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            seen |= found.get(timeout=left)
        except queue.Empty:
            break
    return seen


def test_an_edit_is_reported(project: Path, changes: Changes) -> None:
    (project / "content" / "page.md").write_text("two")
    assert project / "content" / "page.md" in settle(changes)


def test_an_atomic_save_reports_the_file_not_the_temporary(project: Path, changes: Changes) -> None:
    temporary = project / "content" / ".page.md.swp"
    temporary.write_text("three")
    os.replace(temporary, project / "content" / "page.md")
    seen = settle(changes)
    assert project / "content" / "page.md" in seen
    assert not any(is_editor_noise(path) for path in seen)


def test_editor_noise_alone_is_never_reported(project: Path, changes: Changes) -> None:
    for name in (".page.md.swp", "page.md~", "4913", "#page.md#", ".#page.md", "page.md.tmp"):
        (project / "content" / name).write_text("x")
    with pytest.raises(queue.Empty):
        changes.get(timeout=0.6)


def test_a_burst_of_saves_is_one_report(project: Path, changes: Changes) -> None:
    for number in range(5):
        (project / "content" / "page.md").write_text(f"save {number}")
        time.sleep(0.01)
    first = changes.get(timeout=5)
    assert project / "content" / "page.md" in first
    with pytest.raises(queue.Empty):
        changes.get(timeout=0.3)


def test_new_deleted_and_renamed_files(project: Path, changes: Changes) -> None:
    new = project / "content" / "sub" / "new.md"
    new.parent.mkdir()
    new.write_text("new")
    assert new in settle(changes)
    renamed = project / "content" / "renamed.md"
    os.rename(new, renamed)
    assert {new, renamed} <= settle(changes)
    renamed.unlink()
    assert renamed in settle(changes)


def test_the_config_file_and_a_new_folder(project: Path, changes: Changes) -> None:
    (project / "site.yml").write_text("title: Changed\n")
    assert project / "site.yml" in settle(changes)
    (project / "data").mkdir()
    assert project / "data" in settle(changes)
    (project / "data" / "event.yml").write_text("a: 1\n")
    assert project / "data" / "event.yml" in settle(changes)


@pytest.mark.parametrize(
    ("name", "noise"),
    [
        ("page.md", False),
        ("site.css", False),
        ("4913.md", False),
        (".page.md.swp", True),
        ("page.md.swx", True),
        ("page.md~", True),
        ("#page.md#", True),
        (".#page.md", True),
        ("page.md.___jb_tmp___", True),
        ("4913", True),
        ("sedAb12Cd", True),
        (".DS_Store", True),
    ],
)
def test_editor_noise(name: str, noise: bool) -> None:
    assert is_editor_noise(Path("content") / name) is noise


def test_an_idle_watcher_reads_the_config_only_when_it_changes(project: Path) -> None:
    """Each call of `targets` re-reads site.yml; idling must not do it on every event-wait timeout."""
    reads: list[float] = []
    found: Changes = queue.Queue()
    targets = WatchTargets((project / "content",), (project / "site.yml",))

    def read_config() -> WatchTargets:
        reads.append(time.monotonic())
        return targets

    watcher = Watcher(read_config, found.put, Debounce(quiet_ms=50, max_ms=400))
    watcher.start()
    try:
        time.sleep(1.0)
        assert len(reads) == 1, f"{len(reads)} config reads in one idle second"
        (project / "content" / "page.md").write_text("two")
        settle(found)
        assert len(reads) == 1, "a page edit is not a config change"
        (project / "site.yml").write_text("title: Changed\n")
        assert project / "site.yml" in settle(found)
        assert len(reads) == 2, "a config change is read again"
    finally:
        watcher.stop()


def test_folder_links_the_build_refuses_are_not_followed(tmp_path: Path) -> None:
    """A link out of the project, back up or round a loop is not watched: the watch starts at
    once, and nothing under the link's target is reported, while edits in content/ still are."""
    outside = tmp_path / "outside"
    for number in range(300):
        (outside / f"folder{number}" / "deeper").mkdir(parents=True)
    project = tmp_path / "project"
    content = project / "content"
    content.mkdir(parents=True)
    (content / "page.md").write_text("one")
    (project / "site.yml").write_text("title: T\n")
    (content / "out").symlink_to(outside, target_is_directory=True)
    (content / "loop").symlink_to(".", target_is_directory=True)
    (content / "up").symlink_to("..", target_is_directory=True)
    found: Changes = queue.Queue()
    targets = WatchTargets((content, project / "data"), (project / "site.yml",))
    watcher = Watcher(lambda: targets, found.put, Debounce(quiet_ms=50, max_ms=400))
    started = time.monotonic()
    watcher.start()
    try:
        assert time.monotonic() - started < 2
        (outside / "folder7" / "deeper" / "page.md").write_text("outside")
        (outside / "new.md").write_text("outside")
        (outside / "folder9" / "new").mkdir()
        with pytest.raises(queue.Empty):
            found.get(timeout=0.6)
        (content / "page.md").write_text("two")
        seen = settle(found)
        assert content / "page.md" in seen
        assert not any(path.is_relative_to(content / "out") for path in seen)
    finally:
        watcher.stop()


def test_a_folder_link_inside_the_sources_is_watched(project: Path, changes: Changes) -> None:
    real = project / "content" / "real"
    real.mkdir()
    (real / "page.md").write_text("one")
    settle(changes)
    (project / "content" / "alias").symlink_to("real", target_is_directory=True)
    settle(changes)
    (real / "page.md").write_text("two")
    seen = settle(changes)
    assert real / "page.md" in seen or project / "content" / "alias" / "page.md" in seen


def test_nested_new_and_moved_folders_are_watched(project: Path, changes: Changes) -> None:
    deep = project / "content" / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "page.md").write_text("one")
    assert deep / "page.md" in settle(changes)
    moved = project / "content" / "moved"
    os.rename(project / "content" / "a", moved)
    settle(changes)
    (moved / "b" / "c" / "page.md").write_text("two")
    assert moved / "b" / "c" / "page.md" in settle(changes)
