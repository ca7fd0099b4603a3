"""Writing the site: nothing outside the output folder, and nothing built is ever lost.

The interruption tests run a real `build.py` subprocess on a generated site large enough that the
signal lands while pages are being written (the test waits for the staging folder to fill first).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from site_src.errors import BuildFailed, SiteError
from site_src.output import (
    MARKER,
    check_output_folder,
    clean_leftovers,
    commit,
    open_staging,
    safe_target,
    write_failure,
    write_file,
)
from site_src.pipeline import build_site

from .conftest import MINIMAL_TEMPLATES, REPO, MakeProject, config_for, write_files


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "relative",
    [
        "../x.html",
        "a/../../x.html",
        "/etc/passwd",
        "//host/share",
        "a\\..\\..\\x",
        "C:/x.html",
        "c:x",
        "a\x00b",
        "a\nb",
        "a\x1fb",
        "",
        "..",
    ],
)
def test_paths_that_would_leave_the_output_folder_are_refused(
    tmp_path: Path, relative: str
) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(SiteError, match="refusing to write outside the output folder"):
        write_file(staging, relative, "x")
    assert sorted(tmp_path.rglob("*")) == [staging]


def test_normal_paths_stay_inside(tmp_path: Path) -> None:
    assert safe_target(tmp_path, "a/./b/../c.html") == tmp_path / "a" / "c.html"


def test_commit_swaps_in_the_new_site_with_the_marker(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    out.mkdir()
    (out / "old.html").write_text("old")
    staging = open_staging(out)
    write_file(staging, "index.html", "new")
    commit(staging, out)
    assert snapshot(out) == {
        MARKER: (out / MARKER).read_bytes(),
        "index.html": b"new",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_leftovers_of_killed_builds_are_removed_but_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    killed = tmp_path / f"._site.staging-{dead_pid}-abc"
    (killed / "sub").mkdir(parents=True)
    (killed / "sub" / "index.html").write_text("half")
    live = tmp_path / f"._site.staging-{os.getppid()}-def"
    live.mkdir()
    unrelated = tmp_path / "._site.staging-notes"
    unrelated.mkdir()
    other_site = tmp_path / f"._www.staging-{dead_pid}-x"
    other_site.mkdir()
    assert clean_leftovers(out) == [killed]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, unrelated.name, other_site.name]
    )


def test_an_unmarked_folder_is_not_replaced_unless_it_is_the_default(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "public").mkdir(parents=True)
    (root / "public" / "notes.txt").write_text("mine")
    with pytest.raises(SiteError, match="has files that were not written by a build"):
        check_output_folder(root / "public", root)
    (root / "public" / MARKER).write_text("")
    check_output_folder(root / "public", root)
    (root / "_site").mkdir()
    (root / "_site" / "old.html").write_text("from an older build")
    check_output_folder(root / "_site", root)
    (root / "empty").mkdir()
    check_output_folder(root / "empty", root)
    check_output_folder(root / "missing", root)


def test_an_output_path_that_is_a_file_or_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(SiteError, match="is a file or a link"):
        check_output_folder(tmp_path / "file", tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(SiteError, match="is a file or a link"):
        check_output_folder(tmp_path / "link", tmp_path)


def test_building_into_someone_elses_folder_touches_nothing(make_project: MakeProject) -> None:
    root = make_project(
        {"content/index.md": "---\ntitle: H\n---\n", "site.yml": "output_dir: ../docs\n"}
    )
    docs = root.parent / "docs"
    docs.mkdir()
    (docs / "thesis.tex").write_text("years of work")
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    assert [str(e) for e in caught.value.errors] == [
        f"error: the output folder {docs}/ has files that were not written by a build"
    ]
    assert snapshot(docs) == {"thesis.tex": b"years of work"}
    assert sorted(p.name for p in root.parent.iterdir()) == ["docs", "project"]


def test_a_second_build_replaces_a_marked_folder(make_project: MakeProject) -> None:
    root = make_project(
        {"content/index.md": "---\ntitle: H\n---\n", "site.yml": "output_dir: public\n"}
    )
    build_site(config_for(root))
    (root / "content" / "index.md").write_text("---\ntitle: Again\n---\n")
    build_site(config_for(root))
    assert "Again" in (root / "public" / "index.html").read_text()


def test_a_failed_build_leaves_the_previous_site_and_no_staging(make_project: MakeProject) -> None:
    root = make_project({"content/index.md": "---\ntitle: H\n---\n"})
    build_site(config_for(root))
    before = snapshot(root / "_site")
    (root / "content" / "index.md").write_text("---\ntitle: H\norder: x\n---\n")
    with pytest.raises(BuildFailed):
        build_site(config_for(root))
    assert snapshot(root / "_site") == before
    assert sorted(p.name for p in root.iterdir()) == [
        ".site_cache",
        "_site",
        "content",
        "templates",
    ]


def big_project(root: Path, pages: int, word: str) -> Path:
    """A site with enough pages that writing them takes a noticeable time."""
    write_files(root, MINIMAL_TEMPLATES)
    content = root / "content"
    content.mkdir(exist_ok=True)
    (content / "index.md").write_text(f"---\ntitle: {word}\n---\nHome\n")
    body = "Some *text* with a [link](p0000.md#part) and `code`.\n\n" * 20
    for number in range(pages):
        text = f"---\ntitle: {word} {number}\n---\n## Part {{#part}}\n\n{body}"
        (content / f"p{number:04}.md").write_text(text)
    return root


def start_build(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "build.py")],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_staging(root: Path, process: subprocess.Popen[str]) -> Path:
    """Wait until the build is writing pages into its staging folder, and return that folder."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for staging in root.glob("._site.staging-*"):
            if len(list(staging.glob("p00*"))) >= 5:
                return staging
        time.sleep(0.005)
    raise AssertionError(f"the build never wrote pages into a staging folder: {process.poll()}")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_an_interrupted_build_leaves_the_previous_site_whole(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C in a terminal signals the whole process group: the build and its workers."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores for the build to render in worker processes")
    root = big_project(tmp_path / "big", 400, "First")
    build_site(config_for(root))
    before = snapshot(root / "_site")
    big_project(root, 400, "Second")
    process = start_build(root)
    staging = wait_for_staging(root, process)
    assert len(children(process.pid)) >= 2, "the build is not rendering in worker processes"
    if sig == signal.SIGINT:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    _out, err = process.communicate(timeout=60)
    assert snapshot(root / "_site") == before
    if sig == signal.SIGINT:
        assert process.returncode == 130
        assert err == "\nInterrupted; the previous output folder is unchanged.\n"
        assert not staging.exists()
    else:
        assert process.returncode == -signal.SIGKILL
        assert staging.exists(), "the kill landed after the build finished"
    finished = subprocess.run(
        [sys.executable, str(REPO / "build.py")], cwd=root, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert not list(root.glob("._site.staging-*")), "a leftover staging folder was kept"
    assert "Second 3" in (root / "_site" / "p0003" / "index.html").read_text()


def test_a_page_may_not_clash_with_a_static_or_generated_file(make_project: MakeProject) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: H\n---\n",
            "content/icon.md": "---\ntitle: Icon\nslug: favicon.ico\n---\n",
            "content/robots.txt.md": "---\ntitle: Robots\n---\n",
            "content/sitemap.md": "---\ntitle: Site map\n---\n",
            "static/favicon.ico": "icon",
        }
    )
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    assert [str(e) for e in caught.value.errors] == [
        "content/icon.md:3:1: error: this page would be written to favicon.ico/index.html, "
        "which clashes with the static file favicon.ico",
        "content/robots.txt.md: error: this page would be written to robots.txt/index.html, "
        "which clashes with the generated file robots.txt",
    ]
    assert not (root / "_site").exists()


