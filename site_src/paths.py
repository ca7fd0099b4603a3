"""Which file names may become URLs, and which files may be read: the rules for hostile names.

Content, data and static files are named by whoever writes them; a name turns into a URL and an
output path, and a symbolic link could pull a file from anywhere into the published site.

Every walker of a source folder goes through `source_files`, and every reader through
`check_target` and `read_regular`, so one rule holds everywhere:

- Names starting with '.' are skipped, as are the output and cache folders.
- A named pipe, socket or device is refused and never opened (opening a pipe blocks forever).
- A link, to a file or a folder, is followed only when its resolved target lies inside one of the
  source folders (content, templates, static, data), is not hidden there, and is not inside the
  output folder, the cache folder or the project's `.git`. So a link cannot publish a git config
  holding a token, a file from outside the project, or the build's own output.
- A folder link may not lead back to a folder that contains it, and a loop of links is refused,
  so no walk follows links across the file system.

Every entry of a source folder is checked, whether or not the build would read it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from .errors import Location, SiteError, project_path, unreadable

if TYPE_CHECKING:
    from .config import Config

# Characters a file or folder name may not have: they break URLs or mean another folder or drive.
UNSAFE_NAME_CHARS = frozenset('\\:*?"<>|#%')

# What a file that is neither regular nor a folder is, by its type bits.
SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)

# A file under a source folder: its path parts below the folder, and its path.
Found = tuple[tuple[str, ...], str]


def unsafe_chars(part: str) -> list[str]:
    """The characters of one name that cannot be part of a URL path, sorted."""
    return sorted({ch for ch in part if ch in UNSAFE_NAME_CHARS or ord(ch) < 32 or ord(ch) == 127})


def check_source_name(relative: PurePath, name: str) -> None:
    """A source's folder and file names become URL parts: refuse those that cannot be one."""
    for part in relative.parts:
        bad = unsafe_chars(part)
        if bad:
            shown = ", ".join(repr(ch) for ch in bad)
            raise SiteError(
                f"the name {part!r} cannot be part of a URL (it contains {shown})",
                Location(name),
                "Rename the file or folder using letters, digits, '-', '_' and '.'.",
            )


@dataclass(frozen=True, slots=True)
class Sources:
    """The project's source folders and the places no link may lead (see the module's rule)."""

    root: Path
    folders: tuple[Path, ...]
    never: tuple[Path, ...]

    @classmethod
    def of(cls, config: Config) -> Sources:
        folders = (config.content_dir, config.templates_dir, config.static_dir, config.data_dir)
        never = (config.output_dir, config.cache_dir, config.root / ".git")
        return cls(config.root, tuple(dict.fromkeys(folders)), never)

    def name(self, path: str | os.PathLike[str]) -> str:
        """A path as messages show it: relative to the project."""
        return project_path(str(path), str(self.root))

    def refusal(self, target: Path) -> str | None:
        """Where a link's resolved target is, if a link may not lead there; None if it may.

        Compared as text (both paths are resolved): this runs for every page a build reads."""
        text = os.path.normcase(target)
        if path_below(text, self.root) is None:
            return "somewhere outside the project"
        shown = "the project folder" if target == self.root else self.name(target)
        if any(path_below(text, place) is not None for place in self.never):
            return f"{shown}, which is not a source file"
        for folder in self.folders:
            rest = path_below(text, folder)
            if rest is not None:
                if any(part.startswith(".") for part in rest.split(os.sep)):
                    return f"{shown}, which is hidden"
                return None
        return f"{shown}, which is not in a source folder"

    def hint(self, folder: Path, start: str = "Copy") -> str:
        """What to do instead of a refused link in `folder`."""
        allowed = ", ".join(f"{self.name(f)}/" for f in self.folders)
        return (
            f"{start} the file into {self.name(folder)}/ instead of linking to it (links may only "
            f"lead to files and folders in {allowed}, not to hidden ones)."
        )


def path_below(text: str, folder: Path) -> str | None:
    """The rest of the normalised path `text` below `folder` ("" for the folder itself); None
    if it is not inside it (what `PurePath.relative_to` tells, without its cost)."""
    place = os.path.normcase(folder)
    if text == place:
        return ""
    prefix = place if place.endswith(os.sep) else place + os.sep
    return text[len(prefix) :] if text.startswith(prefix) else None


