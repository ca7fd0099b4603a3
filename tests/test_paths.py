"""Hostile files in the source folders, made for real on disk: named pipes, sockets, devices and
links that lead out of the source folders, into .git, the output or the cache, or round in circles.

Each is refused with its path and never opened or followed. A named pipe would block a reader
forever, so those builds run in a subprocess with a timeout: a regression fails, it cannot hang.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_src.errors import BuildFailed, SiteError
from site_src.paths import path_below, read_regular
from site_src.pipeline import build_site

from .conftest import REPO, MakeProject, config_for

PROJECT = {
    "content/index.md": "---\ntitle: Home\n---\nHello.\n",
    "data/event.yml": "name: Yunqi\n",
    "static/site.css": "a{}",
    "README.md": "# the project\n",
    "site.yml": "base_url: https://example.org/\n",
}
SECRET = "[remote]\n\turl = https://x-access-token:SECRET@github.com/o/r\n"
FIFO = "the file is a named pipe (FIFO), not a regular file; it was not read"
# One hostile file per source folder, at a name the build would read.
PLACES = ["content/notes.md", "data/facts.yml", "static/feed.txt", "templates/page.html"]


def build_in_subprocess(root: Path) -> subprocess.CompletedProcess[str]:
    """`python build.py` in `root`, stopped after a minute: a build that blocks fails the test."""
    return subprocess.run(
        [sys.executable, str(REPO / "build.py")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def problems(root: Path) -> list[tuple[str, str]]:
    """The build's errors as (place, message)."""
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    return [(str(e.where), e.message) for e in caught.value.errors]


