"""`init`: the new project builds at once, passes the site checks, and never lands on someone's
files; the wheel carries the theme and the starter, and works from a folder of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from site_src.init import PLACEHOLDER_REQUIREMENT, create_project, starter_files
from site_src.pipeline import build_site
from tests.support.requirements import require_chromium, require_java

from .conftest import REPO, config_for, run_cli


def test_the_new_project_builds_with_every_feature_it_shows(tmp_path: Path) -> None:
    made = create_project(tmp_path / "my-site")
    root = tmp_path / "my-site"
    assert {".gitignore", ".github/workflows/pages.yml", "README.md", "site.yml"} <= set(made)
    assert 'title: "My site"' in (root / "site.yml").read_text()
    assert (root / "site.yml").read_text().count("\n#") >= 5, "site.yml explains its keys"
    build_site(config_for(root), processes=1)
    home = (root / "_site/index.html").read_text()
    assert 'href="/guide/#a-code-block"' in home
    assert "<td><code>content/</code></td>" in home, "the table comes from data/features.yml"
    assert '<img src="/img/pipeline.' in home and 'loading="lazy"' in home
    guide = (root / "_site/guide/index.html").read_text()
    assert '<pre class="highlight"' in guide and '<nav class="toc"' in guide


def test_the_workflow_builds_with_the_pages_url_from_requirements(tmp_path: Path) -> None:
    create_project(tmp_path / "site")
    workflow = (tmp_path / "site/.github/workflows/pages.yml").read_text()
    assert "pip install -r requirements.txt" in workflow
    assert 'site-src build --base-url "${{ steps.pages.outputs.base_url }}/"' in workflow
    requirements = (tmp_path / "site/requirements.txt").read_text()
    assert requirements.splitlines()[-1].startswith("site_src @ git+")


def test_a_git_installed_site_src_names_its_own_commit(tmp_path: Path) -> None:
    files = {f.path: f.content for f in starter_files("T", "site_src @ git+https://x/y.git@abc")}
    assert files["requirements.txt"].decode().endswith("site_src @ git+https://x/y.git@abc\n")
    assert PLACEHOLDER_REQUIREMENT.startswith("site_src @ git+")


def test_init_refuses_a_folder_that_is_not_empty_and_names_what_is_in_it(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site/notes.txt").write_text("mine")
    result = run_cli(tmp_path, "init", "site")
    assert result.returncode == 1
    assert "site is not empty: notes.txt would be in the way" in result.stderr
    assert "--force" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["notes.txt"]
    forced = run_cli(tmp_path, "init", "site", "--force", "--title", "Notes")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "site/notes.txt").read_text() == "mine"
    assert 'title: "Notes"' in (tmp_path / "site/site.yml").read_text()


def test_init_then_build_from_the_command_line(tmp_path: Path) -> None:
    created = run_cli(tmp_path, "init", "new-site")
    assert created.returncode == 0, created.stderr
    assert "cd new-site" in created.stdout and "build.py serve" in created.stdout
    built = run_cli(tmp_path / "new-site")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built 2 pages, 3 assets")


@pytest.mark.slow
def test_the_wheel_carries_the_theme_and_runs_outside_the_repository(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."]
    made = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    if made.returncode != 0 and "connection" in (made.stdout + made.stderr).lower():
        pytest.skip(f"pip could not fetch the build backend:\n{made.stderr[-500:]}")
    assert made.returncode == 0, made.stderr
    (wheel,) = tmp_path.glob("site_src-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("theme/templates/base.html", "theme/static/css/site.css", "starter/gitignore"):
        assert f"site_src/{name}" in names
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q"]
    installed = subprocess.run([*pip, str(wheel)], capture_output=True, text=True, timeout=300)
    if "no such option: --python" in installed.stderr:
        pytest.skip("this pip cannot install into another environment")
    assert installed.returncode == 0, installed.stderr
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SITE_BASE_URL")}
    script = env_dir / "bin" / "site-src"
    for args, cwd in ((["init", "away"], tmp_path), ([], tmp_path / "away")):
        result = subprocess.run(
            [str(script), *args], cwd=cwd, capture_output=True, text=True, env=clean, timeout=300
        )
        assert result.returncode == 0, result.stderr
    located = subprocess.run(
        [str(python), "-c", "import site_src; print(site_src.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean,
    )
    assert str(env_dir) in located.stdout, "the command ran the installed wheel, not the repository"
    assert (tmp_path / "away/_site/css").is_dir()


CHECKS = ["tests/test_html_validity.py", "tests/browser/test_accessibility.py"]
CHECKS += ["tests/test_reachability.py"]


@pytest.mark.slow
@pytest.mark.java
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["init", "bare"])
def test_the_site_checks_pass_on_a_new_project_and_a_bare_folder(tmp_path: Path, kind: str) -> None:
    """The flagship's bar (Nu Html Checker, axe light and dark, 360 px, every link) applied to the
    theme, through the same test files with SITE_CHECK_ROOT pointing at the other project."""
    require_java(), require_chromium()
    root = tmp_path / "project"
    if kind == "init":
        create_project(root)
    else:
        (root / "content").mkdir(parents=True)
        (root / "content/index.md").write_text("---\ntitle: Home\n---\nHello.\n")
    env = {**os.environ, "SITE_CHECK_ROOT": str(root)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CHECKS]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout, result.stdout[-800:]
