"""livereload's WebSocket protocol as the dev server drives it: a reload after each build, never
throttled, a stylesheet path for CSS-only edits; and binding to a port."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from site_src.errors import SiteError
from site_src.reload import bind_first_free

from .serving import ReloadListener, dev_server, wait_until


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