def replace_with(root: Path, name: str, make: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if make == "fifo":
        os.mkfifo(path)


@pytest.mark.parametrize("name", [*PLACES, "templates/partials/nav.html", "site.yml"])
def test_a_named_pipe_is_refused_without_being_opened(make_project: MakeProject, name: str) -> None:
    root = make_project(PROJECT)
    replace_with(root, name, "fifo")
    result = build_in_subprocess(root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    first, _, rest = result.stderr.partition("\n")
    assert first == f"{name}: error: {FIFO}"
    assert "hint: Move it away or replace it with a regular file" in rest
    assert "Build failed with 1 error(s)" in rest or name == "site.yml"
    assert not (root / "_site").exists()
    assert stat.S_ISFIFO(os.lstat(root / name).st_mode)


@pytest.mark.parametrize("name", PLACES)
def test_a_socket_is_refused(
    make_project: MakeProject, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(PROJECT)
    replace_with(root, name, "none")
    monkeypatch.chdir(root / name.split("/")[0])  # a socket's path may be at most 107 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(name.split("/")[1])
        assert problems(root) == [
            (name, "the file is a socket, not a regular file; it was not read")
        ]


@pytest.mark.parametrize("name", PLACES)
def test_a_device_is_refused(make_project: MakeProject, name: str) -> None:
    root = make_project(PROJECT)
    replace_with(root, name, "none")
    try:
        os.mknod(root / name, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    assert problems(root) == [
        (name, "the file is a character device, not a regular file; it was not read")
    ]


def test_reading_a_device_is_refused_before_it_is_opened() -> None:
    with pytest.raises(SiteError) as caught:
        read_regular(Path("/dev/null"), "static/null")
    assert str(caught.value) == (
        "static/null: error: the file is a character device, not a regular file; it was not read"
    )


def git_project(make_project: MakeProject) -> Path:
    """A project with a git config holding a token, a built site, a cache and a hidden file."""
    root = make_project({**PROJECT, ".git/config": SECRET, "static/.env": "TOKEN=1\n"})
    build_site(config_for(root))
    assert (root / "_site" / "sitemap.xml").is_file() and (root / ".site_cache").is_dir()
    return root


@pytest.mark.parametrize(
    ("name", "target", "where"),
    [
        ("static/notes.txt", ".git/config", ".git/config, which is not a source file"),
        ("content/notes.md", ".git/config", ".git/config, which is not a source file"),
        ("data/git.yml", ".git/config", ".git/config, which is not a source file"),
        ("templates/partials/git.html", ".git/config", ".git/config, which is not a source file"),
        ("static/old.xml", "_site/sitemap.xml", "_site/sitemap.xml, which is not a source file"),
        ("static/cache", ".site_cache", ".site_cache, which is not a source file"),
        ("content/readme.md", "README.md", "README.md, which is not in a source folder"),
        ("static/env.txt", "static/.env", "static/.env, which is hidden"),
        ("data/config.yml", "site.yml", "site.yml, which is not in a source folder"),
    ],
)
def test_a_link_to_a_file_that_is_not_a_source_is_refused(
    make_project: MakeProject, name: str, target: str, where: str
) -> None:
    root = git_project(make_project)
    (root / "site.yml").write_text("title: T\n")
    link = root / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(root / target, link.parent))
    what = "folder" if (root / target).is_dir() else "file"
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    (error,) = caught.value.errors
    assert (str(error.where), error.message) == (name, f"the {what} is a link to {where}")
    folder = name.split("/")[0]
    assert error.hint is not None and error.hint.startswith(f"Copy the file into {folder}/ ")
    assert "content/, templates/, static/, data/" in error.hint
    published = [p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file()]
    assert not any(b"SECRET" in raw for raw in published)


@pytest.mark.parametrize("name", [*PLACES, "templates/partials/nav.html"])
def test_a_link_out_of_the_project_is_refused(
    make_project: MakeProject, tmp_path: Path, name: str
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    root = make_project(PROJECT)
    replace_with(root, name, "none")
    (root / name).symlink_to(secret)
    assert problems(root) == [(name, "the file is a link to somewhere outside the project")]


@pytest.mark.parametrize("folder", ["content", "data", "static", "templates"])
def test_a_folder_link_out_of_the_project_is_not_followed(
    make_project: MakeProject, folder: str
) -> None:
    root = make_project(PROJECT)
    (root / folder / "usr").symlink_to("/usr", target_is_directory=True)
    assert problems(root) == [
        (f"{folder}/usr", "the folder is a link to somewhere outside the project")
    ]


@pytest.mark.parametrize("folder", ["content", "data", "static", "templates"])
def test_folder_links_back_up_are_refused(make_project: MakeProject, folder: str) -> None:
    root = make_project({**PROJECT, f"{folder}/sub/x.txt": "x"})
    (root / folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    (root / folder / "self").symlink_to(".", target_is_directory=True)
    (root / folder / "project").symlink_to("..", target_is_directory=True)
    never = f"the folder is a link to {folder}/, which holds the link itself: following it would never end"
    expected = [
        (
            f"{folder}/project",
            "the folder is a link to the project folder, which is not in a source folder",
        ),
        (f"{folder}/self", never),
        (f"{folder}/sub/up", never),
    ]
    if folder == "data":  # only the data folder's own files are data: sub/ is not walked
        expected.pop()
    assert problems(root) == expected


def test_links_that_lead_into_each_other_are_walked_once_and_refused(
    make_project: MakeProject,
) -> None:
    root = make_project({**PROJECT, "content/a/one.md": "---\ntitle: One\n---\n"})
    (root / "content" / "b").mkdir()
    (root / "content" / "a" / "x").symlink_to("../b", target_is_directory=True)
    (root / "content" / "b" / "y").symlink_to("../a", target_is_directory=True)
    (root / "static" / "p").symlink_to("q")
    (root / "static" / "q").symlink_to("p")
    (root / "static" / "gone.css").symlink_to("missing.css")
    result = build_in_subprocess(root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    never = "which holds the link itself: following it would never end"
    assert lines == [
        f"content/a/x/y: error: the folder is a link to content/a/, {never}",
        f"content/b/y/x: error: the folder is a link to content/b/, {never}",
        "static/gone.css: error: the file is a link to nothing",
        "static/p: error: the file is a link in a loop of links",
        "static/q: error: the file is a link in a loop of links",
    ]


def test_links_within_the_source_folders_are_followed(make_project: MakeProject) -> None:
    root = make_project(
        {
            **PROJECT,
            "content/guide/setup.md": "---\ntitle: Setup\n---\n",
            "data/logo.svg": "<svg/>",
            "templates/layouts/page.html": '{% extends "base.html" %}'
            "{% block main %}<p>linked</p>{{ page.content }}{% endblock %}\n",
        }
    )
    (root / "content" / "alias").symlink_to("guide", target_is_directory=True)
    (root / "static" / "logo.svg").symlink_to("../data/logo.svg")
    (root / "static" / "docs").symlink_to("../content/guide", target_is_directory=True)
    (root / "templates" / "page.html").unlink()
    (root / "templates" / "page.html").symlink_to("layouts/page.html")
    result = build_site(config_for(root))
    assert result.pages == 3
    site = root / "_site"
    assert "<p>linked</p>" in (site / "alias" / "setup" / "index.html").read_text()
    assert (site / "guide" / "setup" / "index.html").is_file()
    assert [p.name for p in site.glob("logo.*.svg")] and list(site.glob("docs/setup.*.md"))


@pytest.mark.parametrize("folder", ["content", "data", "static", "templates"])
def test_a_source_folder_that_is_a_link_into_git_is_refused(
    make_project: MakeProject, folder: str
) -> None:
    root = make_project({**PROJECT, ".git/config": SECRET})
    os.rename(root / folder, root / f"{folder}.old")
    (root / folder).symlink_to(".git", target_is_directory=True)
    with pytest.raises(BuildFailed) as caught:
        config_for(root)
    assert [str(e) for e in caught.value.errors] == [
        f"error: {folder}_dir '{folder}' is inside the project's git repository"
    ]


PARTS = st.lists(st.sampled_from(["a", "b", "ab", ".a", "a.", "..a", "a b"]), max_size=4)


@settings(max_examples=500, deadline=None)
@given(PARTS, PARTS)
def test_a_path_is_below_a_folder_exactly_when_pathlib_says_so(
    target: list[str], folder: list[str]
) -> None:
    """The text comparison `refusal` uses for every page read, against `PurePath.relative_to`."""
    path, place = Path("/", *target), Path("/", *folder)
    expected = "/".join(path.relative_to(place).parts) if path.is_relative_to(place) else None
    assert path_below(str(path), place) == expected
