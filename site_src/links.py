"""The link checker: every internal link, asset and #fragment of the rendered HTML must resolve.

It runs on the final HTML, so links from Markdown, raw HTML and templates are all checked the same
way; a broken one is reported at the Markdown line or template line it came from.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from html import unescape
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
    warnings: tuple[SiteError, ...] = ()


class LineText(str):
    """A text that is split into lines once, however many columns and error excerpts (which
    `errors.excerpt` takes from `splitlines()`) are wanted from it: splitting the whole page again
    for each of its links would make a page of many links cost the square of their number."""

    @cached_property
    def lines(self) -> list[str]:
        """The text split at each "\\n", as Markdown tokens count lines."""
        return self.split("\n")

    @cached_property
    def _splitlines(self) -> list[str]:
        return super().splitlines()

    def splitlines(self, keepends: bool = False) -> list[str]:
        """The lines as `str.splitlines` gives them, split once (the list is shared: read it)."""
        return super().splitlines(True) if keepends else self._splitlines


# The scanner runs on every page of every build, so it is a few regular expressions rather than
# html.parser (which costs as much as a fifth of a build); tests/test_parallel.py checks that both
# see the same ids and links. Script and style contents are skipped, as a browser reads them.
_TAG = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<[!?][^>]*>"
    r"|<([a-zA-Z][^\s/>]*)((?:\"[^\"]*\"|'[^']*'|[^'\">])*)>",
    re.S,
)
_ATTR = re.compile(r"""([^\s/>=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_RAW_TEXT = ("script", "style")


def _start_tags(html_text: str) -> Iterator[tuple[str, list[tuple[str, str | None]], int]]:
    """(tag, attributes, line) of every start tag, attribute values unescaped."""
    line, seen, position = 1, 0, 0
    while (match := _TAG.search(html_text, position)) is not None:
        position = match.end()
        name = match.group(1)
        if name is None:
            continue
        line += html_text.count("\n", seen, match.start())
        seen = match.start()
        tag = name.lower()
        attrs: list[tuple[str, str | None]] = []
        for attr in _ATTR.finditer(match.group(2)):
            value = next((v for v in attr.group(2, 3, 4) if v is not None), None)
            attrs.append((attr.group(1).lower(), None if value is None else unescape(value)))
        yield tag, attrs, line
        if tag in _RAW_TEXT:
            close = re.compile(rf"</{tag}\s*>", re.I).search(html_text, position)
            position = close.end() if close else len(html_text)


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
    ids: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    refs: list[tuple[str, int]] = []
    for tag, attrs, line in _start_tags(html_text):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                if value in ids:
                    duplicates.append((value, line))
                ids.setdefault(value, line)
            elif name in LINK_ATTRS and not (tag == "link" and _is_hint(attrs)):
                refs.append((value, line))
            elif name == "srcset":
                refs.extend((item.split()[0], line) for item in value.split(",") if item.strip())
    return PageScan(
        url, origin, frozenset(ids), tuple(refs), tuple(duplicates), body_links, reported
    )


def check_links(
    scans: Mapping[str, PageScan],
    files: frozenset[str],
    base_path: str,
    templates: Mapping[str, str],
    only: Collection[str] | None = None,
) -> list[SiteError]:
    """Check every page's references against the built files and their ids.

    `only` limits the check to some pages (an incremental build re-checks the pages it rendered
    and the pages linking to their ids); `scans` must still hold every page, for the ids."""
    errors: list[SiteError] = []
    targets: dict[tuple[str, str], tuple[str | None, str, str]] = {}
    chosen = sorted(scans.items()) if only is None else sorted((p, scans[p]) for p in only)
    in_templates: dict[str, tuple[str, LineText, int, int] | None] = {}
    for _path, scan in chosen:
        written: dict[str, Link] | None = None
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
            base, _, fragment = href.partition("#")
            if "%" in fragment:
                fragment = unquote(fragment)
            if not base and (not fragment or fragment == "top" or fragment in scan.ids):
                continue
            # Most links repeat (nav, assets, other pages): resolve each path once.
            where = "" if base[:1] == "/" else scan.url
            resolved = targets.get((where, base))
            if resolved is None:
                resolved = targets[where, base] = _resolve(base, scan.url, files, base_path)
            problem, target, site_path = resolved
            if problem is None and target and fragment and fragment != "top":
                target_scan = scans.get(target)
                if target_scan is not None and fragment not in target_scan.ids:
                    problem = (
                        f"broken link: {HREF} (no element with id '{fragment}' on {site_path})"
                    )
            if problem:
                if written is None:  # each link's first place in the Markdown, made once a page
                    written = {}
                    for link in scan.body_links:
                        written.setdefault(link.href, link)
                message = problem.replace(HREF, href)
                errors.append(
                    _locate(message, href, scan, written, templates, base_path, in_templates)
                )
    return errors


def cross_page_refs(scan: PageScan, files: frozenset[str], base_path: str) -> PageScan:
    """A slim copy of a scan checked on its own: only its #links into other existing files.

    A page's links are checked where it is rendered (against the site's list of files and its
    own ids); what is left needs the ids of other pages, so only that travels to the whole-site
    check and into the incremental cache, which keeps both small however large the site."""
    own = url_to_output_path(scan.url)
    refs = []
    for href, line in scan.refs:
        base, _, fragment = href.partition("#")
        if not (base and fragment) or href in scan.reported:
            continue
        problem, target, _ = _resolve(base, scan.url, files, base_path)
        if problem is None and target and target != own:
            refs.append((href, line))
    links = tuple(link for link in scan.body_links if "#" in link.href)
    return PageScan(
        scan.url, scan.origin, scan.ids, tuple(refs), (), links, scan.reported, scan.warnings
    )


# Problems are worked out once per link target and name the link as written where they are used.
HREF = "\x00href\x00"


def _resolve(
    base: str, page_url: str, files: frozenset[str], base_path: str
) -> tuple[str | None, str, str]:
    """(problem, target output path, site path) of a link without its #fragment; no target when
    there is nothing more to check."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return f"malformed URL: {HREF}", "", ""
    if parts.scheme in IGNORED_SCHEMES or parts.netloc:
        return None, "", ""
    if parts.scheme:
        return f"unsupported link scheme '{parts.scheme}:' in {HREF}", "", ""
    target_path = unquote(urlsplit(urljoin(base_path + page_url.lstrip("/"), base)).path)
    plain_base = unquote(base_path)  # a base path may be written encoded: /my%20site/
    if not target_path.startswith(plain_base):
        return f"link {HREF} points outside the site's base path {base_path}", "", ""
    site_path = "/" + target_path[len(plain_base) :]
    target = url_to_output_path(site_path)
    if target not in files:
        if target + "/index.html" in files:
            return f"link {HREF} needs a trailing slash", "", ""
        return f"broken link: {HREF} (no page or file at {site_path})", "", ""
    return None, target, site_path


def _locate(
    problem: str,
    href: str,
    scan: PageScan,
    written: Mapping[str, Link],
    templates: Mapping[str, str],
    base_path: str,
    in_templates: dict[str, tuple[str, LineText, int, int] | None],
) -> SiteError:
    """Where a broken link was written: its Markdown line, else the first template line naming
    it (looked for once per link; `in_templates` keeps the answers)."""
    hint = "Link to a page's .md source or use url() in templates; check the heading's id."
    link = written.get(href)
    if link is not None:
        return SiteError(problem, Location(scan.origin, link.line, link.column), hint)
    if href not in in_templates:
        in_templates[href] = _in_templates(href, templates, base_path)
    spot = in_templates[href]
    if spot is not None:
        name, text, number, column = spot
        return located(problem, name, text, number, column, hint)
    return SiteError(problem, Location(scan.origin), hint)


def _in_templates(
    href: str, templates: Mapping[str, str], base_path: str
) -> tuple[str, LineText, int, int] | None:
    needles = [href]
    if href.startswith(base_path):
        needles.append("/" + href[len(base_path) :])
    for needle in (n for n in needles if len(n) > 1):
        for name, text in sorted(templates.items()):
            for number, line_text in enumerate(text.split("\n"), start=1):
                if needle in line_text:
                    return name, LineText(text), number, line_text.find(needle) + 1
    return None
