"""Which file names may become URLs, and which files may be read: the rules for hostile names.

Content, data and static files are named by whoever writes them; a name turns into a URL and an
output path, and a symbolic link could pull a file from anywhere into the published site.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from .errors import Location, SiteError

# Characters a file or folder name may not have: they break URLs or mean another folder or drive.
UNSAFE_NAME_CHARS = frozenset('\\:*?"<>|#%')


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


def check_inside(path: Path, root: Path, name: str) -> None:
    """Refuse a source that is a link to a file outside the project (its content would leak)."""
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        raise SiteError(
            "the file is a link to somewhere outside the project",
            Location(name),
            "Copy the file into the project instead of linking to it.",
        ) from None
