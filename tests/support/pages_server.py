"""A loopback HTTP server that serves a built site the way GitHub Pages serves a project site.

Why not ``python -m http.server``: it serves from ``/``, lists folders and guesses types, so a link
that forgets the ``/REPO/`` base path, or a page that only works with a folder listing, would pass
locally and break once published. This server answers only under the base path, maps folder URLs to
``index.html`` (redirecting ``/REPO/keynote`` to ``/REPO/keynote/``), serves the site's ``404.html``
with status 404 for a miss, sends the content types GitHub Pages sends, never lists a folder and
refuses any path that would leave the site folder.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

# What GitHub Pages sends for the files a static site carries; text types carry a charset.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Types GitHub Pages compresses when the client accepts gzip (images and fonts are compressed already).
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "image/svg",
)


def content_type_for(path: Path) -> str:
    """The Content-Type header for a file, by its extension (as GitHub Pages does)."""
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_CONTENT_TYPE)


@dataclass(frozen=True)
class Served:
    """One answered request, kept so a test can tell which files a crawl actually reached."""

    method: str
    path: str
    status: int
    file: str | None  # the site-relative file sent as the body, if any


@dataclass(frozen=True)
class Answer:
    """How to answer a request path: a status, and either a file or a redirect location."""

    status: HTTPStatus
    file: Path | None = None
    location: str | None = None


def normalize_base_path(base_path: str) -> str:
    """``REPO`` or ``/REPO`` -> ``/REPO/``; ``""`` or ``/`` -> ``/``."""
    stripped = base_path.strip("/")
    return f"/{stripped}/" if stripped else "/"


def resolve_request(site_dir: Path, base_path: str, raw_path: str) -> Answer:
    """Decide the answer for a request target, without touching the network.

    Kept apart from the handler so the rules (base path, folders, 404, traversal) read as one
    function and can be tested directly.
    """
    split = urlsplit(raw_path)
    path = split.path or "/"
    query = f"?{split.query}" if split.query else ""
    if base_path != "/" and path == base_path.rstrip("/"):
        return Answer(HTTPStatus.MOVED_PERMANENTLY, location=base_path + query)
    if not path.startswith(base_path):
        return Answer(HTTPStatus.NOT_FOUND)  # another site's URL: not ours to serve
    relative = unquote(path[len(base_path) :])
    segments = relative.split("/")
    if any(s in (".", "..") or "\\" in s or "\x00" in s for s in segments):
        return Answer(HTTPStatus.BAD_REQUEST)
    root = site_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        return Answer(HTTPStatus.BAD_REQUEST)  # a symlink that points out of the site
    if target.is_dir():
        if not path.endswith("/"):
            return Answer(HTTPStatus.MOVED_PERMANENTLY, location=path + "/" + query)
        index = target / "index.html"
        return Answer(HTTPStatus.OK, file=index) if index.is_file() else _not_found(root)
    if target.is_file() and not path.endswith("/"):
        return Answer(HTTPStatus.OK, file=target)
    html = target.with_name(target.name + ".html")
    if relative and not path.endswith("/") and html.is_file():
        return Answer(HTTPStatus.OK, file=html)  # GitHub Pages serves /about from about.html
    return _not_found(root)


def _not_found(root: Path) -> Answer:
    """A miss: the site's own 404.html with status 404, or a bare 404 without one."""
    page = root / "404.html"
    return Answer(HTTPStatus.NOT_FOUND, file=page if page.is_file() else None)


class PagesHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its site folder and base path, and logs what it served."""

    daemon_threads = True

    def __init__(self, site_dir: Path, base_path: str) -> None:
        super().__init__(("127.0.0.1", 0), PagesRequestHandler)
        self.site_dir = site_dir.resolve()
        self.base_path = normalize_base_path(base_path)
        self.log: list[Served] = []
        self.log_lock = threading.Lock()

    def record(self, served: Served) -> None:
        with self.log_lock:
            self.log.append(served)


class PagesRequestHandler(BaseHTTPRequestHandler):
    """GET and HEAD only, as a static host allows; anything else is 405."""

    protocol_version = "HTTP/1.1"
    server_version = "GitHubPagesLike/1.0"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._refuse_method()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the test output is for failures, not access logs."""

    @property
    def pages(self) -> PagesHTTPServer:
        return cast(PagesHTTPServer, self.server)

    def _answer(self, send_body: bool) -> None:
        answer = resolve_request(self.pages.site_dir, self.pages.base_path, self.path)
        served_file = None
        if answer.file is not None:
            served_file = answer.file.relative_to(self.pages.site_dir).as_posix()
        # Logged before answering, so a client that has its response also sees the log entry.
        self.pages.record(Served(self.command, self.path, answer.status.value, served_file))
        if answer.file is not None:
            body = answer.file.read_bytes()
            content_type = content_type_for(answer.file)
        else:
            body = f"{answer.status.value} {answer.status.phrase}\n".encode()
            content_type = "text/plain; charset=utf-8"
        compress = self._accepts_gzip() and content_type.startswith(COMPRESSIBLE)
        if compress:
            body = gzip.compress(body, mtime=0)
        self.send_response(answer.status)
        if answer.location is not None:
            self.send_header("Location", answer.location)
        self.send_header("Content-Type", content_type)
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _accepts_gzip(self) -> bool:
        """Whether the client listed gzip in Accept-Encoding (browsers do; http.client does not)."""
        accepted = self.headers.get("Accept-Encoding", "")
        codings = {part.split(";")[0].strip().lower() for part in accepted.split(",")}
        return "gzip" in codings

    def _refuse_method(self) -> None:
        body = b"405 Method Not Allowed\n"
        self.pages.record(Served(self.command, self.path, HTTPStatus.METHOD_NOT_ALLOWED, None))
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class PagesServer:
    """The server running in a background thread; a context manager.

    ``base_url`` is the URL of the site's root, e.g. ``http://127.0.0.1:PORT/REPO/``; ``log``
    lists every request answered so far.
    """

    def __init__(self, site_dir: Path, base_path: str = "/REPO/") -> None:
        if not site_dir.is_dir():
            raise FileNotFoundError(f"no built site at {site_dir}")
        self._server = PagesHTTPServer(site_dir, base_path)
        # A short poll interval: shutdown() waits for it, and tests start many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="pages-server", daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + self._server.base_path

    @property
    def log(self) -> list[Served]:
        with self._server.log_lock:
            return list(self._server.log)

    def served_files(self) -> set[str]:
        """Site-relative files sent with status 200 (a 404 page sent for a miss is not 'reached')."""
        return {s.file for s in self.log if s.status == HTTPStatus.OK and s.file is not None}

    def __enter__(self) -> PagesServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@contextmanager
def serve_like_github_pages(site_dir: Path, base_path: str = "/REPO/") -> Iterator[str]:
    """Serve ``site_dir`` on a free loopback port under ``base_path``; yield the base URL."""
    with PagesServer(site_dir, base_path) as server:
        yield server.base_url
