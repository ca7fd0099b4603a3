"""`new`: start a page with its front matter filled in, so a writer begins with text, not syntax.

The new page builds as it is: a title, a description to replace, and an `order` after the last
page. Pages carry no date (the site's pages are not dated); add `date:` when a page needs one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from .config import Config
from .content import DESCRIPTION_PLACEHOLDER, parse_page
from .errors import SiteError
from .markdown import heading_slug
from .sources import find_sources


@dataclass(frozen=True, slots=True)
class NewPage:
    """The file to create and its text."""

    path: Path
    text: str


def slugify(title: str) -> str:
    """'Panel: AI infrastructure' -> 'panel-ai-infrastructure', '云栖大会' -> '云栖大会'.

    The rule of heading ids, with runs of hyphens made one: letters of every script are kept, not
    transliterated, because no transliteration is right for every language (the same Han
    characters read differently in Chinese and Japanese) and browsers show such URLs as written.
    NFC keeps an accented letter one character, however the title was typed."""
    slug = heading_slug(unicodedata.normalize("NFC", title))
    return re.sub(r"-{2,}", "-", slug).strip("-_")


def file_parts(name: str) -> list[str]:
    """The folders and file name of `--name guide/setup`, each made a slug; refuses a name that
    would leave the content folder."""
    windows = PureWindowsPath(name)
    if PurePosixPath(name).is_absolute() or windows.drive or windows.root:
        raise SiteError(
            f"--name {name!r} is an absolute path",
            hint="Give a path inside the content folder, e.g. --name guide/setup",
        )
    raw = [part for part in re.split(r"[/\\]", name.removesuffix(".md")) if part]
    if any(part in (".", "..") for part in raw):
        raise SiteError(
            f"--name {name!r} may not contain '.' or '..'",
            hint="Give a path inside the content folder, e.g. --name guide/setup",
        )
    parts = [slugify(part) for part in raw]
    if not parts or not all(parts):
        raise SiteError(
            f"cannot make a file name from --name {name!r}",
            hint="Use letters or digits, e.g. --name guide/setup",
        )
    return parts


def plan_page(config: Config, title: str, name: str | None = None) -> NewPage:
    """Work out the file and front matter for a new page titled `title`."""
    title = title.strip()
    if not title:
        raise SiteError(
            "the new page needs a title", hint='Example: new "Panel: AI infrastructure"'
        )
    parts = file_parts(name) if name is not None else [slugify(title)]
    if not parts[-1]:
        raise SiteError(
            f"cannot make a file name from {title!r}",
            hint="Give one with --name, e.g. --name ai-panel",
        )
    path = config.content_dir.joinpath(*parts[:-1], f"{parts[-1]}.md")
    order = next_order(config)
    text = (
        "---\n"
        f"title: {yaml_string(title)}\n"
        f"description: {yaml_string(DESCRIPTION_PLACEHOLDER)}\n"
        f"order: {order}\n"
        "---\n"
        "Write the page here, in Markdown. The title above is the page's heading.\n"
    )
    return NewPage(path, text)


def yaml_string(value: str) -> str:
    """A double-quoted scalar: JSON strings are valid YAML and need no further thought."""
    return json.dumps(value, ensure_ascii=False)


def next_order(config: Config) -> int:
    """One more than the highest `order` among pages that parse (broken ones are skipped)."""
    sources, _problems = find_sources(config)
    content_root = config.content_dir.relative_to(config.root).as_posix()
    orders = []
    for source in sources:
        try:
            page, _warnings = parse_page(source, content_root)
        except SiteError:
            continue
        orders.append(page.meta.order)
    return max(orders, default=0) + 1


def create_page(page: NewPage, root: Path) -> str:
    """Write the page, refusing to replace a file; return its path relative to the root."""
    relative = page.path.relative_to(root).as_posix()
    page.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with page.path.open("x", encoding="utf-8") as handle:
            handle.write(page.text)
    except FileExistsError:
        raise SiteError(
            f"{relative} already exists; it was left unchanged",
            hint="Choose another title, or give a file name with --name.",
        ) from None
    return relative
