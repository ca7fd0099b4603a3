"""livereload's server, WebSocket protocol and browser script, without its watcher and throttle.

livereload 2.7.1 polls mtimes every 800 ms and ignores any change within 3 s of the last reload
(`LiveReloadHandler.DEFAULT_RELOAD_TIME`), so a quick second save never reaches the browser. We
never start its watcher (`LiveReloadHandler.start_tasks`); our rebuild loop calls
`LiveReloadHandler.reload_waiters` (what its /forcereload does), which has no throttle, on the
IOLoop's own thread through `add_callback`, and only after the new output is in place.

`Server.application` is re-done here (it is short) to turn Tornado's debug autoreload off, to bind
with a fallback to the next free port, and to keep the HTTP server so it can be closed cleanly.

A page on another site must not use the server (its pages may be unpublished drafts): every request
must name the server's own host and port in `Host` (DNS rebinding sends the attacker's name), and
the reload socket and /forcereload answer only the server's own pages (livereload accepts any
origin). Messages on the socket that are not livereload's JSON close it instead of raising.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import re
import signal
import socket
import threading
from dataclasses import dataclass
from typing import Any

import livereload
from livereload.handlers import ForceReloadHandler, LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptContainer
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

from ..errors import SiteError
from .wsgi_app import LIVE_SCRIPT, WSGIApp

PORT_ATTEMPTS = 20
SIGNALS = (signal.SIGINT, signal.SIGTERM)
HOST_HEADER = re.compile(
    r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>\d{1,5}))?$"
)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """The `Host` values that name this server: its port, with a loopback name or the --host one.

    Listening on every interface (0.0.0.0) is asking to be reached by address from other machines,
    so any IP address is accepted then: an address typed as-is cannot be rebound through DNS.
    """

    names: frozenset[str]
    port: int
    any_address: bool = False

    @classmethod
    def serving(cls, host: str, port: int) -> AllowedHosts:
        names = LOOPBACK_NAMES | {host.strip("[]").lower()}
        return cls(names - {""}, port, host in WILDCARD_HOSTS)

    def allows(self, header: str) -> bool | None:
        """True for this server, False for another host, None for a malformed header."""
        match = HOST_HEADER.match(header)
        if match is None:
            return None
        name = (match["ipv6"] or match["name"]).lower()
        port = int(match["port"] or 80)
        return port == self.port and (name in self.names or (self.any_address and is_address(name)))


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def refuse_other_hosts(handler: web.RequestHandler) -> None:
    """400 for a malformed `Host`, 403 for one that is not this server (DNS rebinding)."""
    allowed: AllowedHosts = handler.settings["allowed_hosts"]
    verdict = allowed.allows(handler.request.headers.get("Host", ""))
    if not verdict:
        raise web.HTTPError(400 if verdict is None else 403)


def refuse_other_origins(handler: web.RequestHandler) -> None:
    """403 unless a browser says the request comes from one of this server's own pages.

    Browsers send `Origin` on every WebSocket handshake; a same-origin GET may carry only
    `Sec-Fetch-Site`. A request with neither is not known to come from our pages, so it is refused."""
    refuse_other_hosts(handler)
    headers = handler.request.headers
    origin = headers.get("Origin")
    if origin is not None:
        own = f"http://{headers.get('Host', '')}".lower()
        if origin.lower() != own:
            raise web.HTTPError(403)
    elif headers.get("Sec-Fetch-Site") not in ("same-origin", "none"):
        raise web.HTTPError(403)


class SiteHandler(web.FallbackHandler):
    """The WSGI app (the site), for requests addressed to this server only."""

    def prepare(self) -> None:
        refuse_other_hosts(self)
        super().prepare()


class ScriptHandler(LiveReloadJSHandler):  # type: ignore[misc]
    def prepare(self) -> None:
        refuse_other_hosts(self)


class ForceReload(ForceReloadHandler):  # type: ignore[misc]
    def prepare(self) -> None:
        refuse_other_origins(self)


class ReloadSocket(LiveReloadHandler):  # type: ignore[misc]
    """livereload's socket, for the server's own pages, closed on anything but its protocol."""

    def prepare(self) -> None:
        refuse_other_origins(self)

    def on_message(self, message: str | bytes) -> None:
        if is_protocol_message(message):
            super().on_message(message)
        else:
            self.close(1003, "expected a livereload JSON message")


def is_protocol_message(message: str | bytes) -> bool:
    """A JSON object with a string `command`, as livereload.js sends (text frames only)."""
    if not isinstance(message, str):
        return False
    try:
        decoded = json.loads(message)
    except ValueError:
        return False
    return isinstance(decoded, dict) and isinstance(decoded.get("command"), str)


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
        self._http = HTTPServer(self._application(AllowedHosts.serving(host, self.port)))
        self._http.add_sockets(self._sockets)
        return self.port

    def _application(self, allowed: AllowedHosts) -> web.Application:
        """livereload's handlers in front of our WSGI app, wrapped in its script injector."""
        wrapper = livereload.Server(app=self._app)
        LiveReloadHandler.watcher = wrapper.watcher  # read by reload_waiters' log line only
        LiveReloadHandler.live_css = True
        site = LiveScriptContainer(self._app, LIVE_SCRIPT.encode("utf-8"))
        handlers: list[tuple[str, Any] | tuple[str, Any, dict[str, Any]]] = [
            (r"/livereload", ReloadSocket),
            (r"/forcereload", ForceReload),
            (r"/livereload.js", ScriptHandler),
            (r".*", SiteHandler, {"fallback": site}),
        ]
        return web.Application(handlers=handlers, debug=False, allowed_hosts=allowed)

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
