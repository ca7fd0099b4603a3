"""Every write of a build into the output folder: files into a staging folder, and an
all-or-nothing swap of that folder with the output folder (`publish`).

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
import errno
import glob
import operator
import os
import posixpath
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import compress
from pathlib import Path
from types import TracebackType

from .cache import BuildCache
from .errors import BuildFailed, Location, SiteError, project_path

HASH_LENGTH = 10
UNHASHED = {"favicon.ico", "robots.txt", "CNAME", ".nojekyll"}
# Written into every built site before it is swapped in: proof that the folder is ours to replace.
MARKER = ".site_src-output"
MARKER_TEXT = "This folder is written by site_src; every build replaces all of it.\n"
STAGING_PREFIX = ".{name}.staging-"


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


def open_staging(out_dir: Path) -> Path:
    """Make an empty staging folder next to the output folder (same file system, so rename works).

    Its name carries this process's id, so the next build can tell a folder left behind by a killed
    build (whose process is gone) from one a build running right now is still writing.
    """
    prefix = f"{STAGING_PREFIX.format(name=out_dir.name)}{os.getpid()}-"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out_dir)
        return new_folder(out_dir.parent, prefix)
    except OSError as exc:
        raise SiteError(
            f"cannot write beside the output folder {out_dir}: {exc.strerror or exc}",
            hint="Check that the output folder's parent is a folder you can write to.",
        ) from None


def new_folder(parent: Path, prefix: str) -> Path:
    """A new folder with a random name and the mode the umask gives (usually 755).

    Not `mkdtemp`: its folders are 700, and this one becomes the published site, which a web
    server running as another user must be able to read.
    """
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir(0o777)
            return path
        except FileExistsError:
            continue


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


def write_file(folder: Path, relative: str, content: bytes | str) -> Path:
    """Write one output file under `folder`, making its folders; refuse any path that would
    leave it. An OSError is left to `write_failure`, which knows the output folder."""
    target = safe_target(folder, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return target


def copy_file(folder: Path, relative: str, source: Path) -> Path:
    """Copy a static file's bytes to `relative` under `folder` (as `write_file`)."""
    target = safe_target(folder, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def link_file(folder: Path, relative: str, source: Path) -> None:
    """Hard-link a file kept from the previous output into the staging folder."""
    target = safe_target(folder, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(source, target)


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


def commit(staging: Path, out_dir: Path) -> list[SiteError]:
    """Swap the staging folder in as the output folder, then delete the old one.

    On Linux the two folders trade places in one atomic rename (renameat2 RENAME_EXCHANGE), so at
    every instant the output folder is either the whole old site or the whole new one, even if the
    process is killed. Elsewhere the old folder is moved aside first; a kill between the two renames
    leaves it in the staging-named folder, and the output folder missing but nothing lost.
    Once the new site is in place nothing may fail the build: an old folder that cannot be deleted
    is a warning, and Ctrl-C while deleting it raises `Published`.
    """
    if not (staging / MARKER).is_file():
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    if out_dir.is_dir() and _exchange(staging, out_dir):
        return after_swap(out_dir, staging)
    old = None
    if out_dir.exists():
        old = new_folder(out_dir.parent, staging.name + "-old-")
        os.rename(out_dir, old / "site")
    try:
        os.rename(staging, out_dir)
    except OSError:
        if old is not None:
            os.rename(old / "site", out_dir)
            discard(old)
        raise
    return after_swap(out_dir, old) if old is not None else []


class Published(KeyboardInterrupt):
    """Ctrl-C after the new site was swapped in: the old one is gone, so say so."""

    def __init__(self, out_dir: Path) -> None:
        super().__init__(str(out_dir))
        self.out_dir = out_dir


def after_swap(out_dir: Path, old: Path) -> list[SiteError]:
    """Delete the previous site once the new one is in place; problems are only warnings."""
    try:
        return discard(old)
    except KeyboardInterrupt:
        raise Published(out_dir) from None


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


def discard(folder: Path) -> list[SiteError]:
    """Delete a staging folder (or a previous site moved aside); return a warning naming it if
    it would not go, since it holds a whole copy of the site beside the output folder."""
    failures: list[BaseException] = []

    def failed(
        _function: object,
        _path: str,
        info: tuple[type[BaseException], BaseException, TracebackType],
    ) -> None:
        failures.append(info[1])

    if not os.path.lexists(folder):
        return []
    shutil.rmtree(folder, onerror=failed)
    if not failures and not os.path.lexists(folder):
        return []
    reason = next((str(e.strerror) for e in failures if isinstance(e, OSError)), "still there")
    return [
        SiteError(
            f"could not remove the temporary folder {folder}/: {reason}",
            hint="It holds a copy of the site and is not needed; delete it by hand.",
            severity="warning",
        )
    ]


FULL_DISK = {
    errno.ENOSPC: "is full",
    errno.EDQUOT: "is over its quota",
    errno.EROFS: "is read-only",
}


def write_failure(exc: OSError, out_dir: Path, staging: Path | None) -> SiteError | None:
    """The error to show for an OSError raised while a build writes its files, or None when it
    was not a write into the output (a source that cannot be read is reported as it is).

    A full or read-only disk names the output folder (a write error carries the name of a
    staging file, or no name at all), never whatever file the build happened to be reading."""
    names = [n for n in (exc.filename, exc.filename2) if n is not None]
    inside = staging is not None and any(
        Path(os.fsdecode(n)).is_relative_to(staging) for n in names
    )
    if exc.errno not in FULL_DISK and not inside:
        return None
    where = Location(f"{out_dir}/")
    if exc.errno in FULL_DISK:
        return SiteError(
            f"the disk that holds the output folder {FULL_DISK[exc.errno]} ({exc.strerror or exc})",
            where,
            "Make room on that disk (or write the site to another disk with --output); "
            "the previous site was not changed.",
        )
    return SiteError(
        f"cannot write into the output folder: {exc.strerror or exc}",
        where,
        "Check that the output folder and the folder around it can be written to.",
    )


@contextmanager
def removed_on_failure(staging: Path | None, out_dir: Path) -> Iterator[None]:
    """Whatever stops the build inside, remove the staging folder (warning if it will not go),
    so a failed build leaves nothing beside the output folder; an OSError while writing becomes
    a BuildFailed naming the output folder (see `write_failure`)."""
    try:
        yield
    except BuildFailed as failed:
        left = discard(staging) if staging is not None else []
        raise BuildFailed([*failed.errors, *left]) from None
    except OSError as exc:
        left = discard(staging) if staging is not None else []
        problem = write_failure(exc, out_dir, staging)
        if problem is None:
            raise
        raise BuildFailed([problem, *left]) from None
    except BaseException:
        if staging is not None:
            discard(staging)
        raise


def publish(
    out_dir: Path,
    old: BuildCache,
    new: BuildCache,
    staging: Path,
    exact: bool,
    cache_dir: Path | None,
    before_swap: Callable[[Path], None] | None = None,
) -> tuple[BuildCache, list[SiteError]]:
    """Put a successful build in place with one atomic rename, so readers never see a mix.

    Usually that swaps the staging folder in, after hard-linking every carried-over file into it.
    When the output folder is exactly as the cache recorded and only one file's bytes changed
    (the usual edit in a dev server), renaming that one file over the old one is just as atomic
    and spares relinking and deleting thousands of files; files rendered again with the same
    bytes are then left as they are (and keep their old records, under their new keys).
    Everything that can fail (the marker, saving the cache to `cache_dir`) happens before that
    rename, so an error can truthfully say the output folder was not changed; what comes after it
    only warns. `before_swap` gets the complete staging folder last (the search index reads every
    page there), and then the whole folder is always swapped. Returns the cache that describes the
    published output, and the warnings."""
    # Thousands of files kept as they were are the same records: picked out at C speed.
    olds = map(old.files.get, new.files)
    written = list(compress(new.files, map(operator.is_not, new.files.values(), olds)))
    changed = [
        n for n in written if n not in old.files or old.files[n].digest != new.files[n].digest
    ]
    one_file = (
        before_swap is None
        and exact
        and len(changed) <= 1
        and new.files.keys() >= old.files.keys()
        and len(new.files) == len(old.files.keys() | changed)
    )
    if one_file:
        files = dict(new.files)
        for name in written:
            if name not in changed:
                files[name] = replace(old.files[name], key=files[name].key)
        new = replace(new, files=files)
    else:
        for name, record in new.files.items():
            if old.files.get(name) is record:
                link_file(staging, name, out_dir / name)
        if before_swap is not None:
            before_swap(staging)
    warnings = save_cache(new, cache_dir) if cache_dir is not None else []
    if not one_file:
        return new, warnings + commit(staging, out_dir)
    for name in changed:
        target = safe_target(out_dir, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target)
    return new, warnings + after_swap(out_dir, staging)


def save_cache(cache: BuildCache, folder: Path) -> list[SiteError]:
    """Save the cache of a build about to be swapped in; a failure is a warning, not an error.

    A cache that describes a site which then does not get swapped in is harmless: a build trusts
    a recorded file only while the output folder holds that very file (same inode and size)."""
    try:
        cache.save(folder)
    except OSError as exc:
        return [
            SiteError(
                f"could not save the build cache in {folder}/: {exc.strerror or exc}",
                hint="The site was built in full; the next build will redo work it could have "
                "kept. Check that the cache folder can be written to.",
                severity="warning",
            )
        ]
    return []
