"""`init`: a new project that builds at once and looks finished, so a new user starts from a
working site and edits it, rather than from an empty folder and the documentation.

The files come from the `starter/` folder shipped in the package; a few names are stored without
their leading dot (`gitignore`, `github/`) so packaging tools never drop them as hidden files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .errors import SiteError

STARTER_DIR = Path(__file__).resolve().parent / "starter"
RENAMED = {"gitignore": ".gitignore", "github": ".github"}
PLACEHOLDER_REQUIREMENT = "site_src @ git+https://github.com/OWNER/site_src.git@main"
SHOWN_IN_THE_WAY = 5


@dataclass(frozen=True, slots=True)
class StarterFile:
    """One file of the new project: its path inside the project and its bytes."""

    path: str
    content: bytes


def starter_files(title: str, requirement: str) -> list[StarterFile]:
    """The new project's files, with its title and the requirement line filled in."""
    values = {
        "__TITLE__": json.dumps(title, ensure_ascii=False),
        "__TITLE_TEXT__": title,
        "__REQUIREMENT__": requirement,
    }
    files = []
    for path in sorted(STARTER_DIR.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        parts = path.relative_to(STARTER_DIR).parts
        name = "/".join((RENAMED.get(parts[0], parts[0]), *parts[1:]))
        raw = path.read_bytes()
        if path.suffix in (".yml", ".md", ".txt", ""):
            text = raw.decode("utf-8")
            for token, value in values.items():
                text = text.replace(token, value)
            raw = text.encode("utf-8")
        files.append(StarterFile(name, raw))
    return files


def installed_requirement() -> str:
    """How CI can install the site_src running now: its git URL and commit when pip installed it
    from git (PEP 610's direct_url.json), else a placeholder the README asks the user to fill."""
    try:
        raw = metadata.distribution("site_src").read_text("direct_url.json")
        origin = json.loads(raw or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return PLACEHOLDER_REQUIREMENT
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git" or not vcs.get("commit_id"):
        return PLACEHOLDER_REQUIREMENT
    return f"site_src @ git+{origin['url']}@{vcs['commit_id']}"


def title_from_folder(folder: Path) -> str:
    """'my-site' -> 'My site': a readable first title, changed in site.yml anyway."""
    words = folder.resolve().name.replace("-", " ").replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else "My site"


def in_the_way(folder: Path) -> list[str]:
    """What already exists in the target folder (sorted, hidden files too)."""
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise SiteError(
            f"{folder} is a file, not a folder", hint="Give the name of a new or empty folder."
        )
    return sorted(entry.name + ("/" if entry.is_dir() else "") for entry in folder.iterdir())


def create_project(folder: Path, *, force: bool = False, title: str | None = None) -> list[str]:
    """Write the starter project into `folder`; refuse a non-empty one unless `force` (which
    replaces the starter's own files and leaves everything else alone). Returns the paths made."""
    existing = in_the_way(folder)
    if existing and not force:
        shown = ", ".join(existing[:SHOWN_IN_THE_WAY])
        more = f" and {len(existing) - SHOWN_IN_THE_WAY} more" if len(existing) > 5 else ""
        raise SiteError(
            f"{folder} is not empty: {shown}{more} would be in the way",
            hint="Choose a new folder, or add --force to write the starter files among these "
            "(files of the same name are replaced).",
        )
    files = starter_files(title or title_from_folder(folder), installed_requirement())
    for item in files:
        target = folder / item.path
        if target.is_symlink() or target.is_dir():
            raise SiteError(f"{target} is in the way of a starter file (a link or a folder)")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content)
    return [item.path for item in files]
