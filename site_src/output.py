"""Writing the site: static assets with content hashes, and an all-or-nothing swap of the output folder.

A build writes into a fresh staging folder beside the output folder and swaps it in only when the
whole build succeeded, so a failed or interrupted build leaves the last good site untouched, and
files that no longer belong to the site disappear with the old folder. A staging folder left by a
killed build is recognised by its dead process id and removed by the next build.

Because the output folder is replaced whole, it must be ours to replace: every build writes a marker
file into it, and a non-empty folder without the marker is refused (except the project's own
`_site`, so sites built before the marker existed keep building).
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import os
import posixpath
import shutil
import sys
import tempfile
from pathlib import Path, PurePath

from .errors import SiteError, project_path
from .model import Asset
from .paths import Sources, check_source_name, read_regular, source_files

HASH_LENGTH = 10
UNHASHED = {"favicon.ico", "robots.txt", "CNAME", ".nojekyll"}
# Written last into every built site: proof that the folder is ours to replace.
MARKER = ".site_src-output"
MARKER_TEXT = "This folder is written by site_src; every build replaces all of it.\n"
STAGING_PREFIX = ".{name}.staging-"


def collect_assets(static_dir: Path, sources: Sources) -> tuple[dict[str, Asset], list[SiteError]]:
    """Every file under the static folder, keyed by its path there, named with its content hash.

    A file whose name cannot be a URL, or an entry that `paths` refuses (a pipe, a link out of the
    source folders), is an error: either would otherwise reach the published site or stop the
    build. The other files are still collected, so links to them are checked as usual.
    """
    assets: dict[str, Asset] = {}
    if not static_dir.is_dir():
        return assets, []
    found, errors = source_files(static_dir, sources)
    for parts, file in found:
        name = project_path(file, str(sources.root))
        try:
            check_source_name(PurePath(*parts), name)
            raw = read_regular(Path(file), name)
        except SiteError as error:
            errors.append(error)
            continue
        logical = "/".join(parts)
        digest = hashlib.sha256(raw).hexdigest()
        assets[logical] = Asset(logical, hashed_name(logical, digest), digest)
    return assets, errors


def hashed_name(logical: str, digest: str) -> str:
    """css/site.css -> css/site.0123456789.css (files browsers ask for by name keep their name)."""
    if logical in UNHASHED:
        return logical
    stem, ext = posixpath.splitext(logical)
    return f"{stem}.{digest[:HASH_LENGTH]}{ext}"


def output_folder_problems(out_dir: Path, root: Path) -> list[SiteError]:
    """The reasons not to replace `out_dir` (see `check_output_folder`), as a list."""
    try:
        check_output_folder(out_dir, root)
    except SiteError as error:
        return [error]
    return []


def check_output_folder(out_dir: Path, root: Path) -> None:
    """Refuse to replace a folder that this tool did not make (it may hold someone's files).

    An output folder may be replaced when it does not exist, is empty, or holds our marker file.
    The project's default `_site` (as a real folder, not a link) is also allowed without the marker,
    so sites built before the marker existed keep building; any other folder must be emptied or
    removed by hand first.
    """
    shown = project_path(str(out_dir), str(root))
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise SiteError(
            f"the output folder {shown}/ is a file or a link, not a folder",
            hint="Remove it, or choose another output folder.",
        )
    default = root / "_site"
    if not out_dir.is_dir() or (out_dir / MARKER).is_file() or out_dir == default:
        return
    if any(out_dir.iterdir()):
        raise SiteError(
            f"the output folder {shown}/ has files that were not written by a build",
            hint="Choose an empty or new output folder, or remove this one if nothing in it "
            f"matters (a built site contains a {MARKER} file).",
        )


def reserved_outputs(calendar: str | None) -> dict[str, str]:
    """Files every build writes itself, and what each one is."""
    names = ["404.html", "sitemap.xml", "robots.txt", ".nojekyll", "CNAME", MARKER]
    reserved = {name: f"generated file {name}" for name in names}
    if calendar:
        reserved[f"{calendar}.ics"] = f"generated file {calendar}.ics"
    return reserved


def open_staging(out_dir: Path) -> Path:
    """Make an empty staging folder next to the output folder (same file system, so rename works).

    Its name carries this process's id, so the next build can tell a folder left behind by a killed
    build (whose process is gone) from one a build running right now is still writing.
    """
    prefix = f"{STAGING_PREFIX.format(name=out_dir.name)}{os.getpid()}-"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out_dir)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    except OSError as exc:
        raise SiteError(
            f"cannot write beside the output folder {out_dir}: {exc.strerror or exc}",
            hint="Check that the output folder's parent is a folder you can write to.",
        ) from None


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Delete staging folders of builds that were killed; return what was deleted."""
    removed = []
    pattern = STAGING_PREFIX.format(name=out_dir.name)
    for entry in sorted(out_dir.parent.glob(glob.escape(pattern) + "*")):
        pid_text = entry.name[len(pattern) :].split("-", 1)[0]
        if not entry.is_dir() or entry.is_symlink() or not pid_text.isdigit():
            continue
        if _alive(int(pid_text)) and int(pid_text) != os.getpid():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_file(staging: Path, relative: str, content: bytes | str) -> None:
    """Write one output file; refuse any path that would leave the staging folder."""
    target = safe_target(staging, relative)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    except OSError as exc:
        raise SiteError(
            f"cannot write {relative}: {exc.strerror or exc}",
            hint="Two outputs may want the same path (a page and a static file, or a file "
            "and a folder); rename one.",
        ) from None


def safe_target(folder: Path, relative: str) -> Path:
    """Resolve a relative output path inside `folder`, or raise if it would escape."""
    normal = posixpath.normpath(relative)
    bad = (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or normal.startswith(("/", ".."))
        or (len(normal) > 1 and normal[1] == ":")
        or any(ord(ch) < 32 for ch in relative)
    )
    if bad:
        raise SiteError(f"refusing to write outside the output folder: {relative!r}")
    return folder / normal


def commit(staging: Path, out_dir: Path) -> None:
    """Swap the staging folder in as the output folder, then delete the old one.

    On Linux the two folders trade places in one atomic rename (renameat2 RENAME_EXCHANGE), so at
    every instant the output folder is either the whole old site or the whole new one, even if the
    process is killed. Elsewhere the old folder is moved aside first; a kill between the two renames
    leaves it in the staging-named folder, and the output folder missing but nothing lost.
    """
    (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    if out_dir.is_dir() and _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=staging.name + "-old-", dir=out_dir.parent))
        os.rename(out_dir, old / "site")
    os.rename(staging, out_dir)
    if old is not None:
        shutil.rmtree(old)


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(result == 0)


def discard(staging: Path) -> None:
    """Throw away a staging folder after a failed build."""
    shutil.rmtree(staging, ignore_errors=True)
