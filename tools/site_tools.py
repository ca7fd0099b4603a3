"""What the tools share with the tests: build the real site through its CLI and serve it locally.

The tools reuse the tests' GitHub-Pages-like server, so a screenshot or a Lighthouse score is taken
of the site exactly as the browser tests see it. Run the tools as modules from the repository root
(`python -m tools.lighthouse`), so `tests.support` imports as the package it is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.support.pages_server import PagesServer
from tests.support.requirements import CHROMIUM, CHROMIUM_ARGS, REPO
from tests.support.site_build import build_site_cli, page_paths

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "REPO", "built_and_served", "page_paths"]


@contextmanager
def built_and_served(base_path: str = "/") -> Iterator[tuple[Path, str]]:
    """Build the site into a temporary folder and serve it on loopback; yield (folder, base URL).

    Exits with the build's own messages when the build fails, since nothing else can follow.
    """
    with TemporaryDirectory(prefix="site-tool-") as tmp:
        site_dir = Path(tmp) / "_site"
        base_url = f"http://127.0.0.1{base_path}" if base_path != "/" else None
        result = build_site_cli(site_dir, base_url)
        if result.returncode != 0:
            sys.exit(f"python build.py failed:\n{result.stderr}{result.stdout}")
        with PagesServer(site_dir, base_path) as server:
            yield site_dir, server.base_url
