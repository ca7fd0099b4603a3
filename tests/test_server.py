"""The dev server's WSGI app, through a real server on a loopback port: every page, edits, errors,
new and deleted files, the base path, and paths that try to leave the site."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path

import pytest

from site_src.errors import BuildFailed, Location, SiteError
from site_src.serve.rebuilder import Built
from site_src.serve.wsgi_app import SiteState, Snapshot, make_app, site_relative

from .serving import dev_server, raw_request, status_of, wait_until

SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"


def test_serves_every_file_of_the_build_under_the_base_path(sample: Path) -> None:
    with dev_server(sample) as running:
        folder = running.server.state.current.folder
        assert folder is not None
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        assert len(files) > 8
        for path in files:
            relative = path.relative_to(folder).as_posix()
            status, headers, body = running.get(running.base_path + relative)
            assert status == 200, relative
            if path.suffix == ".html":
                assert "text/html" in headers["Content-Type"]
                assert b"livereload.js" in body
                title = path.read_text(encoding="utf-8").split("<title>")[1].split("<")[0]
                assert title in body.decode("utf-8")
            else:
                assert body == path.read_bytes(), relative


def test_folders_index_redirects_and_404(sample: Path) -> None:
    with dev_server(sample) as running:
        assert running.base_path == "/sample/"
        status, headers, _ = running.get("/")
        assert (status, headers["Location"]) == (302, "/sample/")
        status, headers, _ = running.get("/sample/guide")
        assert (status, headers["Location"]) == (301, "/sample/guide/")
        assert "<h1>Guide" in running.page("guide/") or "Guide" in running.page("guide/")
        status, headers, body = running.get("/sample/no/such/page/")
        assert status == 404
        assert "text/html" in headers["Content-Type"]
        assert b"the home page" in body and b"livereload.js" in body
        status, _, _ = running.get("/elsewhere/")
        assert status == 404
        status, headers, body = running.get("/sample/", method="HEAD")
        assert (status, body) == (200, b"")
        status, _, _ = running.get("/sample/", method="POST")
        assert status == 405
        status, headers, _ = running.get("/sample/css/")  # a folder without index.html
        assert status == 404, "no directory listings"


def test_edit_new_and_deleted_pages_show_up(sample: Path) -> None:
    with dev_server(sample) as running:
        source = sample / "content" / "features.md"
        source.write_text(source.read_text().replace("## Tables", "## Tabular things"))
        wait_until(lambda: "Tabular things" in running.page("features/"))
        new = sample / "content" / "fresh.md"
        new.write_text("---\ntitle: Fresh page\n---\nBrand new text.\n")
        wait_until(lambda: running.get("/sample/fresh/")[0] == 200)
        assert "Brand new text." in running.page("fresh/")
        new.unlink()
        wait_until(lambda: running.get("/sample/fresh/")[0] == 404)


def test_broken_file_shows_overlay_until_fixed(sample: Path) -> None:
    with dev_server(sample) as running:
        source = sample / "content" / "features.md"
        good = source.read_text()
        source.write_text(good.replace("order: 2", "order: [<script>alert(1)</script>"))
        wait_until(lambda: "site-src-errors" in running.page("features/"))
        html = running.page("index.html")
        assert "role='alertdialog'" in html
        assert "content/features.md:5:5" in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "Welcome" in html, "the last good page is still shown under the overlay"
        outcome = running.next_outcome()
        assert outcome.errors and outcome.errors[0].where is not None
        source.write_text(good)
        wait_until(lambda: "site-src-errors" not in running.page("features/"))


def test_old_stylesheet_names_answer_with_the_current_stylesheet(sample: Path) -> None:
    with dev_server(sample) as running:
        folder = running.server.state.current.folder
        assert folder is not None
        (old,) = (folder / "css").glob("site.*.css")
        css = sample / "static" / "css" / "site.css"
        css.write_text(css.read_text() + "\nmain { color: rebeccapurple; }\n")
        wait_until(lambda: not (folder / "css" / old.name).exists())
        status, _headers, body = running.get(f"/sample/css/{old.name}?livereload=1")
        assert status == 200 and b"rebeccapurple" in body
        assert running.get("/sample/css/other.0123456789.css")[0] == 404


def test_a_failed_first_build_serves_the_overlay(tmp_path: Path) -> None:
    def broken(_changed: frozenset[Path]) -> Built:
        raise BuildFailed([SiteError("no templates <here>", Location("templates/base.html", 3))])

    (tmp_path / "site.yml").write_text("title: T\n")
    with dev_server(tmp_path, builder=broken) as running:
        status, _headers, body = running.get("/")
        assert status == 500
        assert b"templates/base.html:3" in body and b"no templates &lt;here&gt;" in body


@pytest.fixture
def escape_room(tmp_path: Path) -> Path:
    """A built site whose folder has a symlink out, with secrets beside it and above it."""
    site = tmp_path / "out" / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html><head></head><body>home</body></html>")
    (site / "404.html").write_text("<html><head></head><body>missing</body></html>")
    for secret in (tmp_path / "secret.txt", tmp_path / "out" / "secret.txt"):
        secret.write_text(SECRET)
    os.symlink(tmp_path / "secret.txt", site / "link.txt")
    os.symlink(tmp_path, site / "linkdir")
    (tmp_path / "site.yml").write_text("title: T\n")
    return site


TRAVERSALS = [
    "/../secret.txt",
    "/..%2fsecret.txt",
    "/..%2f..%2fsecret.txt",
    "/..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/%5c..%5c..%5csecret.txt",
    "/%00/../secret.txt",
    "/index.html%00.txt",
    "/.%2e/secret.txt",
    "/%252e%252e/secret.txt",
    "/link.txt",
    "/linkdir/secret.txt",
    "/linkdir/out/secret.txt",
    "//etc/passwd",
    "/%2fetc/passwd",
    "/C:/secret.txt",
]


@pytest.fixture
def unicode_site(tmp_path: Path) -> Path:
    """A built site under /repo/ with a folder whose name is not ASCII."""
    site = tmp_path / "out" / "site"
    (site / "页面").mkdir(parents=True)
    (site / "css").mkdir()
    page = "<!doctype html><html><head></head><body>{}</body></html>"
    (site / "index.html").write_text(page.format("home"))
    (site / "404.html").write_text(page.format("missing"))
    (site / "页面" / "index.html").write_text(page.format("unicode page"), encoding="utf-8")
    (site / "css" / "site.0123456789.css").write_text("body{}")
    (tmp_path / "site.yml").write_text("title: T\nbase_url: /repo/\n")
    return site


def serve_folder(site: Path, base_path: str = "/repo/") -> Built:
    return Built(site, base_path)


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Tornado logs an uncaught exception (with its traceback) at ERROR; that is the terminal."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]


@pytest.mark.parametrize(
    "target",
    [
        "/repo/" + "a" * 300,
        "/repo/" + "a" * 300 + "/",
        "/repo/" + "a" * 300 + "/b.html",
        "/repo/css/" + "b" * 300 + ".0123456789.css",
        "/repo/%E9%A1%B5%E9%9D%A2/" + "%E9%A1%B5" * 100,
    ],
)
def test_names_too_long_for_the_file_system_are_404s(
    unicode_site: Path, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    with dev_server(
        unicode_site.parent.parent, builder=lambda _c: serve_folder(unicode_site)
    ) as running:
        status, _headers, body = running.get(target)
        assert status == 404 and b"missing" in body
    assert_no_errors_logged(caplog)


def test_a_non_ascii_folder_redirects_to_its_percent_encoded_path(
    unicode_site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with dev_server(
        unicode_site.parent.parent, builder=lambda _c: serve_folder(unicode_site)
    ) as running:
        status, headers, _body = running.get("/repo/%E9%A1%B5%E9%9D%A2")
        assert (status, headers["Location"]) == (301, "/repo/%E9%A1%B5%E9%9D%A2/")
        status, _headers, body = running.get(headers["Location"])
        assert status == 200 and "unicode page" in body.decode("utf-8")
        answer = raw_request(
            running.port,
            f"GET /repo/%E9%A1%B5%E9%9D%A2?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n"
            "Connection: close\r\n\r\n".encode(),
        )
        assert status_of(answer) == 301 and b"Location: /repo/%E9%A1%B5%E9%9D%A2/\r\n" in answer
    assert_no_errors_logged(caplog)


@pytest.mark.parametrize(
    "target",
    [
        "/repo/index.html/",
        "/repo/%E9%A1%B5%E9%9D%A2/index.html/",
        "/repo/css/site.0123456789.css/",
        "/repo/css/site.9876543210.css/",
        "/repo/404.html/",
    ],
)
def test_a_file_path_followed_by_a_slash_is_a_404_like_on_github_pages(
    unicode_site: Path, target: str
) -> None:
    with dev_server(
        unicode_site.parent.parent, builder=lambda _c: serve_folder(unicode_site)
    ) as running:
        assert running.get(target.rstrip("/"))[0] == 200
        status, _headers, body = running.get(target)
        assert status == 404 and b"missing" in body


@pytest.mark.parametrize("path", TRAVERSALS)
def test_paths_never_leave_the_site(escape_room: Path, path: str) -> None:
    def fixed(_changed: frozenset[Path]) -> Built:
        return Built(escape_room, "/")

    with dev_server(escape_room.parent.parent, builder=fixed) as running:
        status, _headers, body = running.get(path)
        assert SECRET.encode() not in body
        assert b"root:" not in body
        assert status in (400, 404), status


def test_site_relative_refuses_unsafe_paths() -> None:
    assert site_relative("/r/a/b.html", "/r/") == "a/b.html"
    for bad in ("/r/../x", "/r/a/./b", "/r/a\\b", "/r/a\x00b", "/r//etc", "/r/c:/x", "/x/a"):
        assert site_relative(bad, "/r/") is None, bad


def test_requests_wait_for_a_build_in_flight(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old")
    state = SiteState("/")
    state.finish_build(Snapshot(site, "/", ()))
    app = make_app(state)
    state.begin_build()
    (site / "index.html").write_text("<p>new</p>")
    seen: list[bytes] = []

    def request() -> None:
        body = app({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, lambda *_: None)
        seen.extend(body)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(0.3)
    assert thread.is_alive() and not seen, "the request did not wait for the build"
    state.finish_build(Snapshot(site, "/", ()))
    thread.join(5)
    assert seen and b"<p>new</p>" in seen[0]


def test_a_long_first_build_answers_building_then_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><head></head><body>ready</body></html>")
    state = SiteState("/")
    app = make_app(state, wait_seconds=0.1)
    statuses: list[str] = []

    def get() -> bytes:
        body = app({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, lambda s, h: statuses.append(s))
        return b"".join(body)

    state.begin_build()
    assert b"Building the site" in get() and statuses[-1].startswith("503")
    state.finish_build(Snapshot(site, "/", ()))
    assert b"ready" in get() and statuses[-1].startswith("200")


def test_serves_every_page_of_the_conference_site(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    root = tmp_path / "conference"
    for name in ("content", "templates", "static", "data"):
        shutil.copytree(repo / name, root / name)
    shutil.copy(repo / "site.yml", root / "site.yml")
    with dev_server(root) as running:
        folder = running.server.state.current.folder
        assert folder is not None and not running.server.state.current.errors
        pages = sorted(folder.rglob("index.html"))
        assert len(pages) >= 5
        for page in pages:
            url = running.base_path + page.parent.relative_to(folder).as_posix() + "/"
            status, _headers, body = running.get(url.replace("/./", "/"))
            assert status == 200, url
            assert b"livereload.js" in body and b"site-src-errors" not in body


@pytest.mark.parametrize(
    "page",
    [
        "<!doctype html><html><head><title>t</title></head><body>x</body></html>",
        "<!DOCTYPE html><HTML><HEAD><TITLE>t</TITLE></HEAD><BODY>x</BODY></HTML>",
        "<!doctype html><title>t</title><p>no head or body tags",
    ],
)
def test_every_page_gets_the_live_reload_script_once(tmp_path: Path, page: str) -> None:
    site = tmp_path / "out"
    site.mkdir()
    (site / "index.html").write_text(page)
    (tmp_path / "site.yml").write_text("title: T\n")

    def fixed(_changed: frozenset[Path]) -> Built:
        return Built(site, "/")

    with dev_server(tmp_path, builder=fixed) as running:
        body = running.page("")
        assert body.count("/livereload.js?port=") == 1
        assert body.replace(body[body.index("<script>") : body.index("</script>") + 9], "") == page
