"""The link checker: every internal link, asset and #fragment of the rendered HTML must resolve.

It runs on the final HTML, so links from Markdown, raw HTML and templates are all checked the same
way; a broken one is reported at the Markdown line or template line it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from .errors import Location, SiteError, located
from .model import Link, url_to_output_path

LINK_ATTRS = {"href", "src", "poster", "action", "data"}
IGNORED_SCHEMES = {"mailto", "tel", "data", "http", "https", "webcal"}


@dataclass(frozen=True, slots=True)
class PageScan:
    """What the checker needs from one rendered HTML file: its ids and the URLs it uses."""

    url: str
    origin: str
    ids: frozenset[str]
    refs: tuple[tuple[str, int], ...]
    duplicate_ids: tuple[tuple[str, int], ...]
    body_links: tuple[Link, ...] = ()
    reported: frozenset[str] = frozenset()


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        self.refs: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                if value in self.ids:
                    self.duplicates.append((value, line))
                self.ids.setdefault(value, line)
            elif name in LINK_ATTRS and not (tag == "link" and _is_hint(attrs)):
                self.refs.append((value, line))
            elif name == "srcset":
                self.refs.extend(
                    (item.split()[0], line) for item in value.split(",") if item.strip()
                )

    handle_startendtag = handle_starttag


def _is_hint(attrs: list[tuple[str, str | None]]) -> bool:
    rel = dict(attrs).get("rel") or ""
    return bool({"canonical", "alternate", "preconnect", "dns-prefetch"} & set(rel.split()))


def scan_html(
    html_text: str,
    url: str,
    origin: str,
    body_links: tuple[Link, ...] = (),
    reported: frozenset[str] = frozenset(),
) -> PageScan:
    """Collect ids and referenced URLs of one HTML document."""
    scanner = _Scanner()
    scanner.feed(html_text)
    scanner.close()
    return PageScan(
        url,
        origin,
        frozenset(scanner.ids),
        tuple(scanner.refs),
        tuple(scanner.duplicates),
        body_links,
        reported,
    )


def check_links(
    scans: Mapping[str, PageScan],
    files: frozenset[str],
    base_path: str,
    templates: Mapping[str, str],
) -> list[SiteError]:
    """Check every page's references against the built files and their ids."""
    errors: list[SiteError] = []
    for output_path, scan in sorted(scans.items()):
        for value, line in scan.duplicate_ids:
            errors.append(
                SiteError(
                    f"the id '{value}' is used twice on {scan.url} (line {line} of the output)",
                    Location(scan.origin),
                    "Ids must be unique in a page: rename one heading or {#id}.",
                )
            )
        for href, _line in scan.refs:
            if href in scan.reported:
                continue
            problem = _problem(href, scan, output_path, scans, files, base_path)
            if problem:
                errors.append(_locate(problem, href, scan, templates, base_path))
    return errors


def _problem(
    href: str,
    scan: PageScan,
    output_path: str,
    scans: Mapping[str, PageScan],
    files: frozenset[str],
    base_path: str,
) -> str | None:
    try:
        parts = urlsplit(href)
    except ValueError:
        return f"malformed URL: {href}"
    if parts.scheme in IGNORED_SCHEMES or parts.netloc:
        return None
    if parts.scheme:
        return f"unsupported link scheme '{parts.scheme}:' in {href}"
    target_path = unquote(urlsplit(urljoin(base_path + scan.url.lstrip("/"), href)).path)
    if not target_path.startswith(base_path):
        return f"link {href} points outside the site's base path {base_path}"
    site_path = "/" + target_path[len(base_path) :]
    target = url_to_output_path(site_path)
    if target not in files:
        if target + "/index.html" in files:
            return f"link {href} needs a trailing slash"
        return f"broken link: {href} (no page or file at {site_path})"
    fragment = unquote(parts.fragment)
    if fragment and fragment != "top":
        target_scan = scans.get(target)
        if target_scan is not None and fragment not in target_scan.ids:
            return f"broken link: {href} (no element with id '{fragment}' on {site_path})"
    return None


def _locate(
    problem: str, href: str, scan: PageScan, templates: Mapping[str, str], base_path: str
) -> SiteError:
    hint = "Link to a page's .md source or use url() in templates; check the heading's id."
    for link in scan.body_links:
        if link.href == href:
            return SiteError(problem, Location(scan.origin, link.line, link.column), hint)
    needles = [href]
    if href.startswith(base_path):
        needles.append("/" + href[len(base_path) :])
    for needle in (n for n in needles if len(n) > 1):
        for name, text in sorted(templates.items()):
            for number, line_text in enumerate(text.split("\n"), start=1):
                if needle in line_text:
                    column = line_text.find(needle) + 1
                    return located(problem, name, text, number, column, hint)
    return SiteError(problem, Location(scan.origin), hint)
