"""`site-src serve`: the dev server, kept apart from the engine it drives.

    watcher.py      which source files changed (native events, debounced, editors' noise dropped)
    rebuilder.py    the rebuild loop: one build at a time into a private folder, never `_site/`
    wsgi_app.py     the WSGI app that serves the last good build, with the error overlay
    http_server.py  livereload's HTTP and WebSocket server, without its watcher and throttle
    search.py       the site search index, made when it is first asked for after a build
    devserver.py    wires them together and shuts them down in order on Ctrl-C

The engine never imports from here; this package calls `build_site` like any other caller.
"""

from .devserver import DevServer, Event, Listening, ServeOptions, serve
from .search import Indexed

__all__ = ["DevServer", "Event", "Indexed", "Listening", "ServeOptions", "serve"]
