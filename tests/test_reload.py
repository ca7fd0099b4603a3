"""livereload's WebSocket protocol as the dev server drives it: a reload after each build, never
throttled, a stylesheet path for CSS-only edits; and binding to a port."""

from __future__ import annotations

import base64
import logging
import os
import queue
import socket
import time
from pathlib import Path

import pytest

from site_src.errors import SiteError
from site_src.serve.http_server import AllowedHosts, bind_first_free

from .serving import WAIT_SECONDS, ReloadListener, dev_server, raw_request, status_of, wait_until


def test_content_edit_sends_a_full_reload_after_the_page_is_served(sample: Path) -> None:
    with dev_server(sample) as running, ReloadListener(running.port) as listener:
        source = sample / "content" / "features.md"
        source.write_text(source.read_text().replace("## Tables", "## Reloaded"))
        message = listener.next()
        assert message["command"] == "reload" and message["path"] == "*"
        # When the message arrives, the new output is already what the server answers with.
        assert "Reloaded" in running.page("features/")


def test_css_edit_names_the_stylesheet_the_open_pages_link_to(sample: Path) -> None:
    with dev_server(sample) as running, ReloadListener(running.port) as listener:
        page = running.page("")
        old_href = page.split('rel="stylesheet" href="')[1].split('"')[0]
        css = sample / "static" / "css" / "site.css"
        css.write_text(css.read_text() + "\nh1 { color: teal; }\n")
        message = listener.next()
        assert message == {
            "command": "reload",
            "path": old_href,
            "liveCSS": True,
            "liveImg": True,
        }
        status, _headers, body = running.get(old_href + "?livereload=123")
        assert status == 200 and b"teal" in body


def test_three_quick_saves_each_reach_the_browser(sample: Path) -> None:
    """livereload alone would drop the 2nd and 3rd (3 s throttle); the last one must be served."""
    with dev_server(sample) as running, ReloadListener(running.port) as listener:
        source = sample / "content" / "features.md"
        text = source.read_text()
        for number in (1, 2, 3):
            source.write_text(text.replace("## Tables", f"## Save {number}"))
            time.sleep(0.3)
        wait_until(lambda: "Save 3" in running.page("features/"))
        reloads = []
        while len(reloads) < 3:
            reloads.append(listener.next(timeout=5))
        assert all(m["command"] == "reload" for m in reloads)


def test_a_failed_build_and_its_fix_both_reload(sample: Path) -> None:
    with dev_server(sample) as running, ReloadListener(running.port) as listener:
        source = sample / "content" / "features.md"
        good = source.read_text()
        source.write_text(good.replace("title: Features", "title: [broken"))
        assert listener.next()["path"] == "*"
        assert "site-src-errors" in running.page("features/")
        source.write_text(good)
        assert listener.next()["path"] == "*"
        assert "site-src-errors" not in running.page("features/")


def test_a_port_in_use_moves_to_the_next_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sockets = bind_first_free("127.0.0.1", port, 20)
        try:
            assert sockets[0].getsockname()[1] > port
        finally:
            for sock in sockets:
                sock.close()
        with pytest.raises(SiteError, match=f"port {port} on 127.0.0.1 already in use"):
            bind_first_free("127.0.0.1", port, 1)


