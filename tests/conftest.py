"""Shared fixtures, layered like the engine: a project folder on disk -> its config -> a build."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from site_src.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "sample-project"

MakeProject = Callable[[Mapping[str, str]], Path]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """Write a project's files (dedented), creating folders as needed."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


MINIMAL_TEMPLATES = {
    "templates/base.html": """\
        <!doctype html>
        <html lang="{{ page.lang or site.language }}"><head><meta charset="utf-8">
        <title>{{ page.title }}</title></head>
        <body><main>{% block main %}{% endblock %}</main></body></html>
        """,
    "templates/page.html": """\
        {% extends "base.html" %}
        {% block main %}{{ page.content }}{% endblock %}
        """,
    "templates/404.html": """\
        {% extends "base.html" %}
        {% block main %}<a href="{{ url('/') }}">Home</a>{% endblock %}
        """,
}


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """A function that writes a small project: minimal templates plus the given files."""

    def make(files: Mapping[str, str]) -> Path:
        root = tmp_path / "project"
        return write_files(root, {**MINIMAL_TEMPLATES, **files})

    return make


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A private copy of tests/sample-project."""
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    return root


def config_for(root: Path, **overrides: object) -> Config:
    """Load a project's config with no influence from the environment."""
    return load_config(root, environ={}, **overrides)  # type: ignore[arg-type]


def run_cli(
    root: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python build.py ARGS` in `root` as a user would, without SITE_BASE_URL leaking in."""
    environment = {k: v for k, v in os.environ.items() if k != "SITE_BASE_URL"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


class Payload:
    """An object whose unpickling runs a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


def planted_pickle(marker: Path) -> bytes:
    return pickle.dumps(Payload(f"touch '{marker}'"))
