"""The values that flow between build stages. Frozen: a stage makes new values, never edits old ones.

Relations are keys (a page's `source` path, a site `url`), never object references, so every value
pickles cleanly to a worker process and can be hashed for the incremental cache.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SiteError

if TYPE_CHECKING:
    from .sections import Sections


@dataclass(frozen=True, slots=True)
class Source:
    """A content file as read from disk: path from the project root, text with LF line endings."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A page's typed front matter; free-form values live in `extra`.

    `written` is the front matter as written, every key (templates see it as `page.meta`);
    `title_in_content`: the title is the body's first `# heading`, which the page shows (so
    a template should not print it again)."""

    title: str
    description: str = ""
    slug: str | None = None
    template: str = "page.html"
    order: int = 0
    draft: bool = False
    date: datetime.date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    lang: str | None = None
    written: Mapping[str, Any] = field(default_factory=dict)
    title_in_content: bool = False
    # Sites that grow (sections.py, feeds.py, aliases.py).
    updated: datetime.date | None = None
    feed: bool | str = False
    aliases: tuple[str, ...] = ()
    paginate: int = 10
    search: bool = True  # false: left out of the site's search index (search.py)
    # False: the page's Markdown is not evaluated as a Jinja template (macros.py).
    macros: bool = True


class _PageFacts:
    """What both states of a page answer: names from its front matter, and where it lands."""

    __slots__ = ()
    source: str
    url: str
    meta: FrontMatter

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
class PageInfo(_PageFacts):
    """A page without its text: what the site index, the cache and the plan keep of a source.

    Texts are read again where a page is rendered, so memory stays flat as sites grow."""

    source: str
    url: str
    meta: FrontMatter
    body_line: int

    def with_text(self, text: str) -> Page:
        """The whole page again, from its source text (split as `content.parse_page` splits it)."""
        markdown = "\n".join(text.split("\n")[self.body_line - 1 :])
        return Page(self.source, self.url, self.meta, markdown, self.body_line, text)


@dataclass(frozen=True, slots=True)
class Page(_PageFacts):
    """One Markdown source after its front matter has been read, with its text and body."""

    source: str
    url: str
    meta: FrontMatter
    markdown: str
    body_line: int
    text: str
    # When `markdown` went through Jinja (macros.py) and has more or fewer lines than the file:
    # for each of its lines, the line of the body it came from (0-based).
    lines: tuple[int, ...] = ()

    def line_at(self, offset: int) -> int:
        """The file's line (1-based) of the body's line `offset` (0-based)."""
        if self.lines:
            offset = self.lines[min(offset, len(self.lines) - 1)]
        return self.body_line + offset

    @property
    def info(self) -> PageInfo:
        """The page without its text."""
        return PageInfo(self.source, self.url, self.meta, self.body_line)


class UrlMap(Mapping[str, str]):
    """Every source's URL (the one page-to-URL map of a build), with the set of those URLs made
    once beside it: a link without its trailing slash is looked up in the set, page after page."""

    __slots__ = ("_by_source", "urls")

    def __init__(self, by_source: Mapping[str, str]) -> None:
        self._by_source = dict(by_source)
        self.urls = frozenset(self._by_source.values())

    def __getitem__(self, source: str) -> str:
        return self._by_source[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_source)

    def __len__(self) -> int:
        return len(self._by_source)

    def __reduce__(self) -> tuple[object, ...]:
        return (UrlMap, (self._by_source,))


@dataclass(frozen=True, slots=True)
class Heading:
    """An entry of a page's table of contents."""

    level: int
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Link:
    """A URL in a page's Markdown (or raw HTML in it), with the source line it came from.

    `href` is the URL as published; `written` what the author wrote when the build rewrote it
    (`keynote.md#capex` for `/keynote/#capex`), empty when they are the same."""

    href: str
    line: int
    column: int | None = None
    written: str = ""


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
class ImageInfo:
    """What a page needs to know of a raster image it shows: its real size (so the browser
    reserves the space before the bytes arrive), whether it can be resized, or why it cannot be
    read (reported at the Markdown line that uses it, not for a file nothing shows)."""

    width: int = 0
    height: int = 0
    format: str = ""
    animated: bool = False
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Asset:
    """A static file, or a file beside the pages in the content folder: its path under that
    folder, where it is published (static files with their content hash in the name, content
    files at their own path), its hash, and its size if it is a raster image."""

    logical: str
    output: str
    digest: str
    image: ImageInfo | None = None


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
    meta: Mapping[str, Any] = field(default_factory=dict)
    lang: str = ""
    title_in_content: bool = False
    # Sites that grow: filled in by `sections.page_context` (see sections.py).
    updated: datetime.date | None = None
    section: Any = None
    parents: tuple[Any, ...] = ()
    prev: Any = None
    next: Any = None
    pager: Any = None
    feed_url: str | None = None
    search: bool = True  # in the search index (front matter `search: false` leaves it out)


@dataclass(frozen=True, slots=True)
class SiteView:
    """What templates see as `site`."""

    title: str
    description: str
    language: str
    author: str
    base_url: str
    base_path: str
    nav: tuple[NavItem, ...]
    pages: tuple[PageView, ...]
    extra: Mapping[str, Any]
    sections: Sections = field(default_factory=lambda: _no_sections())  # sections.py
    search: bool = False  # site.yml's `search`: the theme shows its search box


def _no_sections() -> Sections:
    from .sections import Sections

    return Sections()


@dataclass(frozen=True, slots=True)
class Output:
    """One generated file of the built site: its path in the output folder, and its bytes."""

    path: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Parsed:
    """A source's front matter as parsed once: the page without its text, and its warnings.

    `size` and `mtime_ns` let a later build skip reading the file when `stat` still says the
    same (as git's index does); `mtime_ns` is -1 when the file was written too recently for its
    time stamp to prove anything, so it is read again next time."""

    digest: str
    page: PageInfo
    warnings: tuple[SiteError, ...]
    size: int = -1
    mtime_ns: int = -1


@dataclass(frozen=True, slots=True)
class ParsedData:
    """A data file as parsed once: the hash of its bytes and its value as JSON data
    (`cachefile.encode_value`'s form, decoded afresh for each build, so a template that changes
    a value in one build cannot change what the next build sees).

    `stored`: for an entry read from a saved cache, the path of the cache's file that holds the
    value (`encoded` is then None), read only when a page uses the value."""

    digest: str
    encoded: Any = None
    stored: str = ""


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One output file: the key it was made from and what `stat` said right after writing it.

    `reads`: for a page, the data files (by name, `data.NAME`) its Markdown and template read,
    which are part of its key (`cache.data_key`); "*" stands for all of them."""

    key: str
    digest: str
    size: int
    mtime_ns: int
    inode: int
    reads: tuple[str, ...] = ()


def url_to_output_path(url: str) -> str:
    """Map a site path to a file: /keynote/ -> keynote/index.html, /404.html -> 404.html."""
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path
