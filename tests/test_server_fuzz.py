"""Fuzz the dev server with hostile request paths: nothing outside the site is ever returned.

The real dev server (livereload around our WSGI app) on 127.0.0.1 serves a small built site, at
the root and under a base path. Next to the site (outside it) lie files holding a secret token,
and the site itself holds symbolic links pointing out. Hypothesis sends raw request lines built from traversal pieces (`..`, percent-encoded and double-encoded
dots and slashes, backslashes, NUL, overlong UTF-8, absolute URLs); the token must never come
back, the server must never fail with a 5xx, and no directory listing is ever served.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_src.serve.rebuilder import Built

from .serving import dev_server

SECRET = "TOP-SECRET-5f3a9c"
PIECES = [
    "..",
    ".",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%252e%252e",
    "..%2f",
    "..%2F",
    "..%5c",
    "..\\",
    "%5c",
    "%2f",
    "%00",
    "\\",
    "%c0%ae%c0%ae",
    "%c0%af",
    "%e0%80%ae",
    "\uff0e\uff0e",
    "~",
    "",
    "secret.txt",
    "link-out",
    "dir-out",
    "site",
    "sub",
    "css",
    "index.html",
    "etc",
    "passwd",
]
SEPARATORS = ["/", "\\", "%2f", "%5c", "//"]


@pytest.fixture(scope="module", params=["/", "/repo/"], ids=["root", "base-path"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, str]]:
    """The real dev server on 127.0.0.1 serving a site folder with secrets beside it and links out."""
    base_path: str = request.param
    base = tmp_path_factory.mktemp("fuzz")
    site = base / "out" / "site"
    (site / "sub").mkdir(parents=True)
    (site / "css").mkdir()
    page = "<!doctype html><html><head></head><body>{}</body></html>"
    (site / "index.html").write_text(page.format("home"))
    (site / "sub" / "index.html").write_text(page.format("sub"))
    (site / "css" / "site.0123456789.css").write_text("body{}")
    (site / "404.html").write_text(page.format("missing"))
    for secret in (base / "secret.txt", base / "out" / "secret.txt"):
        secret.write_text(SECRET)
    (base / "etc").mkdir()
    (base / "etc" / "passwd").write_text(SECRET)
    (site / "link-out").symlink_to(base / "secret.txt")
    (site / "dir-out").symlink_to(base / "etc", target_is_directory=True)
    (base / "site.yml").write_text(f"title: T\nbase_url: {base_path}\n")

    def fixed(_changed: frozenset[Path]) -> Built:
        return Built(site, base_path)

    with dev_server(base, builder=fixed) as running:
        yield running.port, base_path


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """Send a request line exactly as given (no client-side normalisation) and read the answer."""
    request = f"GET {target} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    status_line = answer.split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), answer


def assert_safe(status: int, answer: bytes) -> None:
    assert SECRET.encode() not in answer, "a file outside the site was served"
    assert status < 500, answer[:300]
    lowered = answer.lower()
    assert b"index of" not in lowered and b"directory listing" not in lowered


hostile_path = st.builds(
    lambda prefix, parts, seps, query: (
        prefix + "".join(p + s for p, s in zip(parts, seps, strict=False)) + query
    ),
    st.sampled_from(["", "/", "//", "site/", "http://127.0.0.1/", "sub/", "css/", "\\", "%2e%2e/"]),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8),
    st.lists(st.sampled_from(SEPARATORS), min_size=8, max_size=8),
    st.sampled_from(["", "?x=1", "#frag", "?../../secret.txt", "%00.html"]),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=hostile_path)
def test_hostile_paths_never_leave_the_site(served: tuple[int, str], target: str) -> None:
    port, base_path = served
    for request_target in (target if target.startswith("/") else "/" + target, base_path + target):
        status, answer = raw_get(port, request_target)
        assert_safe(status, answer)


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%252e%252e/secret.txt",
        "/link-out",
        "/dir-out/passwd",
        "/dir-out/",
        "/sub/../../secret.txt",
        "/..\\secret.txt",
        "/%00/../secret.txt",
        "/sub/",
        "/css/",
    ],
)
def test_known_escapes_are_refused(served: tuple[int, str], target: str) -> None:
    port, base_path = served
    status, answer = raw_get(port, base_path.rstrip("/") + target)
    assert_safe(status, answer)
    if target not in ("/sub/", "/css/"):
        assert status in (400, 403, 404), (target, status)


def test_the_site_itself_is_served(served: tuple[int, str]) -> None:
    port, base_path = served
    status, answer = raw_get(port, base_path + "sub/")
    assert status == 200 and b"sub" in answer
