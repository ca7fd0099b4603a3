"""The command line as a user runs it: a real subprocess of build.py in a real project folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import site_src
from site_src.cache import CACHE_FILE, OLD_CACHE_FILES, engine_digest

from .conftest import REPO, planted_pickle, run_cli

run = run_cli


def test_build_prints_one_summary_line(sample: Path) -> None:
    result = run(sample)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 4 pages, 2 assets (11 files) into _site/ in ")
    assert result.stdout.count("\n") == 1
    assert (sample / "_site" / "index.html").is_file()


def test_quiet_prints_nothing_on_success(sample: Path) -> None:
    result = run(sample, "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_help_lists_the_commands(sample: Path) -> None:
    result = run(sample, "--help")
    assert result.returncode == 0
    for word in ("build", "check", "deploy"):
        assert word in result.stdout


def test_base_url_from_the_command_line_and_the_environment(sample: Path) -> None:
    run(sample, "--base-url", "https://u.github.io/REPO/")
    assert 'href="/REPO/features/"' in (sample / "_site" / "index.html").read_text()
    run(sample, env={"SITE_BASE_URL": "https://u.github.io/OTHER/"})
    assert 'href="/OTHER/features/"' in (sample / "_site" / "index.html").read_text()
    run(sample, "--base-url", "/", env={"SITE_BASE_URL": "https://u.github.io/OTHER/"})
    assert 'href="/features/"' in (sample / "_site" / "index.html").read_text()


def test_errors_exit_non_zero_with_location_and_no_traceback(sample: Path) -> None:
    (sample / "content" / "features.md").write_text("---\ntitle: x\norder: soon\n---\n")
    result = run(sample)
    assert result.returncode == 1
    assert (
        "content/features.md:3:1: error: front matter 'order' must be a whole number"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (sample / "_site").exists()


def test_check_validates_without_writing(sample: Path) -> None:
    result = run(sample, "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Checked 4 pages")
    assert not (sample / "_site").exists()


def test_bad_config_value_is_reported_against_the_config_file(sample: Path) -> None:
    (sample / "site.yml").write_text("title: T\ndrafts: sometimes\n")
    result = run(sample)
    assert result.returncode == 1
    assert "site.yml:2:1: error: config key 'drafts' must be a true/false" in result.stderr


def test_worker_processes_can_import_the_entry_script_without_running_it() -> None:
    """forkserver and spawn workers import the main script as __mp_main__; it must not run then."""
    import runpy

    namespace = runpy.run_path(str(REPO / "build.py"), run_name="__mp_main__")
    assert callable(namespace["main"])


def test_verbose_says_what_a_build_rendered_and_changed(sample: Path) -> None:
    assert run(sample).returncode == 0
    with (sample / "content" / "index.md").open("a") as page:
        page.write("\nOne more line.\n")
    result = run(sample, "--verbose")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Base URL: https://example.github.io/sample/ (links start with /sample/)" in lines
    assert "Rendered 1 of 4 pages (the rest from the cache)." in lines
    assert "  rendered index.html" in lines
    assert "  changed index.html" in lines
    assert lines[-1].startswith("Built 4 pages")


def test_a_port_out_of_range_is_a_usage_error(sample: Path) -> None:
    result = run(sample, "serve", "--port", "99999")
    assert result.returncode == 2
    assert "'99999' is not a port number (0 to 65535)" in result.stderr


def test_a_failed_command_other_than_build_says_which_command_stopped(sample: Path) -> None:
    result = run(sample, "new", "Features")
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith("'new' stopped with 1 error(s).")
    assert "output folder" not in result.stderr


def test_version_answers_however_the_program_is_run(tmp_path: Path) -> None:
    expected = f"site_src {site_src.__version__}\n"
    entry_points = [
        [sys.executable, str(REPO / "build.py")],
        [sys.executable, "-m", "site_src"],
    ]
    console_script = shutil.which("site-src")
    if console_script:
        entry_points.append([console_script])
    for command in entry_points:
        for args in (["--version"], ["build", "--version"], ["serve", "--version"]):
            result = subprocess.run(
                [*command, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
            )
            assert (result.returncode, result.stdout) == (0, expected), (command, args)
    assert not any(tmp_path.iterdir()), "--version wrote nothing"


def test_a_planted_pickle_cache_runs_nothing(sample: Path, tmp_path: Path) -> None:
    """Earlier versions kept the cache as a pickle, which runs code when it is loaded."""
    marker = tmp_path / "ran"
    (sample / ".site_cache").mkdir()
    (sample / ".site_cache" / OLD_CACHE_FILES[0]).write_bytes(planted_pickle(marker))
    assert run(sample, "check").returncode == 0
    assert not marker.exists()
    assert run(sample).returncode == 0
    assert not marker.exists()
    saved = {p.name for p in (sample / ".site_cache").iterdir()}
    assert CACHE_FILE in saved and OLD_CACHE_FILES[0] not in saved


def test_verbose_says_why_the_saved_cache_was_not_used(sample: Path) -> None:
    assert run(sample).returncode == 0
    trusted = run(sample, "--verbose")
    assert trusted.returncode == 0 and "saved cache" not in trusted.stdout
    (sample / ".site_cache" / CACHE_FILE).write_text('{"format": ')
    result = run(sample, "--verbose")
    assert result.returncode == 0, result.stderr
    assert "The saved cache was not used: it was damaged.\nRendered 4 of 4 pages" in result.stdout


def test_cache_key_prints_the_engine_digest_a_saved_cache_must_match(tmp_path: Path) -> None:
    """What the Pages workflow keys its cache with: no project needed, nothing written."""
    result = run_cli(tmp_path, "cache-key")
    assert result.returncode == 0, result.stderr
    assert result.stdout == engine_digest() + "\n"
    assert not any(tmp_path.iterdir())
    project = tmp_path / "site"
    (project / "content").mkdir(parents=True)
    (project / "content" / "index.md").write_text("# Home\n")
    assert run_cli(project).returncode == 0
    saved = json.loads((project / ".site_cache" / CACHE_FILE).read_bytes())
    assert saved["engine"] == result.stdout.strip()
