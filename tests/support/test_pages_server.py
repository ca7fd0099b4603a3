"""The pages server behaves like GitHub Pages for a project site, over real HTTP.

The quality checks trust this server to fail a link that would 404 once published, so its rules are
tested on their own, on a hand-made site folder.
"""

from __future__ import annotations

import gzip
import http.client
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.pages_server import PagesServer, resolve_request, serve_like_github_pages

SITE = {
    "index.html": "<!doctype html><title>home</title>",
    "404.html": "<!doctype html><title>not found</title>",
    "keynote/index.html": "<!doctype html><title>keynote</title>",
    "about.html": "<!doctype html><title>about</title>",
    "empty/.keep": "",
    "event.ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "sitemap.xml": "<urlset/>",
    "robots.txt": "User-agent: *\n",
    "css/site.0123456789.css": "body{}",
    "data.bin": "x",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "_site"
    for name, text in SITE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the site", encoding="utf-8")
    return root


@pytest.fixture
def server(site: Path) -> Iterator[PagesServer]:
    with PagesServer(site, "/REPO/") as running:
        yield running


def get(server: PagesServer, path: str, method: str = "GET") -> http.client.HTTPResponse:
    """Send a raw request target (no client-side normalization of ``..``)."""
    parts = urlsplit(server.origin)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def body_of(server: PagesServer, path: str) -> tuple[int, bytes]:
    parts = urlsplit(server.origin)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_the_context_manager_yields_a_loopback_base_url(site: Path) -> None:
    with serve_like_github_pages(site, "/REPO/") as base_url:
        parts = urlsplit(base_url)
        assert parts.hostname == "127.0.0.1"
        assert parts.port and parts.path == "/REPO/"


def test_folder_urls_serve_index_html(server: PagesServer) -> None:
    assert body_of(server, "/REPO/") == (200, SITE["index.html"].encode())
    assert body_of(server, "/REPO/keynote/") == (200, SITE["keynote/index.html"].encode())
    assert body_of(server, "/REPO/keynote/index.html")[0] == 200


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/REPO", "/REPO/"),
        ("/REPO/keynote", "/REPO/keynote/"),
        ("/REPO/keynote?x=1", "/REPO/keynote/?x=1"),
    ],
)
def test_folder_urls_without_a_slash_redirect(
    server: PagesServer, path: str, location: str
) -> None:
    response = get(server, path)
    assert response.status == 301
    assert response.getheader("Location") == location


def test_extensionless_url_serves_the_html_file(server: PagesServer) -> None:
    assert body_of(server, "/REPO/about") == (200, SITE["about.html"].encode())


@pytest.mark.parametrize(
    "path",
    ["/REPO/nothing-here/", "/REPO/keynote/missing.png", "/REPO/about/", "/REPO/empty/"],
)
def test_misses_get_the_sites_404_page_with_status_404(server: PagesServer, path: str) -> None:
    response = get(server, path)
    assert response.status == 404
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert body_of(server, path) == (404, SITE["404.html"].encode())


@pytest.mark.parametrize("path", ["/", "/index.html", "/keynote/", "/REPOSITORY/", "/other/REPO/"])
def test_nothing_is_served_outside_the_base_path(server: PagesServer, path: str) -> None:
    status, body = body_of(server, path)
    assert status == 404
    assert body != SITE["index.html"].encode()


def test_folders_are_never_listed(server: PagesServer) -> None:
    status, body = body_of(server, "/REPO/empty/")
    assert status == 404
    assert b".keep" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/REPO/../secret.txt",
        "/REPO/%2e%2e/secret.txt",
        "/REPO/keynote/..%2f..%2fsecret.txt",
        "/REPO/..%5csecret.txt",
        "/REPO//etc/passwd",
        "/REPO/%00",
    ],
)
def test_path_traversal_is_refused(server: PagesServer, path: str) -> None:
    status, body = body_of(server, path)
    assert status in (400, 404)
    assert b"outside the site" not in body
    assert b"root:" not in body


def test_a_symlink_out_of_the_site_is_refused(site: Path) -> None:
    os.symlink(site.parent / "secret.txt", site / "link.txt")
    answer = resolve_request(site, "/REPO/", "/REPO/link.txt")
    assert answer.status == 400
    assert answer.file is None


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/REPO/", "text/html; charset=utf-8"),
        ("/REPO/event.ics", "text/calendar; charset=utf-8"),
        ("/REPO/img/logo.svg", "image/svg+xml"),
        ("/REPO/sitemap.xml", "application/xml"),
        ("/REPO/robots.txt", "text/plain; charset=utf-8"),
        ("/REPO/css/site.0123456789.css", "text/css; charset=utf-8"),
        ("/REPO/data.bin", "application/octet-stream"),
    ],
)
def test_content_types(server: PagesServer, path: str, content_type: str) -> None:
    response = get(server, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type


def test_head_sends_headers_only_and_other_methods_are_refused(server: PagesServer) -> None:
    head = get(server, "/REPO/", "HEAD")
    assert head.status == 200
    assert head.getheader("Content-Length") == str(len(SITE["index.html"]))
    post = get(server, "/REPO/", "POST")
    assert post.status == 405
    assert post.getheader("Allow") == "GET, HEAD"


def test_the_log_tells_which_files_were_served_with_200(server: PagesServer) -> None:
    get(server, "/REPO/keynote/")
    get(server, "/REPO/missing/")
    get(server, "/REPO/keynote")
    assert server.served_files() == {"keynote/index.html"}
    assert [(s.path, s.status) for s in server.log] == [
        ("/REPO/keynote/", 200),
        ("/REPO/missing/", 404),
        ("/REPO/keynote", 301),
    ]


def test_a_root_site_serves_from_slash(site: Path) -> None:
    with PagesServer(site, "/") as root_server:
        assert root_server.base_url.endswith("/")
        assert body_of(root_server, "/keynote/") == (200, SITE["keynote/index.html"].encode())


def test_text_is_gzipped_for_clients_that_accept_it(server: PagesServer) -> None:
    parts = urlsplit(server.origin)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("GET", "/REPO/keynote/", headers={"Accept-Encoding": "gzip, br"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == SITE["keynote/index.html"].encode()
    assert get(server, "/REPO/keynote/").getheader("Content-Encoding") is None