def handshake(port: int, host: str | None = None, origin: str | None = "own") -> bytes:
    """A WebSocket upgrade request for /livereload, as a browser sends it (`own`: its page's origin)."""
    host = host if host is not None else f"127.0.0.1:{port}"
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /livereload HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {f'http://{host}' if origin == 'own' else origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def handshake_status(port: int, request: bytes) -> int:
    """The status of a handshake's answer (a socket that was upgraded stays open: no read to EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := connection.recv(4096)):
            answer += chunk
    return status_of(answer)


def client_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One masked frame, as a client must send it (payloads under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def get_with(port: int, path: str, headers: dict[str, str]) -> int:
    lines = [
        f"GET {path} HTTP/1.1",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return status_of(raw_request(port, ("\r\n".join(lines) + "\r\n\r\n").encode()))


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example:{port}", 403),
        ("localhost.evil.example:{port}", 403),
        ("127.0.0.1.nip.io:{port}", 403),
        ("127.0.0.1:{other}", 403),
        ("127.0.0.1", 403),
        ("10.0.0.1:{port}", 403),
        ("127.0.0.1:abc", 400),
        ("[::1]:x", 400),
        ("evil.example@127.0.0.1:{port}", 400),
        ("127.0.0.1:{port}", 200),
        ("localhost:{port}", 200),
        ("LocalHost:{port}", 200),
        ("[::1]:{port}", 200),
    ],
)
def test_only_requests_addressed_to_this_server_are_answered(
    sample: Path, caplog: pytest.LogCaptureFixture, host: str, status: int
) -> None:
    """DNS rebinding: a page on evil.example, rebound to 127.0.0.1, still sends its own name."""
    with dev_server(sample) as running:
        header = host.format(port=running.port, other=running.port + 1)
        for path in ("/sample/", "/sample/features/", "/livereload.js"):
            assert get_with(running.port, path, {"Host": header}) == status, path
        answer = handshake_status(running.port, handshake(running.port, host=header))
        assert answer == (101 if status == 200 else status)
        forced = {"Host": header, "Origin": f"http://{header}"}
        assert get_with(running.port, "/forcereload", forced) == status
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks"


def test_the_host_asked_for_and_any_address_when_listening_everywhere() -> None:
    named = AllowedHosts.serving("devbox.test", 8000)
    assert named.allows("devbox.test:8000") and named.allows("localhost:8000")
    assert named.allows("devbox.test:8001") is False
    assert named.allows("192.168.1.20:8000") is False
    everywhere = AllowedHosts.serving("0.0.0.0", 8000)
    assert everywhere.allows("192.168.1.20:8000") and everywhere.allows("[fe80::1]:8000")
    assert everywhere.allows("evil.example:8000") is False
    assert AllowedHosts.serving("::1", 80).allows("[::1]")


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("own", 101),
        ("http://evil.example", 403),
        ("http://127.0.0.1:1", 403),
        ("https://127.0.0.1:{port}", 403),
        ("null", 403),
        (None, 403),
    ],
)
def test_the_reload_socket_is_for_the_servers_own_pages(
    sample: Path, origin: str | None, status: int
) -> None:
    with dev_server(sample) as running:
        own_origin = origin.format(port=running.port) if origin else origin
        answer = handshake_status(running.port, handshake(running.port, origin=own_origin))
        assert answer == status


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://127.0.0.1:{port}"}, 200),
        ({"Sec-Fetch-Site": "same-origin"}, 200),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({}, 403),
    ],
)
def test_forcereload_answers_only_the_servers_own_pages(
    sample: Path, headers: dict[str, str], status: int
) -> None:
    with dev_server(sample) as running, ReloadListener(running.port) as listener:
        sent = {k: v.format(port=running.port) for k, v in headers.items()}
        sent["Host"] = f"127.0.0.1:{running.port}"
        assert get_with(running.port, "/forcereload?path=x.css", sent) == status
        if status == 403:
            with pytest.raises(queue.Empty):
                listener.next(timeout=0.3)
        else:
            assert listener.next()["path"] == "x.css"


@pytest.mark.parametrize(
    ("payload", "opcode"),
    [
        (b"not json", 1),
        (b"1", 1),
        (b"[1]", 1),
        (b"{}", 1),
        (b'{"command": 1}', 1),
        (b'"hello"', 1),
        (b"\x00\xff garbage", 2),
        (b'{"command": "hello"}', 2),
    ],
)
def test_garbage_on_the_reload_socket_closes_it_quietly(
    sample: Path, caplog: pytest.LogCaptureFixture, payload: bytes, opcode: int
) -> None:
    with dev_server(sample) as running:
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as connection:
            connection.sendall(handshake(running.port))
            assert connection.recv(4096).startswith(b"HTTP/1.1 101")
            connection.sendall(client_frame(payload, opcode))
            answer = connection.recv(4096)
            assert answer[:1] == b"\x88", "a close frame"
            assert int.from_bytes(answer[2:4], "big") == 1003
        with ReloadListener(running.port) as listener:  # the server still serves others
            source = sample / "content" / "features.md"
            source.write_text(source.read_text().replace("## Tables", "## After"))
            assert listener.next()["command"] == "reload"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
