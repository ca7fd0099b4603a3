"""`serve`: the watcher, the rebuild loop, the WSGI app and livereload, put together.

    watcher --changed paths--> rebuilder --build into a private folder--> state (served by the app)
                                          \\--outcome--> reload the browsers, report to the terminal

Each part is testable alone; this module only wires them and shuts them down in order on Ctrl-C.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import BuildFailed, SiteError
from .http_server import LiveServer
from .rebuilder import Builder, Outcome, Rebuilder, site_builder
from .search import Indexed, SearchOnDemand
from .watcher import Debounce, Watcher, WatchTargets, watch_targets
from .wsgi_app import SiteState, make_app


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    open_browser: bool = False
    next_free_port: bool = True
    debounce: Debounce = field(default_factory=Debounce)


@dataclass(frozen=True, slots=True)
class Listening:
    """The server is up: where, and whether it had to move off the requested port."""

    url: str
    port: int
    requested_port: int


Event = Listening | Outcome | Indexed
Report = Callable[[Event], None]


class DevServer:
    """A running dev server; `run()` blocks until stopped (Ctrl-C on the main thread)."""

    def __init__(
        self,
        builder: Builder,
        targets: Callable[[], WatchTargets],
        base_path: str,
        options: ServeOptions,
        report: Report,
    ) -> None:
        self.options = options
        self.state = SiteState(base_path)
        self.search = SearchOnDemand(report)
        self.live = LiveServer(make_app(self.state, prepare=self.search.prepare))
        self._report = report
        self.rebuilder = Rebuilder(builder, self.state, self._done)
        self.watcher = Watcher(targets, self.rebuilder.request, options.debounce)
        self.port = 0

    def _done(self, outcome: Outcome) -> None:
        self._report(outcome)
        if outcome.stylesheets and not outcome.errors:
            for url in outcome.stylesheets:
                self.live.reload(url)
        else:
            self.live.reload("*")

    def start(self) -> str:
        """Bind, start the watcher and the first build; return the site's URL."""
        self.port = self.live.bind(
            self.options.host, self.options.port, next_free=self.options.next_free_port
        )
        self.watcher.start()
        self.rebuilder.start()
        url = f"http://{url_host(self.options.host)}:{self.port}{self.state.current.base_path}"
        self._report(Listening(url, self.port, self.options.port))
        return url

    def run(self) -> None:
        self.live.run()

    def stop(self) -> None:
        """Make `run` return; safe from any thread."""
        self.live.stop()

    def close(self) -> None:
        """Stop the threads, then the server (after `run` returned)."""
        self.watcher.stop()
        self.rebuilder.stop()
        self.live.close()


def url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def serve(load: Callable[[], Config], options: ServeOptions, report: Report) -> None:
    """Serve the project until Ctrl-C; builds go to a temporary folder removed on exit."""
    config = load()
    private = Path(tempfile.mkdtemp(prefix="site-src-serve-"))
    try:
        server = DevServer(
            site_builder(load, private),
            lambda: watch_targets(_reloaded(load, config)),
            config.base_path,
            options,
            report,
        )
        url = server.start()
        if options.open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        try:
            server.run()
        finally:
            server.close()
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _reloaded(load: Callable[[], Config], fallback: Config) -> Config:
    """The current config, or the last good one while the config file is broken."""
    try:
        return load()
    except (SiteError, BuildFailed):
        return fallback
