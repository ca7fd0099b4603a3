"""The dev server's WSGI app: serves the last good build under the site's base path, safely.

What it adds over a static file server, and why:
- Requests wait while a rebuild is in flight, so a browser never sees a half-written page or a 404
  flash while the output folder is swapped (MkDocs' idea).
- While the last build failed, every HTML page carries an overlay with the errors (file, line,
  column, excerpt, message), so the person editing sees what broke without looking at a terminal.
- Old content-hashed asset names (css/site.0123456789.css) still answer with the current file, so
  livereload.js can swap a stylesheet in place after a CSS edit changed its hash.
- Paths never leave the output folder: no `..`, NUL, backslashes or symlinks out; no listings.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import SiteError, format_html

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# How long a request waits for a rebuild before it is served the previous state anyway.
BUILD_WAIT_SECONDS = 30.0
HASHED = re.compile(r"^(?P<stem>.+)\.[0-9a-f]{10}(?P<ext>\.[A-Za-z0-9]+)$")
# livereload's own snippet is added only before a literal lower-case </head>; pages without one
# get this equivalent, which connects to the server that sent the page.
LIVE_SCRIPT = (
    '<script>(function(){var s=document.createElement("script");'
    "var port=window.location.port||(window.location.protocol=='https:'?443:80);"
    's.src="//"+window.location.hostname+":"+port+"/livereload.js?port="+port;'
    "document.head.appendChild(s);})();</script>"
)


# Shown while a first build is taking longer than a request is willing to wait.
BUILDING_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
    b'<meta http-equiv="refresh" content="1"><title>Building</title></head>'
    b"<body><p>Building the site&hellip;</p></body></html>"
)
BUILDING_HEADERS = (("Content-Type", "text/html; charset=utf-8"), ("Retry-After", "1"))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the server shows: the last good output folder, the errors of the latest build, and
    the broken links the site on show was published with."""

    folder: Path | None
    base_path: str
    errors: tuple[SiteError, ...]
    broken_links: tuple[SiteError, ...] = ()
    search: Any = None  # serve/search.py's SearchJob when site.yml has `search: true`


