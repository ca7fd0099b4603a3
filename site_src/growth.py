"""What a growing site adds to a build: the section tree, list pages beyond the first, Atom
feeds and redirect pages for moved URLs.

The index stage calls `plan_growth(config, pages, owners)` once the pages are known: the section
tree (for `site.sections`), every file this adds (so links to them check and collisions are
found), and the mistakes (a bad alias, an alias on a real page, a feed without an absolute base
URL). The files themselves are made with the other generated files, one function each
(`artifacts.render_list_page`, `render_feed_file`, `render_redirect`).

Plain functions of values; `sections.py`, `feeds.py` and `aliases.py` hold the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .aliases import BadAlias, alias_url
from .config import Config
from .errors import Location, SiteError, located
from .feeds import feed_entries
from .model import PageInfo, url_to_output_path
from .sections import Sections, pager_pages, section_tree
from .sources import source_text


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
    config: Config, pages: Sequence[PageInfo], owners: Mapping[str, str]
) -> tuple[Growth, list[SiteError]]:
    """The section tree and the files it adds, checked against every other output file
    (`owners`: pages, static and generated files, and what each is) so a clash is an error."""
    content_root = config.content_dir.relative_to(config.root).as_posix()
    errors: list[SiteError] = []
    sections = section_tree(pages, content_root)
    section_sources = {section.source for section in sections.values()}
    owners = dict(owners)
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
    config: Config, pages: Sequence[PageInfo], owners: dict[str, str]
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


def at(config: Config, page: PageInfo, key: str, message: str, hint: str) -> SiteError:
    """An error at a front matter key's line of a page, with the lines around it."""
    line = page.meta.lines.get(key)
    if line is None:
        return SiteError(message, Location(page.source), hint)
    return located(message, page.source, source_text(config, page.source), line, 1, hint)