def test_a_default_output_link_to_someone_elses_folder_is_refused(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project({"content/index.md": "---\ntitle: H\n---\n"})
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / "holiday.jpg").write_bytes(b"\xff\xd8")
    (root / "_site").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    assert [e.message for e in caught.value.errors] == [
        f"the output folder {elsewhere}/ has files that were not written by a build"
    ]
    assert snapshot(elsewhere) == {"holiday.jpg": b"\xff\xd8"}


def test_static_files_with_url_breaking_names_or_outside_links_are_refused(
    make_project: MakeProject, tmp_path: Path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    root = make_project({"content/index.md": "---\ntitle: H\n---\n", "static/ok.css": "a{}"})
    (root / "static" / "key.txt").symlink_to(secret)
    (root / "static" / "a\\b.css").write_text("x")
    (root / "static" / "inside.css").symlink_to(root / "static" / "ok.css")
    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    assert [str(e) for e in caught.value.errors] == [
        "static/a\\b.css: error: the name 'a\\\\b.css' cannot be part of a URL (it contains '\\\\')",
        "static/key.txt: error: the file is a link to somewhere outside the project",
    ]
    assert not (root / "_site").exists()


def test_an_output_folder_under_a_file_is_a_clear_error(make_project: MakeProject) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: H\n---\n",
            "site.yml": "output_dir: notes.txt/out\n",
            "notes.txt": "x",
        }
    )
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py")], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(
        f"error: cannot write beside the output folder {root / 'notes.txt' / 'out'}: "
    )
    assert (root / "notes.txt").read_text() == "x"