class SiteState:
    """The shared state between the rebuild thread (one writer) and request handlers (readers).

    A build may not swap the folder while a request reads from it, and a request may not read
    while a build is running: a readers-writer lock that favours the build.
    """

    def __init__(self, base_path: str = "/") -> None:
        self._lock = threading.Condition()
        self._snapshot = Snapshot(None, base_path, ())
        self._building = False
        self._readers = 0

    def begin_build(self) -> None:
        """Mark a build as in flight once no request is reading; new requests wait for it."""
        with self._lock:
            self._building = True
            self._lock.wait_for(lambda: self._readers == 0)

    def finish_build(self, snapshot: Snapshot) -> None:
        """Publish the build's outcome and let waiting requests through."""
        with self._lock:
            self._snapshot = snapshot
            self._building = False
            self._lock.notify_all()

    def _has_built(self) -> bool:
        """Whether a first build has finished (well or not); before that there is nothing to read."""
        return self._snapshot.folder is not None or bool(self._snapshot.errors)

    @property
    def current(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    @contextmanager
    def reading(self, timeout: float = BUILD_WAIT_SECONDS) -> Iterator[Snapshot]:
        """Hold off builds while a response is read from the folder; wait out a running build."""
        with self._lock:
            self._lock.wait_for(lambda: not self._building and self._has_built(), timeout)
            self._readers += 1
            snapshot = self._snapshot
        try:
            yield snapshot
        finally:
            with self._lock:
                self._readers -= 1
                self._lock.notify_all()


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


Prepare = Callable[[Snapshot, str], None]


def make_app(
    state: SiteState, wait_seconds: float = BUILD_WAIT_SECONDS, prepare: Prepare | None = None
) -> WSGIApp:
    """The WSGI app serving `state`'s current snapshot; `prepare` runs first on each request
    (while builds are held off), to make files on demand (serve/search.py)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            response = Response("405 Method Not Allowed", (("Allow", "GET, HEAD"),), b"")
        else:
            with state.reading(wait_seconds) as snapshot:
                path = request_path(environ)
                if prepare is not None:
                    prepare(snapshot, path)
                response = respond(snapshot, path)
        headers = [*response.headers, ("Cache-Control", "no-store")]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(response.status, headers)
        return [b""] if method == "HEAD" else [response.body]

    return app


def request_path(environ: dict[str, Any]) -> str:
    """The decoded request path as text (WSGI hands it over as latin-1 of the UTF-8 bytes)."""
    raw: str = environ.get("PATH_INFO", "") or "/"
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return "\x00"  # undecodable: treated as unsafe below


def respond(snapshot: Snapshot, path: str) -> Response:
    """The response for one decoded path, from the snapshot's folder."""
    base = snapshot.base_path
    if base != "/" and path in ("/", base.rstrip("/")):
        return redirect("302 Found", base)
    if snapshot.folder is None and not snapshot.errors:
        return Response("503 Service Unavailable", BUILDING_HEADERS, BUILDING_PAGE)
    if snapshot.folder is None:
        return html_response("500 Internal Server Error", b"", snapshot)
    try:
        return respond_from(snapshot.folder, snapshot, path)
    except OSError:  # a name the file system refuses (too long, ...) names no file of the site
        return not_found(snapshot.folder, snapshot)


def respond_from(folder: Path, snapshot: Snapshot, path: str) -> Response:
    relative = site_relative(path, snapshot.base_path)
    target = resolve(folder, relative) if relative is not None else None
    if target is not None and target.is_dir():
        if not path.endswith("/"):
            return redirect("301 Moved Permanently", path + "/")
        target = resolve(folder, posixpath.join(relative or "", "index.html"))
    elif path.endswith("/"):
        target = None  # a file's path followed by a slash is a 404 on GitHub Pages
    if target is None or not target.is_file():
        target = stale_asset(folder, relative) if relative else None
    if target is None or not target.is_file():
        return not_found(folder, snapshot)
    body = target.read_bytes()
    if target.suffix in (".html", ".htm"):
        return html_response("200 OK", body, snapshot)
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    return Response("200 OK", (("Content-Type", kind),), body)


def redirect(status: str, path: str) -> Response:
    """A redirect to a decoded path; percent-encoded, as header values are ASCII only."""
    return Response(status, (("Location", quote(path, safe="/!$&'()*+,;=:@~")),), b"")


def not_found(folder: Path, snapshot: Snapshot) -> Response:
    """The site's own 404 page, like GitHub Pages."""
    try:
        missing = resolve(folder, "404.html")
        body = missing.read_bytes() if missing is not None and missing.is_file() else b""
    except OSError:
        body = b""
    return html_response("404 Not Found", body or b"<h1>Not found</h1>", snapshot)


def site_relative(path: str, base: str) -> str | None:
    """The path inside the site, or None for a path outside the base path or an unsafe one."""
    if not path.startswith(base) and path + "/" != base:
        return None
    relative = path[len(base) :]
    unsafe = (
        "\\" in relative
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in relative)
        or any(part in ("..", ".") for part in relative.split("/"))
        or relative.startswith("/")
        or ":" in relative.split("/", 1)[0]
    )
    return None if unsafe else relative


def resolve(folder: Path, relative: str) -> Path | None:
    """The file for a safe relative path, or None when it (through symlinks too) leaves `folder`."""
    root = folder.resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return target if target == root or target.is_relative_to(root) else None


def stale_asset(folder: Path, relative: str) -> Path | None:
    """For css/site.<old hash>.css, the current css/site.<hash>.css (livereload's CSS swap keeps
    the old URL and only adds a query string)."""
    name = posixpath.basename(relative)
    match = HASHED.match(name)
    if match is None:
        return None
    directory = resolve(folder, posixpath.dirname(relative) or ".")
    if directory is None or not directory.is_dir():
        return None
    for candidate in sorted(directory.iterdir()):
        found = HASHED.match(candidate.name)
        same = found is not None and found.group("stem", "ext") == match.group("stem", "ext")
        if same and candidate.is_file():
            return resolve(folder, posixpath.join(posixpath.dirname(relative), candidate.name))
    return None


