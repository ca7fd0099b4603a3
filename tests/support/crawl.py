"""Crawl a served site over HTTP and collect every broken reference.

A reader reaches the site by following links from its home page, so the check does exactly that:
fetch a page, collect every URL it names (``href``, ``src``, ``srcset``, ``poster``, link-preview
``<meta>`` values, ``url(...)`` in stylesheets and ``style``), fetch those, and repeat. HTML is read
with the standard library's ``html.parser``; only CSS, which has no parser in the standard library,
is scanned with a pattern after its comments are removed.
"""

from __future__ import annotations

import http.client
import json
import re
from collections import deque
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

SKIPPED_SCHEMES = ("mailto:", "tel:", "data:", "javascript:", "blob:", "about:")
MAX_RESOURCES = 2000  # a crawl of a microsite that goes past this has a URL loop

# Where HTML names URLs: (tag, attribute) -> kind; "*" matches any tag.
URL_ATTRIBUTES = {
    ("a", "href"): "link",
    ("area", "href"): "link",
    ("link", "href"): "link-tag",
    ("img", "src"): "image",
    ("img", "srcset"): "srcset",
    ("source", "src"): "media",
    ("source", "srcset"): "srcset",
    ("script", "src"): "script",
    ("iframe", "src"): "frame",
    ("video", "src"): "media",
    ("video", "poster"): "image",
    ("audio", "src"): "media",
    ("track", "src"): "media",
    ("embed", "src"): "media",
    ("object", "data"): "media",
    ("input", "src"): "image",
    ("use", "href"): "svg",
    ("use", "xlink:href"): "svg",
    ("image", "href"): "svg",
    ("image", "xlink:href"): "svg",
}
# <meta> values that are URLs (link previews); they name the published host.
URL_META = frozenset(
    {"og:image", "og:image:url", "og:image:secure_url", "og:url", "twitter:image", "twitter:url"}
)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s"']*))\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    """One URL named by a page or stylesheet, and where."""

    source: str  # the URL of the page or stylesheet that names it
    line: int
    kind: str  # link, image, stylesheet, css-url, ...
    raw: str  # the URL as written


@dataclass
class ParsedHTML:
    """What the crawl needs from an HTML document."""

    references: list[tuple[int, str, str]] = field(default_factory=list)  # (line, kind, raw)
    ids: set[str] = field(default_factory=set)
    base_href: str | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


class DocumentParser(HTMLParser):
    """Collect URL-valued attributes, inline CSS URLs, ``id``/``name`` anchors and ``<base>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = ParsedHTML()
        self._in_style = False
        self._json_ld: list[str] | None = None  # text of an open ld+json script
        self._json_ld_line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        line = self.getpos()[0]
        self._collect_anchors(tag, values)
        if tag == "base" and "href" in values and self.result.base_href is None:
            self.result.base_href = values["href"]
        for name, value in values.items():
            kind = URL_ATTRIBUTES.get((tag, name))
            if kind is None:
                continue
            if kind == "srcset":
                for url in srcset_urls(value):
                    self.result.references.append((line, "image", url))
            elif kind == "link-tag":
                rels = values.get("rel", "").lower().split()
                self.result.references.append((line, _link_kind(rels), value))
            else:
                self.result.references.append((line, kind, value))
        if tag == "meta" and values.get("property", values.get("name", "")) in URL_META:
            self.result.references.append((line, "meta", values.get("content", "")))
        if "style" in values:
            for url in css_urls(values["style"]):
                self.result.references.append((line, "css-url", url))
        self._in_style = tag == "style"
        if tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self._json_ld, self._json_ld_line = [], line

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "script" and self._json_ld is not None:
            self._collect_json_ld("".join(self._json_ld))
            self._json_ld = None

    def handle_data(self, data: str) -> None:
        if self._json_ld is not None:
            self._json_ld.append(data)
        if self._in_style:
            line = self.getpos()[0]
            for url in css_urls(data):
                self.result.references.append((line, "css-url", url))

    def _collect_json_ld(self, text: str) -> None:
        """Structured data names page and image URLs; absolute ones are checked like links."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self.result.errors.append((self._json_ld_line, f"invalid JSON-LD: {error}"))
            return
        for value in json_strings(data):
            if value.startswith(("http://", "https://")):
                self.result.references.append((self._json_ld_line, "json-ld", value))

    def _collect_anchors(self, tag: str, values: dict[str, str]) -> None:
        if "id" in values:
            self.result.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.result.ids.add(values["name"])


def _link_kind(rels: list[str]) -> str:
    """Name a ``<link>`` by its most telling rel, for messages and type checks."""
    for rel in ("stylesheet", "icon", "canonical", "manifest", "preload", "alternate"):
        if rel in rels:
            return rel
    return "link-tag"


def parse_html(text: str) -> ParsedHTML:
    parser = DocumentParser()
    parser.feed(text)
    parser.close()
    return parser.result


def json_strings(data: object) -> list[str]:
    """Every string value in parsed JSON (keys excluded), depth first."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        return [s for item in data for s in json_strings(item)]
    return []


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a ``srcset``: comma-separated candidates, each a URL and a descriptor."""
    urls = []
    for candidate in srcset.split(","):
        parts = candidate.split()
        if parts:
            urls.append(parts[0])
    return urls


def css_urls(css: str) -> list[str]:
    """Every ``url(...)`` and ``@import`` target of a stylesheet, comments excluded."""
    css = CSS_COMMENT.sub("", css)
    found = []
    for pattern in (CSS_URL, CSS_IMPORT):
        for match in pattern.finditer(css):
            value = next((g for g in match.groups() if g is not None), "")
            if value.strip():
                found.append(value.strip())
    return found


def css_line(css: str, url: str) -> int:
    """The line of a stylesheet on which a URL first appears (for messages)."""
    index = css.find(url)
    return css.count("\n", 0, index) + 1 if index >= 0 else 0


@dataclass
class Resource:
    """One fetched URL."""

    url: str
    status: int
    content_type: str
    location: str | None
    ids: set[str] = field(default_factory=set)
    body: bytes = b""

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")

    @property
    def has_ids(self) -> bool:
        """Whether a ``#fragment`` names an element in it (HTML and SVG do)."""
        return self.is_html or self.content_type.startswith("image/svg+xml")