@pytest.mark.parametrize(
    ("umask", "folders", "files"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)]
)
def test_the_site_is_readable_as_the_umask_allows(
    make_project: MakeProject, umask: int, folders: int, files: int
) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: H\n---\n",
            "content/guide/setup.md": "---\ntitle: Setup\n---\n",
            "static/css/site.css": "a{}",
        }
    )
    for edit in ("first build", "Changed."):
        (root / "content" / "index.md").write_text(f"---\ntitle: H\n---\n{edit}\n")
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py")], cwd=root, capture_output=True, umask=umask
        )
        assert result.returncode == 0, result.stderr
        site = root / "_site"
        modes = {p: p.stat().st_mode & 0o777 for p in [site, *site.rglob("*")]}
        assert {p: m for p, m in modes.items() if p.is_dir() and m != folders} == {}
        assert {p: m for p, m in modes.items() if p.is_file() and m != files} == {}
        assert {site / "guide" / "setup", site / "index.html", site / MARKER} <= set(modes)


def immutable(path: Path) -> bool:
    """Make a file that even root cannot delete (False where the file system cannot)."""
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def test_an_old_site_that_cannot_be_removed_is_reported(make_project: MakeProject) -> None:
    root = make_project(
        {"content/index.md": "---\ntitle: H\n---\n", "site.yml": "base_url: https://example.org/\n"}
    )
    build_site(config_for(root))
    stuck = root / "_site" / "stuck.html"
    stuck.write_text("x")
    if not immutable(stuck):
        pytest.skip("chattr +i does not work on this file system")
    try:
        (root / "content" / "index.md").write_text("---\ntitle: New\n---\n")
        result = build_site(config_for(root))
        left = [p for p in root.glob("._site.staging-*")]
        assert len(left) == 1 and (left[0] / "stuck.html").is_file()
        assert [(w.severity, w.message) for w in result.warnings] == [
            (
                "warning",
                f"could not remove the temporary folder {left[0]}/: Operation not permitted",
            )
        ]
        assert "New" in (root / "_site" / "index.html").read_text()
    finally:
        subprocess.run(["chattr", "-i", *map(str, root.glob("._site.staging-*/stuck.html"))])


def test_a_cache_that_cannot_be_saved_does_not_fail_the_published_build(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: H\n---\nFirst.\n",
            "site.yml": "base_url: https://example.org/\n",
        }
    )
    (root / ".site_cache").write_text("a file where the cache folder should be")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py")], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        f"warning: could not save the build cache in {root / '.site_cache'}/: File exists"
    )
    assert "Traceback" not in result.stderr
    assert "First." in (root / "_site" / "index.html").read_text()


def test_a_full_or_read_only_disk_names_the_output_folder(tmp_path: Path) -> None:
    out, staging = tmp_path / "_site", tmp_path / "._site.staging-1-ab"
    # A real ENOSPC, from the kernel.
    with pytest.raises(OSError) as full, open("/dev/full", "wb", buffering=0) as device:
        device.write(b"x")
    error = write_failure(full.value, out, staging)
    assert error is not None and error.where is not None
    assert (str(error.where), error.message) == (
        f"{out}/",
        "the disk that holds the output folder is full (No space left on device)",
    )
    assert "Make room on that disk" in (error.hint or "")
    read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), str(staging / "a" / "index.html"))
    error = write_failure(read_only, out, staging)
    assert error is not None and error.message.startswith(
        "the disk that holds the output folder is read-only"
    )
    refused = OSError(errno.EPERM, os.strerror(errno.EPERM), str(staging / "index.html"))
    error = write_failure(refused, out, staging)
    assert error is not None and str(error).startswith(
        f"{out}/: error: cannot write into the output folder"
    )
    source = OSError(errno.ENOENT, os.strerror(errno.ENOENT), str(tmp_path / "static" / "a.css"))
    assert write_failure(source, out, staging) is None