def html_response(status: str, body: bytes, snapshot: Snapshot) -> Response:
    """An HTML response with the live-reload script ensured, and the error overlay when failing
    (else the list of broken links the site was published with)."""
    text = body.decode("utf-8", errors="replace")
    if snapshot.errors:
        overlay = overlay_html(snapshot.errors, built=snapshot.folder is not None)
        text = inject_overlay(text or error_document(), overlay)
    elif snapshot.broken_links:
        text = inject_overlay(text, broken_links_html(snapshot.broken_links))
    if "</head>" not in text:
        text = LIVE_SCRIPT + text if "<body" not in text.lower() else add_before_body(text)
    headers = (("Content-Type", "text/html; charset=utf-8"),)
    return Response(status, headers, text.encode("utf-8"))


def add_before_body(text: str) -> str:
    index = text.lower().find("<body")
    return text[:index] + LIVE_SCRIPT + text[index:]


def error_document() -> str:
    """The page shown while no build has succeeded: there is no site to show yet."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Build failed: no site yet</title></head><body></body></html>"
    )


def inject_overlay(text: str, overlay: str) -> str:
    """Put the overlay at the end of the body (or the end of the document)."""
    if not overlay:
        return text
    index = text.lower().rfind("</body")
    return text + overlay if index < 0 else text[:index] + overlay + text[index:]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def overlay_html(errors: tuple[SiteError, ...], built: bool = True) -> str:
    """An accessible dialog listing the errors; every user-provided text is escaped by format_html.

    `built`: whether an earlier build succeeded, so a site is on show behind the dialog; when
    none did, the dialog must not pretend there is one."""
    title = f"Build failed: {plural(len(errors), 'problem')}"
    shown = (
        "The site shown is the last one that built."
        if built
        else "No site has been built yet, so there is nothing to show but these problems."
    )
    body = f"<p>{shown} Fix the problem and save; this page reloads on its own.</p>"
    return dialog("site-src-errors", title, body + format_html(errors), modal=True)


def broken_links_html(links: tuple[SiteError, ...]) -> str:
    """The list of broken links the site on show was published with: the page works, so this is
    a dismissible panel rather than a wall."""
    title = f"{plural(len(links), 'broken link')}"
    body = (
        "<p>This is the newest site; these links lead to no page, file or id. "
        "A plain build fails on them (unless site.yml says <code>broken_links: warn</code>). "
        "Fix them and save; this page reloads on its own.</p>"
    )
    return dialog("site-src-broken-links", title, body + format_html(links), modal=False)


def dialog(ident: str, title: str, body: str, modal: bool) -> str:
    """The overlay's frame: a labelled dialog that takes focus, with a Dismiss button."""
    role = "alertdialog' aria-modal='true" if modal else "dialog"
    return (
        f"<div id='{ident}' class='site-src-overlay' role='{role}'"
        f" aria-labelledby='{ident}-title' tabindex='-1'>"
        f"<style>{OVERLAY_CSS}</style>"
        f"<h2 id='{ident}-title'>{title}</h2>"
        f"{body}"
        "<button type='button' onclick=\"this.parentNode.remove()\">Dismiss</button>"
        "</div>"
        f"<script>document.getElementById('{ident}').focus();</script>"
    )


OVERLAY_CSS = (
    ".site-src-overlay{position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;"
    "padding:2rem;background:#fff;color:#111;font:16px/1.5 system-ui,sans-serif;"
    "border-top:.5rem solid #b00020}"
    ".site-src-overlay h2{color:#b00020;margin-top:0}"
    "#site-src-broken-links{inset:auto 0 0 0;max-height:60vh;border-top-color:#8a5a00;"
    "box-shadow:0 -.25rem 1rem rgba(0,0,0,.3)}"
    "#site-src-broken-links h2{color:#6b4500}"
    ".site-src-overlay pre{background:#f4f4f4;color:#111;padding:.75rem;overflow:auto;"
    "font:14px/1.4 ui-monospace,monospace}"
    ".site-src-overlay .site-error-where{font-family:ui-monospace,monospace;font-weight:bold}"
    ".site-src-overlay button{font:inherit;padding:.4rem 1rem}"
    ".site-src-overlay:focus{outline:3px solid #1a5fb4}"
)
