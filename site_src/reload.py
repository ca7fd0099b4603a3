"""livereload's server, WebSocket protocol and browser script, without its watcher and throttle.

livereload 2.7.1 polls mtimes every 800 ms and ignores any change within 3 s of the last reload
(`LiveReloadHandler.DEFAULT_RELOAD_TIME`), so a quick second save never reaches the browser. We
never start its watcher (`LiveReloadHandler.start_tasks`); our rebuild loop calls
`LiveReloadHandler.reload_waiters` (what its /forcereload does), which has no throttle, on the
IOLoop's own thread through `add_callback`, and only after the new output is in place.

`Server.application` is re-done here (it is short) to turn Tornado's debug autoreload off, to bind
with a fallback to the next free port, and to keep the HTTP server so it can be closed cleanly.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import threading

import livereload
from livereload.handlers import ForceReloadHandler, LiveReloadHandler, LiveReloadJSHandler
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from .errors import SiteError
from .server import LIVE_SCRIPT, WSGIApp

PORT_ATTEMPTS = 20
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class LiveServer:
    """One livereload-enabled HTTP server for a WSGI app, run on the thread that calls `bind`."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._loop: IOLoop | None = None
        self._http: HTTPServer | None = None
        self._sockets: list[socket.socket] = []
        self.port = 0

    def bind(self, host: str, port: int, *, next_free: bool = True) -> int:
        """Listen on host:port (port 0: any free one), or on the next free port; return it."""
        asyncio.set_event_loop(asyncio.new_event_loop())
        self._loop = IOLoop.current()
        self._handle_signals(self._loop)
        self._sockets = bind_first_free(host, port, PORT_ATTEMPTS if next_free else 1)
        self.port = self._sockets[0].getsockname()[1]
        self._http = HTTPServer(self._application())
        self._http.add_sockets(self._sockets)
        return self.port

    def _application(self) -> web.Application:
        """livereload's handlers in front of our WSGI app, wrapped in its script injector."""
        wrapper = livereload.Server(app=self._app)
        LiveReloadHandler.watcher = wrapper.watcher  # read by reload_waiters' log line only
        LiveReloadHandler.live_css = True
        script = LIVE_SCRIPT.encode("utf-8")
        handlers = [
            (r"/livereload", LiveReloadHandler),
            (r"/forcereload", ForceReloadHandler),
            (r"/livereload.js", LiveReloadJSHandler),
            *wrapper.get_web_handlers(script),
        ]
        return web.Application(handlers=handlers, debug=False)

    def reload(self, path: str = "*") -> None:
        """Tell every connected browser to reload `path` (a stylesheet URL is swapped in place).

        Safe from any thread; bypasses livereload's 3 s throttle on purpose."""
        if self._loop is not None:
            self._loop.add_callback(LiveReloadHandler.reload_waiters, path)

    def run(self) -> None:
        """Serve until `stop` is called or, when bound on the main thread, until Ctrl-C or SIGTERM."""
        assert self._loop is not None, "bind() first"
        self._loop.start()

    def _handle_signals(self, loop: IOLoop) -> None:
        """Ctrl-C and SIGTERM stop the loop between requests: no KeyboardInterrupt mid-response."""
        if threading.current_thread() is threading.main_thread():
            aio = asyncio.get_event_loop()
            for number in SIGNALS:
                aio.add_signal_handler(number, loop.stop)

    def stop(self) -> None:
        """Make `run` return (from any thread)."""
        if self._loop is not None:
            self._loop.add_callback(self._loop.stop)

    def close(self) -> None:
        """Close the listening sockets, open connections and the loop (after `run` returned)."""
        if self._http is not None:
            self._http.stop()
        for waiter in list(LiveReloadHandler.waiters):
            waiter.close()
        LiveReloadHandler.waiters.clear()
        if self._loop is not None:
            if threading.current_thread() is threading.main_thread():
                for number in SIGNALS:
                    asyncio.get_event_loop().remove_signal_handler(number)
            self._loop.close(all_fds=True)
            self._loop = None


def bind_first_free(host: str, port: int, attempts: int) -> list[socket.socket]:
    """Bind `port`, or the next ones up to `attempts`; a clear SiteError when none is free."""
    for candidate in range(port, port + attempts) if port else [0]:
        try:
            return bind_sockets(candidate, host)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise SiteError(f"cannot listen on {host}:{candidate}: {exc.strerror}") from None
    last = port + attempts - 1
    ports = f"port {port}" if attempts == 1 else f"ports {port}-{last}"
    raise SiteError(
        f"{ports} on {host} already in use",
        hint="Stop the other server, or choose another port with --port.",
    )
