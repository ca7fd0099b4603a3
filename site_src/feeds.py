"""Atom feeds of sections (`feed: true` in a section's index.md), one `render_feed` per feed.

Valid Atom 1.0 (RFC 4287): every URL absolute under the base URL, each entry's id its page's
absolute URL (stable from build to build), `published` from `date`, `updated` from `updated`
(or `date`), both as midnight in the site's `timezone`. The feed's own `updated` is its newest
entry's, never the build time, so rebuilding changes nothing. Undated pages are left out: a
feed entry needs a date. `feed: full` puts each page's whole HTML in the feed, `feed: true`
(or `summary`) its description.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from .dates import instant, modified, rfc3339
from .sections import Entry, Section, Sections, descendants

ATOM_TYPE = "application/atom+xml"
# href="/..." or src="/..." (not protocol-relative //) and href="#..." in rendered HTML.
SITE_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")(/(?!/)|#)')
SRCSET_ATTRIBUTE = re.compile(r'(\ssrcset=")([^"]*)"')


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry: the page, its absolute URL, and its HTML for a full feed (None: summary)."""

    entry: Entry
    url: str
    html: str | None = None


def feed_entries(sections: Sections, section: Section) -> list[Entry]:
    """The dated pages of a section and its subsections, newest first."""
    dated = [item for item in descendants(sections, section) if item.date is not None]
    return sorted(dated, key=lambda item: (-item.date.toordinal(), item.url))  # type: ignore[union-attr]


def absolute_html(html: str, page_url: str) -> str:
    """Make a page's links work in a feed reader: /REPO/x/ -> https://host/REPO/x/ and #id ->
    the page's URL#id (feed readers resolve relative URLs against the feed, if at all)."""
    parts = urlsplit(page_url)
    origin = f"{parts.scheme}://{parts.netloc}"

    def fix(match: re.Match[str]) -> str:
        return match.group(1) + (origin + "/" if match.group(2) == "/" else page_url + "#")

    def fix_srcset(match: re.Match[str]) -> str:
        candidates = [item.strip() for item in match.group(2).split(",")]
        fixed = [
            origin + item if item.startswith("/") and item[1:2] != "/" else item
            for item in candidates
        ]
        return match.group(1) + ", ".join(fixed) + '"'

    return SRCSET_ATTRIBUTE.sub(fix_srcset, SITE_ATTRIBUTE.sub(fix, html))


def render_feed(
    *,
    section: Section,
    items: Sequence[FeedItem],
    absolute_url: Callable[[str], str],
    site_title: str,
    author: str,
    language: str,
    timezone: str,
) -> bytes:
    """The Atom document of one section's feed."""
    stamps = [modified(item.entry.date, item.entry.updated) for item in items]
    newest = max(stamps, key=lambda day: instant(day, timezone)) if stamps else None
    feed_url = absolute_url(section.feed_url or section.url)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(language)}>',
        f"  <id>{escape(absolute_url(section.url))}</id>",
        f"  <title>{escape(f'{section.title} · {site_title}')}</title>",
    ]
    if section.description:
        lines.append(f"  <subtitle>{escape(section.description)}</subtitle>")
    lines += [
        f'  <link rel="self" type="{ATOM_TYPE}" href={quoteattr(feed_url)}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(absolute_url(section.url))}/>',
        f"  <updated>{rfc3339(newest, timezone) if newest else '1970-01-01T00:00:00Z'}</updated>",
        f"  <author><name>{escape(author or site_title)}</name></author>",
        "  <generator>site_src</generator>",
    ]
    for item, stamp in zip(items, stamps, strict=True):
        entry = item.entry
        lines += [
            "  <entry>",
            f"    <id>{escape(item.url)}</id>",
            f"    <title>{escape(entry.title)}</title>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(item.url)}/>',
        ]
        if entry.date is not None:
            lines.append(f"    <published>{rfc3339(entry.date, timezone)}</published>")
        lines.append(f"    <updated>{rfc3339(stamp, timezone)}</updated>")
        if entry.description:
            lines.append(f"    <summary>{escape(entry.description)}</summary>")
        if item.html is not None:
            lines.append(f'    <content type="html">{escape(item.html)}</content>')
        lines.append("  </entry>")
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
