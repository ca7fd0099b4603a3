"""Every kind of bad input, each a project folder in tests/bad_inputs/<case>/ with the exact error text.

Each case is built the way a user builds it, through the command line's `main` run in the project
folder (in this process: a subprocess per case would cost most of this file's time; a few cases
also run `python build.py` as a real subprocess): exit status 1, no traceback, and stderr equal to
the case's expected.txt (which names file:line:column). `check` must report exactly the same. The minimal templates of conftest are laid under each case, so a
case holds only the files that matter to it; `NAME.latin1` files become NAME encoded in Latin-1.

Regenerate after an intended change of wording:  python -m pytest tests/test_bad_inputs.py --update-golden
(then read the diff: every message must still name the right file and line).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from contextlib import chdir, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from site_src.cli import main

from .conftest import MINIMAL_TEMPLATES, run_cli, write_files

CASES = Path(__file__).resolve().parent / "bad_inputs"
EXPECTED = "expected.txt"
# A case file named NAME.latin1 is written as NAME in Latin-1 (the repository keeps only UTF-8 text).
LATIN1 = ".latin1"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def project_for(case: str, tmp_path: Path) -> Path:
    """A copy of the case on top of the minimal templates, in its own folder."""
    root = write_files(tmp_path / "project", MINIMAL_TEMPLATES)
    source = CASES / case
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.relative_to(source).as_posix() != EXPECTED:
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == LATIN1:
                text = path.read_text(encoding="utf-8")
                target.with_suffix("").parent.mkdir(parents=True, exist_ok=True)
                target.with_suffix("").write_bytes(text.encode("latin-1"))
            else:
                shutil.copyfile(path, target)
    return root


@dataclass(frozen=True)
class Run:
    """What a command printed and returned, as `subprocess.CompletedProcess` has it."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def no_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SITE_BASE_URL", raising=False)
    yield


def build(root: Path, *args: str) -> Run:
    """`python build.py ARGS` in `root`, in this process: the `main` that build.py calls."""
    out, err = io.StringIO(), io.StringIO()
    with chdir(root), redirect_stdout(out), redirect_stderr(err):
        status = main(list(args))
    return Run(status, out.getvalue(), err.getvalue())


# Run through the real entry point too: the script, a fresh interpreter, real stdout and stderr.
SUBPROCESS_CASES = ("many-errors-sorted", "not-utf-8", "template-recursion")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", case_names())
def test_bad_input_fails_with_its_located_message(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root = project_for(case, tmp_path)
    before = snapshot(root)
    result = build(root)
    expected_file = CASES / case / EXPECTED
    if request.config.getoption("--update-golden"):
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr == expected_file.read_text(encoding="utf-8")
    first = result.stderr.splitlines()[0]
    assert ": error: " in first or ": warning: " in first or first.startswith("error: ")
    assert snapshot(root) == before, "a failed build changed the project"
    assert not any(p.name.startswith((".", "_site")) for p in root.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_the_entry_script_prints_the_same_in_its_own_process(case: str, tmp_path: Path) -> None:
    root = project_for(case, tmp_path)
    result = run_cli(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == (CASES / case / EXPECTED).read_text(encoding="utf-8")


@pytest.mark.parametrize("case", case_names())
def test_check_reports_the_same_problems_as_build(case: str, tmp_path: Path) -> None:
    root = project_for(case, tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(["check", "--root", str(root)])
    assert status == 1
    problems, _, closing = (CASES / case / EXPECTED).read_text(encoding="utf-8").rpartition("\n\n")
    count = closing.split(" with ")[1].split(" ")[0]
    assert err.getvalue() == f"{problems}\n\nCheck found {count} error(s); nothing was written.\n"
    assert not (root / "_site").exists()


def test_warnings_are_printed_when_the_build_succeeds(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "project",
        {
            **MINIMAL_TEMPLATES,
            "content/index.md": "---\ntitle: Home\ndescripton: typo\n---\n",
            "content/a.md": "---\ntitle: A\ncolour: red\n---\n",
        },
    )
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "content/index.md:3:1: warning: unknown front matter key 'descripton': did you mean "
        "'description'?\n"
        "  2 | title: Home\n"
        "> 3 | descripton: typo\n"
        "    | ^\n"
        "  4 | ---\n"
        "  hint: Rename it to 'description'. (Templates still see it as "
        "page.meta['descripton'].)\n\n"
        "site.yml: warning: base_url '/' has no host, so canonical and Open Graph URLs are "
        "relative and no sitemap.xml is written\n"
        "  hint: Set base_url in site.yml to where the site is published, or pass "
        "--base-url https://USER.github.io/REPO/\n\n"
    )
    assert result.stdout.startswith("Built 2 pages") and "2 warning(s)" in result.stdout
    strict = build(root, "--strict")
    assert strict.returncode == 1 and "Build failed with 2 error(s)" in strict.stderr
