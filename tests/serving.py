"""Running a real dev server on a free loopback port inside the test process, and talking to it."""

from __future__ import annotations

import asyncio
import http.client
import json
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from site_src.config import Config, load_config
from site_src.serve.devserver import DevServer, Event, ServeOptions
from site_src.serve.rebuilder import Builder, Outcome, site_builder
from site_src.serve.watcher import WatchTargets, watch_targets

WAIT_SECONDS = 15.0


@dataclass
class Running:
    """A dev server running on a thread, with the events it reported."""

    server: DevServer
    port: int
    base_path: str
    events: queue.Queue[Event]

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """One raw HTTP request; `path` is sent exactly as given (no normalising, no quoting)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_SECONDS)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        status, _headers, body = self.get(self.base_path + path)
        assert status == 200, f"{path}: {status}"
        return body.decode("utf-8")

    def next_outcome(self, timeout: float = WAIT_SECONDS) -> Outcome:
        """The next rebuild's outcome (skipping other events)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if isinstance(event, Outcome):
                return event


def raw_request(port: int, request: bytes) -> bytes:
    """Send bytes exactly as given (no client-side checks or normalising); the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b"\r\n", 1)[0].split()[1])


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    """Poll `condition` until it holds; fail the test with the condition's name after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition.__name__}")
        time.sleep(0.02)


def project_config(root: Path) -> Config:
    return load_config(root, environ={})


@contextmanager
def dev_server(
    root: Path, builder: Builder | None = None, targets: Callable[[], WatchTargets] | None = None
) -> Iterator[Running]:
    """A dev server for the project at `root` (the real builder unless one is given)."""
    config = project_config(root)
    private = Path(tempfile.mkdtemp(prefix="site-src-test-serve-"))
    events: queue.Queue[Event] = queue.Queue()
    server = DevServer(
        builder or site_builder(lambda: project_config(root), private),
        targets or (lambda: watch_targets(project_config(root))),
        config.base_path,
        ServeOptions(port=0, next_free_port=False),
        events.put,
    )
    started = threading.Event()

    def run() -> None:
        server.start()
        started.set()
        server.run()
        server.close()

    thread = threading.Thread(target=run, name="test-dev-server")
    thread.start()
    try:
        assert started.wait(WAIT_SECONDS), "the dev server did not start"
        running = Running(server, server.port, config.base_path, events)
        running.next_outcome()  # the first build
        yield running
    finally:
        server.stop()
        thread.join(WAIT_SECONDS)
        shutil.rmtree(private, ignore_errors=True)
    assert not thread.is_alive(), "the dev server did not stop"


class ReloadListener:
    """A livereload WebSocket client on its own thread, like livereload.js: it says hello, sends
    its page URL, then collects every message the server sends into `messages`."""

    def __init__(self, port: int, page_url: str = "/") -> None:
        self.messages: queue.Queue[dict[str, object]] = queue.Queue()
        self._port = port
        self._page_url = page_url
        self._ready = threading.Event()
        self._done: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="test-reload-listener")

    def __enter__(self) -> ReloadListener:
        self._thread.start()
        assert self._ready.wait(WAIT_SECONDS), "the WebSocket handshake did not finish"
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._loop is not None and self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set_result, None)
        self._thread.join(WAIT_SECONDS)

    def _run(self) -> None:
        asyncio.run(self._talk())

    async def _talk(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._done = self._loop.create_future()
        origin = f"http://127.0.0.1:{self._port}"  # a browser sends its page's origin
        request = HTTPRequest(f"ws://127.0.0.1:{self._port}/livereload", headers={"Origin": origin})
        connection = await websocket_connect(request)
        hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}
        await connection.write_message(json.dumps(hello))
        answer = await connection.read_message()
        assert answer is not None and json.loads(answer)["command"] == "hello"
        info = {"command": "info", "url": f"http://127.0.0.1:{self._port}{self._page_url}"}
        await connection.write_message(json.dumps(info))
        await asyncio.sleep(0.1)  # the server registers the page on the info message
        self._ready.set()
        reading = asyncio.ensure_future(self._read(connection))
        await self._done
        reading.cancel()
        connection.close()

    async def _read(self, connection: WebSocketClientConnection) -> None:
        while True:
            message = await connection.read_message()
            if message is None:
                return
            self.messages.put(json.loads(message))

    def next(self, timeout: float = WAIT_SECONDS) -> dict[str, object]:
        return self.messages.get(timeout=timeout)
