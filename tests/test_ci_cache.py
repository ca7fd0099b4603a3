"""A deploy from a fresh checkout with the last deploy's build cache restored, as the GitHub Pages
workflow does it: real git clones, real `python build.py` processes, real files.

A fresh checkout dates every file to the checkout and a restored folder gets new inodes, so
nothing but content hashes may decide what is kept; the output must equal a clean build's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.generate import write_site
from site_src.cache import CACHE_FILE

from .conftest import run_cli

PAGES = 12
EDITED = "content/page-00005.md"
CACHED = (".site_cache", "_site")


def git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=Site", "-c", "user.email=site@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def repository(tmp_path: Path, seed: int = 7) -> Path:
    """A bare repository holding a small synthetic site, as GitHub holds the project."""
    work = write_site(PAGES, tmp_path / f"work-{seed}", seed=seed)
    (work / ".gitignore").write_text("_site/\n.site_cache/\n")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "site")
    bare = tmp_path / f"origin-{seed}.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def checkout(bare: Path, folder: Path) -> Path:
    git(bare.parent, "clone", "-q", str(bare), str(folder))
    return folder


def deploy_build(root: Path) -> tuple[int, dict[str, bytes]]:
    """`python build.py --verbose` (as the workflow runs it): pages rendered, and the output."""
    result = run_cli(root, "--verbose")
    assert result.returncode == 0, result.stderr
    rendered = re.search(r"^Rendered (\d+) of (\d+) pages", result.stdout, re.M)
    assert rendered and int(rendered[2]) == PAGES, result.stdout
    out = root / "_site"
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return int(rendered[1]), files


def save_ci_cache(root: Path, store: Path) -> None:
    """What actions/cache saves at the end of a deploy (a tar archive keeps times, not inodes)."""
    for name in CACHED:
        shutil.copytree(root / name, store / name, symlinks=True)


def restore_ci_cache(store: Path, root: Path) -> None:
    for name in CACHED:
        shutil.copytree(store / name, root / name, symlinks=True)


def edit(root: Path) -> None:
    path = root / EDITED
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")


def clean_build_of_the_edit(bare: Path, tmp_path: Path) -> dict[str, bytes]:
    root = checkout(bare, tmp_path / "clean")
    edit(root)
    rendered, files = deploy_build(root)
    assert rendered == PAGES
    return files


@pytest.fixture
def deployed(tmp_path: Path) -> tuple[Path, Path]:
    """The project's repository and the cache its last deploy saved."""
    bare = repository(tmp_path)
    first = checkout(bare, tmp_path / "runner" / "site")
    assert deploy_build(first)[0] == PAGES
    save_ci_cache(first, tmp_path / "ci-cache")
    shutil.rmtree(first)
    return bare, tmp_path / "ci-cache"


@pytest.mark.parametrize("folder", ["runner/site", "elsewhere/site"])
def test_a_fresh_checkout_with_the_restored_cache_renders_only_the_edited_page(
    deployed: tuple[Path, Path], tmp_path: Path, folder: str
) -> None:
    """In the same folder (a CI runner's path does not change) or another one (a moved project)."""
    bare, store = deployed
    root = checkout(bare, tmp_path / folder)
    restore_ci_cache(store, root)
    edit(root)
    rendered, files = deploy_build(root)
    assert rendered == 1
    assert files == clean_build_of_the_edit(bare, tmp_path)
    # The records were brought up to date: the next build of the same checkout is a no-op.
    again = run_cli(root, "--verbose")
    assert "Rendered 0 of 12 pages" in again.stdout and "0 output file(s) changed" in again.stdout


def test_a_restored_cache_with_nothing_changed_is_a_no_op_and_is_saved_verified(
    deployed: tuple[Path, Path], tmp_path: Path
) -> None:
    bare, store = deployed
    root = checkout(bare, tmp_path / "runner" / "site")
    restore_ci_cache(store, root)
    assert deploy_build(root)[0] == 0
    saved = json.loads((root / ".site_cache" / CACHE_FILE).read_bytes())
    inodes = {name: row[4] for name, row in saved["files"].items()}
    out = root / "_site"
    assert inodes == {name: (out / name).stat().st_ino for name in inodes}


def corrupt(cache: Path) -> None:
    (cache / CACHE_FILE).write_bytes((cache / CACHE_FILE).read_bytes()[:-100])


def another_engine(cache: Path) -> None:
    document = json.loads((cache / CACHE_FILE).read_bytes())
    (cache / CACHE_FILE).write_text(json.dumps({**document, "engine": "0" * 64}))


@pytest.mark.parametrize("damage", [corrupt, another_engine])
def test_a_damaged_or_foreign_engine_cache_means_a_full_build_with_the_same_output(
    deployed: tuple[Path, Path], tmp_path: Path, damage: object
) -> None:
    bare, store = deployed
    root = checkout(bare, tmp_path / "runner" / "site")
    restore_ci_cache(store, root)
    damage(root / ".site_cache")  # type: ignore[operator]
    (root / "_site" / "index.html").write_bytes(b"stale")
    edit(root)
    rendered, files = deploy_build(root)
    assert rendered == PAGES
    assert files == clean_build_of_the_edit(bare, tmp_path)


def test_another_projects_cache_means_a_full_build_with_the_same_output(
    deployed: tuple[Path, Path], tmp_path: Path
) -> None:
    """Same file names, same sizes of some files, other bytes: nothing of it is kept."""
    bare, _store = deployed
    other = checkout(repository(tmp_path, seed=8), tmp_path / "other")
    assert deploy_build(other)[0] == PAGES
    root = checkout(bare, tmp_path / "runner" / "site")
    restore_ci_cache(other, root)
    edit(root)
    rendered, files = deploy_build(root)
    assert rendered == PAGES
    assert files == clean_build_of_the_edit(bare, tmp_path)
