"""The command line people meet: one help for every entry point, colour only where wanted, JSON
for programs, annotations under GitHub Actions, a progress line on slow builds."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from site_src.errors import Location, SiteError
from site_src.terminal import Progress, format_problems, wants_colour

from .conftest import REPO, run_cli, write_files

BROKEN = {
    "content/index.md": "---\ntitle: Home\n---\nSee [the guide](guide.md#nowhere).\n",
    "content/guide.md": "---\ntitle: Guide\n---\n## Somewhere\n",
}


def run_as(how: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    prefix = {
        "site-src": [str(Path(sys.executable).parent / "site-src")],
        "python -m site_src": [sys.executable, "-m", "site_src"],
        "build.py": [sys.executable, str(REPO / "build.py")],
    }[how]
    return subprocess.run(
        [*prefix, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_help_is_the_same_from_every_entry_point_and_names_its_caller(tmp_path: Path) -> None:
    helps = {}
    for how in ("site-src", "python -m site_src", "build.py"):
        result = run_as(how, tmp_path, "--help")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: {how} [-h]")
        helps[how] = result.stdout.replace(how, "PROG")
    # Usage lines wrap at a different place when the program's name is longer.
    assert len({" ".join(text.split()) for text in helps.values()}) == 1
    text = helps["site-src"]
    assert "build.py" not in run_as("site-src", tmp_path, "--help").stdout
    for command in ("build", "check", "deploy", "serve", "new", "init"):
        assert f"usage: PROG {command} " in text, f"{command}'s options are in the one help"
    for option in ("--base-url", "--strict", "--format", "--port", "--name", "--force"):
        assert option in text


def test_version_is_kept(tmp_path: Path) -> None:
    result = run_as("site-src", tmp_path, "--version")
    assert result.returncode == 0 and result.stdout.startswith("site_src ")


def test_json_format_is_one_document_with_every_problem(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", BROKEN)
    result = run_cli(root, "--format", "json")
    assert result.returncode == 1 and result.stderr == ""
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert problem == {
        "file": "content/index.md",
        "line": 4,
        "column": problem["column"],
        "severity": "error",
        "message": "broken link: guide.md#nowhere (no element with id 'nowhere' on /guide/)",
        "hint": problem["hint"],
    }
    assert problem["hint"]
    fixed = write_files(root, {"content/index.md": "---\ntitle: Home\n---\nHi\n"})
    checked = run_cli(fixed, "check", "--format", "json", "--base-url", "https://example.org/")
    assert json.loads(checked.stdout) == {
        "ok": True,
        "problems": [],
    }


def test_github_actions_get_annotations_on_the_file_and_line(tmp_path: Path) -> None:
    write_files(tmp_path / "docs", BROKEN)
    result = run_cli(tmp_path, "check", "--root", "docs", env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    (annotation,) = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotation.startswith("::error file=docs/content/index.md,line=4,col=")
    assert "%0A" in annotation, "the hint follows on its own line"
    assert "::error" not in run_cli(tmp_path, "check", "--root", "docs").stdout


def test_error_labels_are_coloured_only_when_wanted(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", BROKEN)
    plain = run_cli(root, env={"NO_COLOR": "", "FORCE_COLOR": ""})
    assert "\x1b[" not in plain.stderr, "piped output has no colour"
    forced = run_cli(root, env={"FORCE_COLOR": "1"})
    assert "\x1b[1;31merror:\x1b[0m broken link" in forced.stderr
    assert "\x1b[" not in run_cli(root, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stderr


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_colour_follows_the_terminal_and_the_environment() -> None:
    assert wants_colour(Terminal(), {}) and not wants_colour(io.StringIO(), {})
    assert not wants_colour(Terminal(), {"NO_COLOR": "1"})
    assert not wants_colour(Terminal(), {"TERM": "dumb"})
    assert wants_colour(io.StringIO(), {"FORCE_COLOR": "1"})
    warning = SiteError("odd", Location("a.md", 2), "do this", severity="warning")
    assert format_problems([warning], True) == (
        "a.md:2: \x1b[1;33mwarning:\x1b[0m odd\n  \x1b[36mhint:\x1b[0m do this"
    )


def test_a_slow_build_shows_a_progress_line_that_it_erases() -> None:
    quick, slow, piped = Terminal(), Terminal(), io.StringIO()
    with Progress(quick, delay=0.5):
        pass
    with Progress(slow, delay=0.05):
        time.sleep(0.3)
    with Progress(piped, delay=0.0):
        time.sleep(0.1)
    assert quick.getvalue() == "" and piped.getvalue() == ""
    assert slow.getvalue().startswith("\r\x1b[2KBuilding… 0 s")
    assert slow.getvalue().endswith("\r\x1b[2K")
