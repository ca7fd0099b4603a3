"""The values that flow between build stages. Frozen: a stage makes new values, never edits old ones.

Relations are keys (a page's `source` path, a site `url`), never object references, so every value
pickles cleanly to a worker process and can be hashed for the incremental cache.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Source:
    """A content file as read from disk: path from the project root, text with LF line endings."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A page's typed front matter; free-form values live in `extra`."""

    title: str
    description: str = ""
    slug: str | None = None
    template: str = "page.html"
    order: int = 0
    draft: bool = False
    date: datetime.date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    # Sites that grow (sections.py, feeds.py, aliases.py).
    updated: datetime.date | None = None
    feed: bool | str = False
    aliases: tuple[str, ...] = ()
    paginate: int = 10


@dataclass(frozen=True, slots=True)
class Page:
    """One Markdown source after its front matter has been read."""

    source: str
    url: str
    meta: FrontMatter
    markdown: str
    body_line: int
    text: str

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def description(self) -> str:
        return self.meta.description

    @property
    def order(self) -> int:
        return self.meta.order

    @property
    def output_path(self) -> str:
        """Where the page lands in the output folder (pretty URLs: a folder with index.html)."""
        return url_to_output_path(self.url)


@dataclass(frozen=True, slots=True)
class Heading:
    """An entry of a page's table of contents."""

    level: int
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Link:
    """A URL written in a page's Markdown (or raw HTML in it), with the source line it came from."""

    href: str
    line: int
    column: int | None = None


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A page's Markdown rendered to HTML, with what the link checker needs to know about it."""

    source: str
    html: str
    toc: tuple[Heading, ...]
    links: tuple[Link, ...]
    unresolved: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class NavItem:
    """A navigation entry; `url` is a site path such as /keynote/ (before the base path)."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Asset:
    """A static file: where it is on disk and where it goes, with its content hash in the name."""

    logical: str
    output: str
    digest: str


@dataclass(frozen=True, slots=True)
class PageView:
    """What templates see as `page`: the page's metadata plus its rendered body."""

    title: str
    description: str
    url: str
    source: str
    content: Any
    toc: tuple[Heading, ...]
    date: datetime.date | None
    extra: Mapping[str, Any]
    template: str
    order: int
    # Sites that grow: filled in by `sections.page_context` (see sections.py).
    updated: datetime.date | None = None
    section: Any = None
    parents: tuple[Any, ...] = ()
    prev: Any = None
    next: Any = None
    pager: Any = None
    feed_url: str | None = None


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the built site, path relative to the output folder."""

    path: str
    content: bytes


def url_to_output_path(url: str) -> str:
    """Map a site path to a file: /keynote/ -> keynote/index.html, /404.html -> 404.html."""
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path
