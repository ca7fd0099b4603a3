"""`python build.py serve` as a user runs it: it says where it serves, moves off a busy port out
loud, and stops cleanly on Ctrl-C (no traceback, no leftover folder)."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def start(sample: Path, port: int, tmp: Path) -> subprocess.Popen[str]:
    command = [sys.executable, str(REPO / "build.py"), "serve", "--root", str(sample)]
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def serving_line(process: subprocess.Popen[str]) -> list[str]:
    """stdout lines up to and including the 'Serving ...' one."""
    assert process.stdout is not None
    lines = []
    while not lines or not lines[-1].startswith("Serving"):
        line = process.stdout.readline()
        assert line, f"serve exited early: {process.communicate(timeout=10)}"
        lines.append(line)
    return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_then_stops_cleanly_on_ctrl_c(sample: Path, tmp_path: Path) -> None:
    port = free_port()
    process = start(sample, port, tmp_path)
    try:
        lines = serving_line(process)
        assert f"http://127.0.0.1:{port}/sample/" in lines[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sample/", timeout=30) as response:
            assert b"Welcome" in response.read()
        assert any(tmp_path.glob("site-src-serve-*")), "builds go to a private folder"
        assert not (sample / "_site").exists(), "serve never writes the output folder"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0, err
    assert "Stopped." in out
    assert "Traceback" not in err and "Traceback" not in out
    assert not any(tmp_path.glob("site-src-serve-*")), "the private folder was left behind"


def test_a_busy_port_is_said_out_loud(sample: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(sample, port, tmp_path)
        try:
            lines = serving_line(process)
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)
        finally:
            process.kill() if process.poll() is None else None
    assert f"Port {port} is in use; using port" in "".join(lines)
    assert f":{port}/" not in lines[-1]
    assert process.returncode == 0


def hostile_requests(port: int) -> list[bytes]:
    """Requests that once printed a traceback, or might: each sent raw, as bytes on a socket."""
    host = f"Host: 127.0.0.1:{port}\r\n"
    targets = [
        "/sample/" + "a" * 300,
        "/sample/" + "a" * 300 + "/index.html",
        "/sample/%E9%A1%B5%E9%9D%A2",
        "/sample/%zz%",
        "/sample/%ff%fe",
        "/sample/%00",
        "/sample/a%00b/",
        "/sample/../../etc/passwd",
        "/sample/%2e%2e/%2e%2e/",
        "/sample/index.html/",
    ]
    requests = [f"GET {t} HTTP/1.1\r\n{host}Connection: close\r\n\r\n".encode() for t in targets]
    requests += [
        b"GET /sample/a\x00b HTTP/1.1\r\n" + host.encode() + b"Connection: close\r\n\r\n",
        b"GET /sample/ HTTP/1.1\r\nHost: 127.0.0.1:abc\r\nConnection: close\r\n\r\n",
        b"GET /sample/ HTTP/1.1\r\nHost: evil.example:1\r\nConnection: close\r\n\r\n",
    ]
    return requests


def garbage_on_the_reload_socket(port: int) -> None:
    key = base64.b64encode(os.urandom(16))
    upgrade = (
        b"GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n" % (port, port, key)
    )
    for payload in (b"\x81\x88" + bytes(4) + b"not json", b"\x82\x83" + bytes(4) + b"\x00\x01\x02"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(upgrade)
            assert connection.recv(4096).startswith(b"HTTP/1.1 101")
            connection.sendall(payload)
            connection.recv(4096)


def test_no_request_prints_a_traceback(sample: Path, tmp_path: Path) -> None:
    """The terminal shows rebuilds and mistakes; no request, however hostile, adds a traceback."""
    port = free_port()
    process = start(sample, port, tmp_path)
    try:
        serving_line(process)
        for request in hostile_requests(port):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(request)
                while connection.recv(65536):
                    pass
        garbage_on_the_reload_socket(port)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill() if process.poll() is None else None
    for text in (out, err):
        assert "Traceback" not in text and "Uncaught exception" not in text, text
        assert " 500 " not in text, text