def special_kind(mode: int) -> str | None:
    """What a file of this mode is if it is neither a regular file nor a folder, else None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((kind for test, kind in SPECIAL_KINDS if test(mode)), "not a regular file")


def special_file(kind: str, name: str) -> SiteError:
    """A pipe, socket or device among the sources: opening it could block the build forever."""
    return SiteError(
        f"the file is {kind}, not a regular file; it was not read",
        Location(name),
        "Move it away or replace it with a regular file: sources are only read from files.",
    )


def check_target(
    path: Path, sources: Sources, folder: Path, chain: tuple[str, ...] = ()
) -> tuple[Path, os.stat_result]:
    """Where `path` (under the source folder `folder`) really leads, and its `stat`.

    Refused with a SiteError naming `path`: a broken link, a loop of links, a link where `Sources`
    forbids, a folder that is one of the real folders above it (`chain`), and anything neither a
    regular file nor a folder. Nothing is opened.
    """
    name = sources.name(path)
    try:
        target = Path(os.path.realpath(path, strict=True))
        info = os.stat(target)
    except FileNotFoundError:
        hint = sources.hint(folder, "Remove the link, or copy")
        raise SiteError("the file is a link to nothing", Location(name), hint) from None
    except (OSError, RuntimeError):
        hint = sources.hint(folder, "Remove the link, or copy")
        raise SiteError("the file is a link in a loop of links", Location(name), hint) from None
    what = "folder" if stat.S_ISDIR(info.st_mode) else "file"
    reason = sources.refusal(target)
    if reason is not None:
        raise SiteError(f"the {what} is a link to {reason}", Location(name), sources.hint(folder))
    if what == "folder" and str(target) in chain:
        raise SiteError(
            f"the folder is a link to {sources.name(target)}/, which holds the link itself: "
            "following it would never end",
            Location(name),
            "Remove the link: a folder cannot be inside itself.",
        )
    kind = special_kind(info.st_mode)
    if kind is not None:
        raise special_file(kind, name)
    return target, info


def source_files(
    folder: Path,
    sources: Sources,
    recursive: bool = True,
    walked: list[tuple[str, str]] | None = None,
) -> tuple[list[Found], list[SiteError]]:
    """Every file under a source folder, sorted by path parts, and an error per refused entry.

    Files and folders are told apart by their directory entries, so a walk costs no system call
    per file; only links are resolved. Links to folders are followed where the rule allows.
    Each folder read is added to `walked`, if given, as its path through the walk and its real path.
    """
    found: list[Found] = []
    errors: list[SiteError] = []
    skip = {str(place) for place in sources.never}
    stack: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [(str(folder), (), (str(folder),))]
    while stack:
        current, parts, chain = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            errors.append(unreadable(exc, sources.name(current)))
            continue
        if walked is not None:
            walked.append((current, chain[-1]))
        for entry in entries:
            if entry.name.startswith("."):
                continue
            here = (*parts, entry.name)
            if entry.is_symlink():
                try:
                    target, info = check_target(Path(entry.path), sources, folder, chain)
                except SiteError as error:
                    errors.append(error)
                    continue
                is_folder, real = stat.S_ISDIR(info.st_mode), str(target)
            elif entry.is_dir(follow_symlinks=False):
                is_folder, real = True, os.path.join(chain[-1], entry.name)
            elif entry.is_file(follow_symlinks=False):
                is_folder, real = False, ""
            else:
                kind = special_kind(entry.stat(follow_symlinks=False).st_mode)
                errors.append(special_file(kind or "not a regular file", sources.name(entry.path)))
                continue
            if not is_folder:
                found.append((here, entry.path))
            elif recursive and real not in skip:
                stack.append((entry.path, here, (*chain, real)))
    return sorted(found), errors


def read_regular(path: Path, name: str) -> bytes:
    """The bytes of a source file, refused unread unless it is a regular file.

    `stat` before opening keeps a pipe or device from being opened at all; opening without
    blocking and checking again with `fstat` covers a pipe put in its place meanwhile.
    """
    try:
        kind = special_kind(os.stat(path).st_mode)
        if kind is not None:
            raise special_file(kind, name)
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(handle, "rb") as stream:
            kind = special_kind(os.fstat(handle).st_mode)
            if kind is not None:
                raise special_file(kind, name)
            return stream.read()
    except OSError as exc:
        raise unreadable(exc, name) from None
