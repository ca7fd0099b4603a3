"""What a growing site adds to a build: the section tree, list pages beyond the first, Atom
feeds and redirect pages for moved URLs. The build calls two functions:

- `plan_growth(config, pages, taken)` once the pages are known: the section tree (for
  `site.sections`), every file this adds (so links to them check and collisions are found),
  and the mistakes (a bad alias, an alias on a real page, a feed without an absolute base URL).
- `render_growth(...)` with the other generated files: their contents, the link scans of the
  HTML ones, and their errors.

Both are plain functions of values; `sections.py`, `feeds.py` and `aliases.py` hold the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import jinja2

from .aliases import BadAlias, alias_url, render_alias
from .config import Config
from .errors import Location, SiteError, located
from .feeds import FeedItem, absolute_html, feed_entries, render_feed
from .links import PageScan, check_links, cross_page_refs, scan_html
from .model import Asset, Page, RenderedBody, url_to_output_path
from .output import reserved_outputs
from .sections import Sections, pager_pages, section_tree
from .urls import encode_url


@dataclass(frozen=True, slots=True)
class Growth:
    """The section tree and the files it adds: output path -> what makes it."""

    sections: Sections = field(default_factory=Sections)
    pagers: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # out -> (section, n)
    feeds: Mapping[str, str] = field(default_factory=dict)  # out -> section URL
    aliases: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # out -> (URL, source)
    full_sources: tuple[str, ...] = ()

    @property
    def outputs(self) -> list[str]:
        return sorted([*self.pagers, *self.feeds, *self.aliases])


def plan_growth(
    config: Config, pages: Sequence[Page], assets: Iterable[Asset]
) -> tuple[Growth, list[SiteError]]:
    """The section tree and the files it adds, checked against every other output file (pages,
    static and generated files) so a clash is an error here."""
    content_root = config.content_dir.relative_to(config.root).as_posix()
    errors: list[SiteError] = []
    sections = section_tree(pages, content_root)
    section_sources = {section.source for section in sections.values()}
    owners = reserved_outputs(config.calendar)
    owners.update({asset.output: f"static file {asset.logical}" for asset in assets})
    owners.update({page.output_path: f"page {page.source}" for page in pages})
    page_urls = {page.url: page for page in pages}
    pagers: dict[str, tuple[str, int]] = {}
    for section, number in pager_pages(sections):
        out = url_to_output_path(section.pager_url(number))
        if out in owners:
            index = page_urls[section.url]
            errors.append(
                at(
                    config,
                    index,
                    "paginate",
                    f"list page {number} of this section would be "
                    f"written to {out}, which is taken by the {owners[out]}",
                    "Rename that page, or set a larger paginate: in this index.md.",
                )
            )
            continue
        pagers[out] = (section.url, number)
        owners[out] = f"list page {number} of {section.source}"
    feeds: dict[str, str] = {}
    full: list[str] = []
    for page in pages:
        value = page.meta.feed
        if value is False:
            continue
        if page.source not in section_sources:
            errors.append(
                at(
                    config,
                    page,
                    "feed",
                    "feed: works only in a section's index.md",
                    "Put the pages in a folder with an index.md (content/news/index.md) and "
                    "write feed: true there.",
                )
            )
            continue
        section = sections[page.url]
        if section.feed is None:
            errors.append(
                at(
                    config,
                    page,
                    "feed",
                    f"feed: must be true, false, summary or full, not {value!r}",
                    "feed: true (or summary) gives each page's description; "
                    "feed: full gives whole pages.",
                )
            )
            continue
        if not config.has_host:
            errors.append(
                at(
                    config,
                    page,
                    "feed",
                    f"a feed needs an absolute base_url, not "
                    f"{config.base_url!r}: feed readers need absolute links",
                    "Set base_url in site.yml to where the site is published, e.g. "
                    "https://USER.github.io/REPO/, or pass --base-url.",
                )
            )
            continue
        out = url_to_output_path(section.feed_url or "")
        if out in owners:
            errors.append(
                at(
                    config,
                    page,
                    "feed",
                    f"this section's feed would be written to {out}, "
                    f"which is taken by the {owners[out]}",
                    "Rename that file.",
                )
            )
            continue
        feeds[out] = section.url
        owners[out] = f"feed of {section.source}"
        if section.feed == "full":
            full += [item.source for item in feed_entries(sections, section)]
    # A refused feed is not announced either: its error is the one to fix.
    refused = [
        url
        for url, section in sections.items()
        if section.feed_url and (url_to_output_path(section.feed_url) not in feeds)
    ]
    if refused:
        by_url = {
            url: replace(section, feed=None, feed_url=None) if url in refused else section
            for url, section in sections.items()
        }
        sections = replace(sections, by_url=by_url)
    for page in pages:
        if page.meta.paginate < 1:
            errors.append(
                at(
                    config,
                    page,
                    "paginate",
                    "paginate: must be 1 or more",
                    "The number of pages each list page shows, e.g. paginate: 10",
                )
            )
    aliases, problems = plan_aliases(config, pages, owners)
    errors += problems
    growth = Growth(sections, pagers, feeds, aliases, tuple(sorted(set(full))))
    return growth, errors


def plan_aliases(
    config: Config, pages: Sequence[Page], owners: dict[str, str]
) -> tuple[dict[str, tuple[str, str]], list[SiteError]]:
    """Each alias's redirect page, or an error at the page's `aliases:` line."""
    aliases: dict[str, tuple[str, str]] = {}
    errors: list[SiteError] = []
    for page in pages:
        for alias in page.meta.aliases:
            try:
                if not isinstance(alias, str):
                    raise BadAlias("is not text")
                url = alias_url(alias)
            except BadAlias as problem:
                errors.append(
                    at(
                        config,
                        page,
                        "aliases",
                        f"the alias {alias!r} {problem}",
                        "List the page's old URLs as site paths: aliases: [/old-url/]",
                    )
                )
                continue
            out = url_to_output_path(url)
            parts = out.split("/")
            folders = ["/".join(parts[:depth]) for depth in range(1, len(parts))]
            clash = out if out in owners else next((f for f in folders if f in owners), None)
            if clash is None:
                clash = next((name for name in owners if name.startswith(out + "/")), None)
            if clash is not None:
                errors.append(
                    at(
                        config,
                        page,
                        "aliases",
                        f"the alias {alias} collides with the {owners[clash]}",
                        "Remove the alias, or move that page: a redirect "
                        "page may not replace a real one.",
                    )
                )
                continue
            aliases[out] = (page.url, page.source)
            owners[out] = f"redirect page of {page.source} (alias {alias})"
    return aliases, errors


def at(config: Config, page: Page, key: str, message: str, hint: str) -> SiteError:
    """An error at a front matter key's line of a page, with the lines around it."""
    line = page.meta.lines.get(key)
    if line is None:
        return SiteError(message, Location(page.source), hint)
    text = (config.root / page.source).read_text(encoding="utf-8", errors="replace")
    return located(message, page.source, text, line, 1, hint)


