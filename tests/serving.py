"""Running a real dev server on a free loopback port inside the test process, and talking to it."""

from __future__ import annotations

import http.client
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from site_src.config import Config, load_config
from site_src.devserver import DevServer, Event, ServeOptions
from site_src.rebuild import Builder, Outcome, site_builder
from site_src.watch import WatchTargets, watch_targets

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