@dataclass
class CrawlResult:
    resources: dict[str, Resource]
    references: list[Reference]
    targets: dict[Reference, str]  # reference -> the URL it resolved to, fragment included
    problems: list[str]


def fetch(url: str) -> Resource:
    """GET one loopback URL without following redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target or "/")
        response = connection.getresponse()
        body = response.read()
        return Resource(
            url=url,
            status=response.status,
            content_type=response.getheader("Content-Type", ""),
            location=response.getheader("Location"),
            body=body,
        )
    finally:
        connection.close()


class Crawler:
    """Breadth-first crawl of everything under ``local_base`` reachable from the seeds.

    ``published_base`` (e.g. ``https://example.github.io/REPO/``) is where the site will live;
    absolute URLs under it (canonical links, link previews) are checked against the local server.
    """

    def __init__(self, local_base: str, published_base: str) -> None:
        self.local_base = local_base
        self.origin = "{0.scheme}://{0.netloc}/".format(urlsplit(local_base))
        self.published_base = published_base
        self.resources: dict[str, Resource] = {}
        self.references: list[Reference] = []
        self.targets: dict[Reference, str] = {}
        self.problems: list[str] = []
        self._queue: deque[str] = deque()
        self._seeds: set[str] = set()

    def localize(self, url: str) -> str:
        """Map a published absolute URL onto the local server; leave others alone."""
        if url.startswith(self.published_base):
            return self.local_base + url[len(self.published_base) :]
        return url

    def is_internal(self, url: str) -> bool:
        return url.startswith(self.origin)

    def crawl(self, seeds: dict[str, int]) -> CrawlResult:
        """Crawl from each seed URL, which must answer with the given status."""
        self._seeds.update(seeds)
        for seed, expected in seeds.items():
            self._enqueue(seed)
            self._drain()
            status = self.resources[seed].status
            if status != expected:
                self.problems.append(f"{seed}: status {status}, expected {expected}")
        self._check_references()
        return CrawlResult(self.resources, self.references, self.targets, self.problems)

    def _enqueue(self, url: str) -> None:
        if url not in self.resources and url not in self._queue:
            self._queue.append(url)

    def _drain(self) -> None:
        while self._queue:
            if len(self.resources) >= MAX_RESOURCES:
                self.problems.append(f"crawl stopped after {MAX_RESOURCES} URLs: a URL loop?")
                self._queue.clear()
                return
            url = self._queue.popleft()
            resource = fetch(url)
            self.resources[url] = resource
            self._follow(resource)

    def _follow(self, resource: Resource) -> None:
        """Queue what a resource names: a redirect's target, or the URLs in a page or stylesheet.

        Error bodies are read only for a seed (the 404 page at a missing URL): every other miss
        returns the same page, and its links would be reported once per broken link.
        """
        if resource.location is not None:
            self._enqueue(urldefrag(urljoin(resource.url, resource.location)).url)
            return
        if resource.status != 200 and resource.url not in self._seeds:
            return
        if resource.has_ids:
            parsed = parse_html(resource.body.decode("utf-8", errors="replace"))
            resource.ids = parsed.ids
            base = urljoin(resource.url, parsed.base_href or "")
            for line, kind, raw in parsed.references:
                self._add_reference(Reference(resource.url, line, kind, raw), base)
            for line, message in parsed.errors:
                self.problems.append(f"{resource.url} line {line}: {message}")
        elif resource.content_type.startswith("text/css"):
            css = resource.body.decode("utf-8", errors="replace")
            for raw in css_urls(css):
                ref = Reference(resource.url, css_line(css, raw), "css-url", raw)
                self._add_reference(ref, resource.url)

    def _add_reference(self, reference: Reference, base: str) -> None:
        raw = reference.raw.strip()
        self.references.append(reference)
        if not raw:
            self.problems.append(f"{_where(reference)}: empty {reference.kind} URL")
            return
        if raw.lower().startswith(SKIPPED_SCHEMES):
            return
        target = self.localize(urljoin(base, raw))
        if not self.is_internal(target):
            return
        self.targets[reference] = target
        self._enqueue(urldefrag(target).url)

    def _check_references(self) -> None:
        for reference, target in self.targets.items():
            url, fragment = urldefrag(target)
            if reference.raw.strip().startswith("#"):
                # A same-document reference: it names an element of the page it is on, whatever
                # URL served that page (404.html is served at every missing URL).
                url = reference.source
            resource = self.resources.get(url)
            if resource is None:
                continue  # only when the crawl was cut short, which is reported already
            if reference.raw.strip().startswith("#"):
                resource = replace(resource, status=200)
            problem = _reference_problem(reference, resource, unquote(fragment))
            if problem:
                self.problems.append(
                    f"{_where(reference)}: {reference.kind} {reference.raw!r} {problem}"
                )


def _reference_problem(reference: Reference, resource: Resource, fragment: str) -> str | None:
    """Why a reference to a fetched resource is broken, or None when it is fine."""
    if resource.status in (301, 302, 303, 307, 308):
        return f"redirects ({resource.status}) to {resource.location}: link to the final URL"
    if resource.status != 200:
        return f"-> HTTP {resource.status} at {resource.url}"
    if reference.kind == "stylesheet" and not resource.content_type.startswith("text/css"):
        return f"is served as {resource.content_type!r}, not text/css"
    if reference.kind == "script" and "javascript" not in resource.content_type:
        return f"is served as {resource.content_type!r}, not JavaScript"
    if fragment and fragment.lower() != "top" and resource.has_ids and fragment not in resource.ids:
        return f"-> no element with id={fragment!r} on {resource.url}"
    return None


def _where(reference: Reference) -> str:
    return f"{reference.source} line {reference.line}"