@dataclass(frozen=True, slots=True)
class Rendered:
    """The growth files of one build: contents, link scans of HTML files, errors."""

    contents: dict[str, str | bytes]
    scans: dict[str, PageScan]
    errors: list[SiteError]


def render_growth(
    config: Config,
    growth: Growth,
    env: jinja2.Environment,
    site: Any,
    data: Mapping[str, Any],
    pages: Sequence[Page],
    files: frozenset[str],
    templates: Mapping[str, str],
    time_limit: float,
    bodies: Mapping[str, str] | None = None,
) -> Rendered:
    """List pages 2..n (through the section page's template), feeds and redirect pages.
    `bodies`: the HTML of the pages full feeds include, by source."""
    from .render import make_absolute_url, render_page

    by_source = {page.source: page for page in pages}
    by_url = {page.url: page for page in pages}
    absolute = make_absolute_url(config)
    result = Rendered({}, {}, [])
    html: dict[str, tuple[str, str]] = {}  # out -> (HTML, the source it comes from)
    for out, (section_url, number) in growth.pagers.items():
        section = growth.sections[section_url]
        index = by_source[section.source]
        listed = replace(index, url=section.pager_url(number))
        body = RenderedBody(index.source, "", (), ())
        try:
            text = render_page(env, config, site, data, listed, body, time_limit)
            html[out] = (text, index.source)
        except SiteError as error:
            result.errors.append(error)
    for out, (url, _source) in growth.aliases.items():
        target = by_url[url]
        text = render_alias(
            target=config.base_path + encode_url(url.lstrip("/")),
            canonical=absolute(url),
            title=target.meta.title,
            language=config.language,
        )
        html[out] = (text, target.source)
    for out, (text, origin) in html.items():
        scan = scan_html(text, "/" + out.removesuffix("index.html"), origin)
        result.errors.extend(check_links({out: scan}, files, config.base_path, templates))
        result.scans[out] = cross_page_refs(scan, files, config.base_path)
        result.contents[out] = text
    for out, section_url in growth.feeds.items():
        section = growth.sections[section_url]
        items = [
            FeedItem(
                entry,
                absolute(entry.url),
                absolute_html(bodies[entry.source], absolute(entry.url))
                if section.feed == "full" and bodies and entry.source in bodies
                else None,
            )
            for entry in feed_entries(growth.sections, section)
        ]
        result.contents[out] = render_feed(
            section=section,
            items=items,
            absolute_url=absolute,
            site_title=config.title,
            author=config.author,
            language=config.language,
            timezone=config.timezone,
        )
    return result


def full_bodies(config: Config, growth: Growth, pages: Sequence[Page]) -> dict[str, str]:
    """The rendered HTML of every page a full feed includes (read and rendered here: workers
    send back no HTML)."""
    if not growth.full_sources:
        return {}
    from .content import decode, read_source_bytes
    from .markdown import make_markdown, render_markdown
    from .parallel import with_text

    md = make_markdown(config.raw_html)
    urls = {page.source: page.url for page in pages}
    by_source = {page.source: page for page in pages}
    bodies = {}
    for source in growth.full_sources:
        text = decode(read_source_bytes(config, config.root / source, source), source)
        body, _problems = render_markdown(
            md, with_text(by_source[source], text), urls, config.base_path
        )
        bodies[source] = body.html
    return bodies
