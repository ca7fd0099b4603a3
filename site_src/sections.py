"""Sections: a content folder with an `index.md` lists the pages in it.

Pure functions from pages to values. `section_tree` makes the tree once per build (it rides in
`site.sections`, so it reaches every render process with the site); `page_context` gives one
page its section, breadcrumbs, previous/next and, on a section's own page, the pager.

A section lists its own pages (not those of its subsections, which it lists as sections),
newest first by `date`, undated pages after the dated ones by `order`, then title. Long lists
are split into pages of `paginate` entries (10 by default): page 1 is the section's URL and
page n is `<section>page/n/`, so no page 1 exists twice. The top folder is not a section: the
home page starts the breadcrumbs, and top-level pages have none.
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import PageInfo

PAGE_SEGMENT = "page"
FEED_NAME = "feed.xml"


@dataclass(frozen=True, slots=True)
class Entry:
    """A page as lists, breadcrumbs and prev/next links show it."""

    title: str
    url: str
    description: str
    date: datetime.date | None
    updated: datetime.date | None
    order: int
    source: str


@dataclass(frozen=True, slots=True)
class Section:
    """A folder with an index.md: its page, its pages in list order, its subsections."""

    url: str
    source: str
    folder: str
    title: str
    description: str
    pages: tuple[Entry, ...]
    sections: tuple[Entry, ...]
    parent: str | None
    feed: str | None
    feed_url: str | None
    per_page: int
    positions: Mapping[str, int] = field(default_factory=dict)

    @property
    def dated(self) -> bool:
        """Whether the list is in date order (its pages have dates)."""
        return any(entry.date is not None for entry in self.pages)

    @property
    def page_count(self) -> int:
        """How many list pages the section has (at least one, even when empty)."""
        return max(1, -(-len(self.pages) // self.per_page))

    def pager_url(self, number: int) -> str:
        """The URL of list page `number`: the section's own for 1, else <url>page/<n>/."""
        return self.url if number == 1 else f"{self.url}{PAGE_SEGMENT}/{number}/"


@dataclass(frozen=True, slots=True)
class Pager:
    """One list page of a section: its entries and the links to the others."""

    number: int
    count: int
    items: tuple[Entry, ...]
    url: str
    prev_url: str | None
    next_url: str | None
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sections(Mapping[str, Section]):
    """`site.sections`: every section by URL (`site.sections['/news/']`), plus the home page."""

    by_url: Mapping[str, Section] = field(default_factory=dict)
    home: Entry | None = None
    folders: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, url: str) -> Section:
        return self.by_url[url]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_url)

    def __len__(self) -> int:
        return len(self.by_url)

    def of(self, source: str) -> Section | None:
        """The section a source file belongs to: the nearest folder above it with an index.md
        (for a section's own index.md, that section)."""
        folder = posixpath.dirname(source)
        while folder:
            url = self.folders.get(folder)
            if url is not None:
                return self.by_url[url]
            folder = posixpath.dirname(folder)
        return None

    def parent_of(self, section: Section) -> Section | None:
        return self.by_url.get(section.parent) if section.parent is not None else None


def entry(page: PageInfo) -> Entry:
    meta = page.meta
    return Entry(
        meta.title, page.url, meta.description, meta.date, meta.updated, meta.order, page.source
    )


def list_order(item: Entry) -> tuple[Any, ...]:
    """Newest first when dated; undated after, by order, then title and URL."""
    newest = -item.date.toordinal() if item.date is not None else 0
    return (item.date is None, newest, item.order, item.title.casefold(), item.url)


def section_order(item: Entry) -> tuple[Any, ...]:
    return (item.order, item.title.casefold(), item.url)


def feed_kind(value: bool | str) -> str | None:
    """`feed:` as written: true or summary (descriptions), full (whole pages), false (none)."""
    if value is True:
        return "summary"
    if isinstance(value, str) and value in ("summary", "full"):
        return value
    return None


