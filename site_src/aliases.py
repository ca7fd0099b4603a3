"""Moved pages: `aliases: [/old-url/]` leaves a small page at each old URL that sends readers on.

GitHub Pages has no server-side redirects, so the page does it three ways: a meta refresh
(browsers follow it at once), `rel=canonical` (search engines move their entry to the new URL)
and a visible link (for anyone or anything that follows neither). Redirect pages are not in the
sitemap and tell robots not to index them.
"""

from __future__ import annotations

import posixpath
from html import escape
from urllib.parse import unquote


class BadAlias(ValueError):
    """An alias that cannot be an old URL of this site; the message says why."""


def alias_url(alias: str) -> str:
    """An alias as a site path: /old-url/ (a path without an extension gets its slash),
    /old.html stays a file. Refuses what is not a path of this site."""
    if not alias.startswith("/") or alias.startswith("//"):
        raise BadAlias("is not a site path starting with / (such as /old-url/)")
    path = unquote(alias)
    if any(ch in path for ch in '?#\\"<>') or any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        raise BadAlias("may not hold ?, #, \\, quotes, < > or control characters")
    segments = path.strip("/").split("/")
    if path == "/" or any(part in ("", ".", "..") for part in segments):
        raise BadAlias("must name a page below the site's root, without empty, . or .. parts")
    if not path.endswith("/") and "." not in posixpath.basename(path):
        path += "/"
    return path


def render_alias(*, target: str, canonical: str, title: str, language: str) -> str:
    """The redirect page: `target` is the new URL with the base path (for the refresh and the
    link, so it works wherever the site is served), `canonical` the absolute one."""
    link = escape(target, quote=True)
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(language, quote=True)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Moved: {escape(title)}</title>\n"
        f'<link rel="canonical" href="{escape(canonical, quote=True)}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={link}">\n'
        "</head>\n"
        "<body>\n"
        "<main>\n"
        "<h1>This page has moved</h1>\n"
        f'<p>It is now at <a href="{link}">{escape(title)}</a>.</p>\n'
        "</main>\n"
        "</body>\n"
        "</html>\n"
    )
