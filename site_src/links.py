"""The link checker: every internal link, asset and #fragment of the rendered HTML must resolve.

It runs on the final HTML, so links from Markdown, raw HTML and templates are all checked the same
way; a broken one is reported at the Markdown line or template line it came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .errors import BROKEN_LINK, Location, Severity, SiteError, located
from .model import Link, url_to_output_path

LINK_ATTRS = {"href", "src", "poster", "action", "data"}
IGNORED_SCHEMES = {"mailto", "tel", "data", "http", "https", "webcal"}


@dataclass(frozen=True, slots=True)
class PageScan:
    """What the checker needs from one rendered HTML file: its ids and the URLs it uses.

    `warnings`: what checking the page on its own found; `linked`: the broken #links into other
    pages that the last whole-site check found (under `broken_links: warn`), kept with the page
    so a build that does not check it again still reports them."""

    url: str
    origin: str
    ids: frozenset[str]
    refs: tuple[tuple[str, int], ...]
    duplicate_ids: tuple[tuple[str, int], ...]
    body_links: tuple[Link, ...] = ()
    reported: frozenset[str] = frozenset()
    warnings: tuple[SiteError, ...] = ()
    linked: tuple[SiteError, ...] = ()


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


# The one HTML scanner: every rendered page, and the raw HTML written in Markdown, go through it.
# It is a tokenizer of regular expressions, not an HTML parser: the checker needs each link's line
# (which lexbor's and lxml's trees do not keep) and raw HTML is read as a fragment (where a tree
# builder drops a <td> outside a table, with its id). tests/test_parallel.py checks that it sees
# the ids and links html.parser sees. Script and style contents are skipped, as a browser reads
# them. Most tags carry nothing it reads (<td>, <span class="k">): the expression skips them
# without a step in Python, which is most of its speed.
_ATTRS = r"""(?:"[^"]*"|'[^']*'|[^'">]++)*+"""
# An attribute the checker reads, written outside quotes, somewhere in a tag.
_WANTED = (
    r"""(?:"[^"]*"|'[^']*'|[^'">\s/]++|[\s/])*?"""
    r"""(?<=[\s/"'])(?:id|href|srcset|src|poster|action|data)\s*="""
)
# Groups: 1 and 2 a script or style tag's name and attributes, 3 and 4 another tag's name and
# attributes if it has one the checker reads (3 alone if not); none for comments and the like.
# A comment or CDATA left open runs to the end of the text, as in a browser (html.parser stops it
# at the next ">"; both end <!--> and <!---> at once), and so does a tag left open: were they
# skipped instead, each "<" after them would search to the end again, and the scan would be
# quadratic.
_TAG = re.compile(
    r"<(?:!--(?:-?>|.*?-->|.*)|!\[CDATA\[(?:.*?\]\]>|.*)|[!?][^>]*+>?"
    rf"|(script|style)(?=[\s/>])({_ATTRS})>"
    rf"|([a-z][^\s/>]*+)(?:(?={_WANTED})({_ATTRS})|[\s/]{_ATTRS})>"
    rf"|[a-z][^\s/>]*+{_ATTRS}\Z)",
    re.S | re.I,
)
_ATTR = re.compile(r"""([^\s/>=][^\s/>=]*)(?:\s*(=)\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_SCRIPT, _READ = 2, 4  # the `lastindex` of the matches to read


def _start_tags(html_text: str) -> Iterator[tuple[str, list[tuple[str, str | None]], int]]:
    """(tag, attributes, line) of every start tag with an attribute the checker reads, and of
    every script and style tag; attribute values unescaped."""
    line, seen, position = 1, 0, 0
    while (match := _TAG.search(html_text, position)) is not None:
        position = match.end()
        kind = match.lastindex
        if kind is None or (kind != _READ and kind != _SCRIPT):
            continue
        line += html_text.count("\n", seen, match.start())
        seen = match.start()
        tag = match.group(kind - 1).lower()
        attrs: list[tuple[str, str | None]] = []
        for attr, equals, quoted, single, bare in _ATTR.findall(match.group(kind)):
            # findall gives "" for a group that did not take part: `equals` tells x="" from x.
            value = (quoted or single or bare) if equals else None
            if value and "&" in value:
                value = unescape(value)
            attrs.append((attr.lower(), value))
        yield tag, attrs, line
        if kind == _SCRIPT:
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


def check_page(
    path: str,
    scan: PageScan,
    files: frozenset[str],
    base_path: str,
    templates: Mapping[str, str],
    root: Path | None = None,
) -> list[SiteError]:
    """One page's references checked against the built files and its own ids: what can be
    checked where the page is made (`check_links_by_page` on it alone)."""
    return check_links_by_page({path: scan}, files, base_path, templates, None, root)[path]


def check_links_by_page(
    scans: Mapping[str, PageScan],
    files: frozenset[str],
    base_path: str,
    templates: Mapping[str, str],
    only: Collection[str] | None = None,
    root: Path | None = None,
) -> dict[str, list[SiteError]]:
    """Check every page's references against the built files and their ids; the problems of
    each page checked (every one of them is a key, with or without problems).

    `only` limits the check to some pages (an incremental build re-checks the pages it rendered
    and the pages linking to their ids); `scans` must still hold every page, for the ids.
    With the project's `root`, a problem in a page's Markdown shows its line (read again from
    the source only then). A link to a page without its trailing slash, which only templates
    and raw HTML can still hold (Markdown links are rewritten), is a warning; the rest are
    errors. Each message quotes the link as the author wrote it and suggests the nearest id or
    page."""
    found: dict[str, list[SiteError]] = {}
    targets: dict[tuple[str, str], Resolved] = {}
    pages = _PageNames(files)
    chosen = sorted(scans.items()) if only is None else sorted((p, scans[p]) for p in only)
    in_templates: dict[str, tuple[str, LineText, int, int, str] | None] = {}
    for path, scan in chosen:
        place: Where | None = None
        errors = found[path] = []
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
            problem, target, site_path, severity = resolved
            guess: str | None = None
            if problem is None and target and fragment and fragment != "top":
                target_scan = scans.get(target)
                if target_scan is not None and fragment not in target_scan.ids:
                    problem = f"{BROKEN}{HREF} (no element with id '{fragment}' on {site_path})"
                    # Only the target page's ids: a page full of links stays linear.
                    close = difflib.get_close_matches(fragment, target_scan.ids, n=1)
                    guess = f"#{close[0]}" if close else None
            elif problem is not None and severity == "error" and target == "" and site_path:
                guess = pages.nearest(site_path)
            if problem:
                if place is None:  # made once a page, on its first problem
                    place = Where(scan, templates, base_path, root, in_templates)
                errors.append(_locate(problem, href, place, severity, guess))
    return found


@dataclass(frozen=True)
class Where:
    """What `_locate` needs to find the line a link came from, made once for a page with a
    problem: each link's first place in its Markdown, and its source text, are worked out once
    however many of its links are broken; `in_templates` is shared by every page."""

    scan: PageScan
    templates: Mapping[str, str]
    base_path: str
    root: Path | None
    in_templates: dict[str, tuple[str, LineText, int, int, str] | None]

    @cached_property
    def written(self) -> dict[str, Link]:
        first: dict[str, Link] = {}
        for link in self.scan.body_links:
            first.setdefault(link.href, link)
        return first

    @cached_property
    def text(self) -> LineText | None:
        return _source_text(self.root, self.scan.origin)


class _PageNames:
    """The site paths of the built pages, listed only once a link needs a did-you-mean."""

    def __init__(self, files: Collection[str]) -> None:
        self.files = files
        self.paths: list[str] | None = None

    def nearest(self, site_path: str) -> str | None:
        if self.paths is None:
            self.paths = sorted(
                "/" + name[: -len("index.html")]
                for name in self.files
                if name == "index.html" or name.endswith("/index.html")
            )
        close = difflib.get_close_matches(site_path, self.paths, n=1, cutoff=0.7)
        return close[0] if close else None


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
        problem, target, _, _ = _resolve(base, scan.url, files, base_path)
        if problem is None and target and target != own:
            refs.append((href, line))
    links = tuple(link for link in scan.body_links if "#" in link.href)
    return PageScan(
        scan.url, scan.origin, scan.ids, tuple(refs), (), links, scan.reported, scan.warnings
    )


# A root-relative path is its own target unless it has something URL parsing would change or
# read: an escape, a query or parameters, a second slash, a dot segment, a backslash, a colon or
# whitespace.
UNUSUAL_PATH = re.compile(r"[%?#;\\:\s\x00-\x1f\x7f]|//|/\.\.?(?:/|$)")
# Problems are worked out once per link target and name the link as written where they are used.
HREF = "\x00href\x00"
# How the problems start that `broken_links: warn` lets a site publish with (`BROKEN_LINK`).
BROKEN = "broken link: "
# What a link with a problem leads to: (problem, target output path, site path, severity).
Resolved = tuple[str | None, str, str, Severity]


def _resolve(base: str, page_url: str, files: frozenset[str], base_path: str) -> Resolved:
    """(problem, target output path, site path, severity) of a link without its #fragment; no
    target when there is nothing more to check."""
    if base[:1] == "/" and not UNUSUAL_PATH.search(base):
        target_path = base  # what the general case below makes of it, without URL parsing
    else:
        try:
            parts = urlsplit(base)
        except ValueError:
            return f"malformed URL: {HREF}", "", "", "error"
        if parts.scheme in IGNORED_SCHEMES or parts.netloc:
            return None, "", "", "error"
        if parts.scheme:
            return f"unsupported link scheme '{parts.scheme}:' in {HREF}", "", "", "error"
        target_path = joined_path(base, page_url, base_path)
    plain_base = unquote(base_path)  # a base path may be written encoded: /my%20site/
    if not target_path.startswith(plain_base):
        return f"link {HREF} points outside the site's base path {base_path}", "", "", "error"
    site_path = "/" + target_path[len(plain_base) :]
    target = url_to_output_path(site_path)
    if target not in files:
        if target + "/index.html" in files:
            problem = (
                f"link {HREF} has no trailing slash: the page is {site_path}/ (GitHub Pages "
                "answers with a redirect, other servers may not find it)"
            )
            return problem, "", "", "warning"
        return f"{BROKEN}{HREF} (no page or file at {site_path})", "", site_path, "error"
    return None, target, site_path, "error"


def joined_path(base: str, page_url: str, base_path: str) -> str:
    """The decoded path a link leads to from a page, as a browser joins it."""
    return unquote(urlsplit(urljoin(base_path + page_url.lstrip("/"), base)).path)


def _locate(
    problem: str, href: str, where: Where, severity: Severity, guess: str | None
) -> SiteError:
    """The problem at the line the link was written on, quoting it as written there: its
    Markdown line, else the first template line naming it (looked for once per link)."""
    scan = where.scan
    code = BROKEN_LINK if problem.startswith(BROKEN) else ""
    link = where.written.get(href)
    if link is not None:
        written = link.written or href
        message = problem.replace(HREF, written)
        hint = _hint(written, severity, guess, markdown=True)
        text = where.text
        column = link.column
        if column is None and text is not None:
            column = _column(text, link.line, written)
        return located(message, scan.origin, text, link.line, column, hint, severity, code)
    if href not in where.in_templates:
        where.in_templates[href] = _in_templates(href, where.templates, where.base_path)
    spot = where.in_templates[href]
    if spot is not None:
        name, text, number, column, needle = spot
        hint = _hint(needle, severity, guess, markdown=False)
        message = problem.replace(HREF, needle)
        return located(message, name, text, number, column, hint, severity, code)
    hint = _hint(href, severity, guess, markdown=False)
    message = problem.replace(HREF, href)
    return SiteError(message, Location(scan.origin), hint, severity=severity, code=code)


def _in_templates(
    href: str, templates: Mapping[str, str], base_path: str
) -> tuple[str, LineText, int, int, str] | None:
    """The first template line naming a link (with the base path taken off, as templates write
    it through url()), and what it names it as."""
    needles = [href]
    if href.startswith(base_path):
        needles.insert(0, "/" + href[len(base_path) :])
    for needle in (n for n in needles if len(n) > 1):
        for name, text in sorted(templates.items()):
            for number, line_text in enumerate(text.split("\n"), start=1):
                if needle in line_text:
                    return name, LineText(text), number, line_text.find(needle) + 1, needle
    return None


def _hint(written: str, severity: Severity, guess: str | None, markdown: bool) -> str:
    """What to do about a link problem: the fix for a missing slash, else the nearest id or
    page, then the general advice."""
    base, _, fragment = written.partition("#")
    if severity == "warning":
        path = written.split("?")[0].split("#")[0]
        fixed = path + "/" + written[len(path) :]
        return f"Write {fixed} (with the trailing slash), as the page's URL is."
    name = base.split("?")[0].rsplit("/", 1)[-1]
    if "." in name and not name.endswith((".md", ".html")):
        if markdown:  # raw HTML in a page: Markdown's own syntax would find the file
            return (
                f"No file is published at {base}. Raw HTML is written as it is: use Markdown, "
                "![alt](../static/img/name.png) or [name](name.pdf), which finds the file by its "
                "path from the .md file, or a file beside the page under content/."
            )
        return (
            f"No file is published at {base}. Static files are published under content-hashed "
            "names: link them from templates with asset('img/name.png'), which finds the file "
            "in static/; check the file's name and folder."
        )
    general = (
        "Link to a page's .md source (keynote.md#section) or its URL with a trailing slash."
        if markdown
        else "In templates write url('/page/'); check the heading's id."
    )
    if guess is None:
        return general
    if guess.startswith("#"):
        return f"Did you mean {base}{guess}? {general}"
    suffix = f"#{fragment}" if fragment else ""
    return f"Did you mean {guess}{suffix}? {general}"


def _source_text(root: Path | None, origin: str) -> LineText | None:
    """A page's source text again, for an excerpt; None if it cannot be read."""
    if root is None:
        return None
    try:
        return LineText((root / origin).read_text(encoding="utf-8-sig", errors="replace"))
    except OSError:
        return None


def _column(text: LineText, line: int, needle: str) -> int | None:
    lines = text.lines
    if 1 <= line <= len(lines):
        found = lines[line - 1].find(needle)
        return found + 1 if found >= 0 else None
    return None