def section_tree(pages: Sequence[PageInfo], content_root: str) -> Sections:
    """Every section of the site: each folder under the content folder with an index.md."""
    indexes = {
        posixpath.dirname(page.source): page
        for page in pages
        if posixpath.basename(page.source) == "index.md"
        and posixpath.dirname(page.source) != content_root
    }
    folders = {folder: page.url for folder, page in indexes.items()}

    def owner(source: str, own: bool) -> str | None:
        folder = posixpath.dirname(source)
        if not own:  # a section's index.md belongs to the section above it
            folder = posixpath.dirname(folder)
        while folder and folder != content_root:
            if folder in indexes:
                return folder
            folder = posixpath.dirname(folder)
        return None

    members: dict[str, list[Entry]] = {folder: [] for folder in indexes}
    children: dict[str, list[Entry]] = {folder: [] for folder in indexes}
    for page in pages:
        is_index = page is indexes.get(posixpath.dirname(page.source))
        folder = owner(page.source, own=not is_index)
        if folder is not None:
            (children if is_index else members)[folder].append(entry(page))
    by_url = {}
    for folder in sorted(indexes, key=lambda name: indexes[name].url):
        page = indexes[folder]
        listed = tuple(sorted(members[folder], key=list_order))
        parent = owner(page.source, own=False)
        kind = feed_kind(page.meta.feed)
        by_url[page.url] = Section(
            url=page.url,
            source=page.source,
            folder=folder,
            title=page.meta.title,
            description=page.meta.description,
            pages=listed,
            sections=tuple(sorted(children[folder], key=section_order)),
            parent=indexes[parent].url if parent is not None else None,
            feed=kind,
            feed_url=page.url + FEED_NAME if kind else None,
            per_page=max(1, page.meta.paginate),
            positions={item.url: index for index, item in enumerate(listed)},
        )
    home = next((entry(page) for page in pages if page.url == "/"), None)
    return Sections(by_url, home, folders)


def ancestors(sections: Sections, section: Section | None) -> list[Section]:
    """A section and those above it, top first."""
    chain: list[Section] = []
    while section is not None:
        chain.insert(0, section)
        section = sections.parent_of(section)
    return chain


def section_entry(section: Section) -> Entry:
    return Entry(section.title, section.url, section.description, None, None, 0, section.source)


def pager(section: Section, number: int) -> Pager:
    """List page `number` (from 1) of a section."""
    count = section.page_count
    start = (number - 1) * section.per_page
    return Pager(
        number=number,
        count=count,
        items=section.pages[start : start + section.per_page],
        url=section.pager_url(number),
        prev_url=section.pager_url(number - 1) if number > 1 else None,
        next_url=section.pager_url(number + 1) if number < count else None,
        urls=tuple(section.pager_url(n) for n in range(1, count + 1)),
    )


def pager_number(section: Section, url: str) -> int:
    """Which list page of `section` a URL is (1 for the section's own URL)."""
    prefix = f"{section.url}{PAGE_SEGMENT}/"
    if url.startswith(prefix) and url[len(prefix) :].rstrip("/").isdigit():
        return int(url[len(prefix) :].rstrip("/"))
    return 1


def page_context(sections: Sections, url: str, source: str) -> dict[str, Any]:
    """What a page's template gets besides its own values: `section` (the one it is in, or the
    one it is the index of), `parents` (breadcrumbs, home first), `prev`/`next` (neighbours in
    the section's list), `pager` (on a section's own pages) and `feed_url` (the nearest feed)."""
    section = sections.of(source)
    if section is None:
        return {}
    is_index = source == section.source
    chain = ancestors(sections, sections.parent_of(section) if is_index else section)
    parents = [section_entry(item) for item in chain]
    if sections.home is not None:
        parents.insert(0, sections.home)
    feeds = [item.feed_url for item in ancestors(sections, section) if item.feed_url]
    feed_url = feeds[-1] if feeds else None
    context: dict[str, Any] = {
        "section": section,
        "parents": tuple(parents),
        "feed_url": feed_url,
    }
    if is_index:
        context["pager"] = pager(section, pager_number(section, url))
        return context
    position = section.positions.get(url)
    if position is not None:
        context["prev"] = section.pages[position - 1] if position > 0 else None
        last = position + 1 < len(section.pages)
        context["next"] = section.pages[position + 1] if last else None
    return context


def pager_pages(sections: Sections) -> list[tuple[Section, int]]:
    """Every list page beyond the first, which the build renders besides the pages."""
    return [
        (section, number)
        for section in sections.values()
        for number in range(2, section.page_count + 1)
    ]


def descendants(sections: Sections, section: Section) -> list[Entry]:
    """The pages of a section and of every section below it (for its feed)."""
    found = list(section.pages)
    for child in section.sections:
        below = sections.by_url.get(child.url)
        if below is not None:
            found += descendants(sections, below)
    return found
