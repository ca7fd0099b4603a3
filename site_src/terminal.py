"""How problems reach people and programs: coloured text on a terminal, one JSON document for
editors and scripts, workflow commands that GitHub Actions shows on a pull request's diff, and a
one-line progress note on slow builds.

Progress is a small line of our own rather than `rich`: the build has no stages to show yet, only
time passing, and a second terminal library would add a dependency for one line.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

from .errors import SiteError, format_text

COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "hint": "\x1b[36m"}
RESET = "\x1b[0m"
CLEAR_LINE = "\r\x1b[2K"


def wants_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour on terminals only; NO_COLOR (https://no-color.org) and FORCE_COLOR decide first."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    return stream.isatty() and environ.get("TERM") != "dumb"


def under_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def format_problems(problems: Sequence[SiteError], colour: bool) -> str:
    """`format_text`, with the severity and hint labels coloured when `colour`."""
    if not colour:
        return format_text(problems)
    blocks = []
    for problem in problems:
        text = format_text([problem])
        prefix = f"{problem.where}: " if problem.where else ""
        label = f"{COLOURS[problem.severity]}{problem.severity}:{RESET}"
        text = text.replace(f"{prefix}{problem.severity}:", f"{prefix}{label}", 1)
        text = text.replace("\n  hint: ", f"\n  {COLOURS['hint']}hint:{RESET} ", 1)
        blocks.append(text)
    return "\n\n".join(blocks)


def shown_path(path: str, root: Path, cwd: Path) -> str:
    """A problem's file as seen from where the command runs, so editors and GitHub find it;
    non-files (an option, an environment variable) stay as they are."""
    candidate = root / path
    if not candidate.exists():
        return path
    try:
        return Path(os.path.relpath(candidate, cwd)).as_posix()
    except ValueError:
        return str(candidate)


def problem_record(problem: SiteError, root: Path, cwd: Path) -> dict[str, object]:
    where = problem.where
    return {
        "file": shown_path(where.path, root, cwd) if where else None,
        "line": where.line if where else None,
        "column": where.column if where else None,
        "severity": problem.severity,
        "message": problem.message,
        "hint": problem.hint,
    }


def json_report(problems: Sequence[SiteError], ok: bool, root: Path, cwd: Path) -> str:
    """One JSON document: whether the command succeeded, and every problem it found."""
    records = [problem_record(problem, root, cwd) for problem in problems]
    return json.dumps({"ok": ok, "problems": records}, ensure_ascii=False, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def actions_annotations(problems: Sequence[SiteError], root: Path, cwd: Path) -> str:
    """`::error file=...,line=...,col=...::message` lines, one per problem, for GitHub Actions."""
    lines = []
    for problem in problems:
        record = problem_record(problem, root, cwd)
        names = (("file", "file"), ("line", "line"), ("col", "column"))
        props = [
            f"{name}={_escape_property(str(record[key]))}" for name, key in names if record[key]
        ]
        message = problem.message + (f"\n{problem.hint}" if problem.hint else "")
        if problem.where and not record["file"]:
            message = f"{problem.where}: {message}"
        head = f"::{problem.severity}" + (" " + ",".join(props) if props else "")
        lines.append(f"{head}::{_escape_data(message)}")
    return "\n".join(lines)


class Progress:
    """After `delay` seconds, a line on `stream` saying the build is still running, updated each
    second and erased at the end; nothing at all for quick builds or when `stream` is no terminal."""

    def __init__(
        self, stream: TextIO, *, enabled: bool = True, label: str = "Building", delay: float = 1.5
    ) -> None:
        self.stream, self.label, self.delay = stream, label, delay
        self.enabled = enabled and stream.isatty()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.monotonic()
        self._shown = False

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._shown:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()

    def _run(self) -> None:
        if self._done.wait(self.delay):
            return
        while True:
            seconds = time.monotonic() - self._started
            self.stream.write(f"{CLEAR_LINE}{self.label}… {seconds:.0f} s")
            self.stream.flush()
            self._shown = True
            if self._done.wait(1.0):
                return
