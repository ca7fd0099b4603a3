"""`build.py deploy` against a real bare repository standing in for GitHub."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .test_cli import run


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def make_repo(sample: Path, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "-q", str(remote))
    git(sample, "init", "-q", "-b", "main")
    git(sample, "-c", "user.name=T", "-c", "user.email=t@e.org", "add", "-A")
    git(sample, "-c", "user.name=T", "-c", "user.email=t@e.org", "commit", "-qm", "init")
    git(sample, "remote", "add", "origin", str(remote))
    git(sample, "config", "user.name", "Site Publisher")
    git(sample, "config", "user.email", "publisher@example.org")
    return remote


def test_deploy_pushes_the_built_site_to_gh_pages(sample: Path, tmp_path: Path) -> None:
    remote = make_repo(sample, tmp_path)
    result = run(sample, "deploy", "--base-url", "https://u.github.io/sample/")
    assert result.returncode == 0, result.stderr
    assert "Published _site/ to the gh-pages branch." in result.stdout
    listed = set(git(remote, "ls-tree", "-r", "--name-only", "gh-pages").split())
    assert {"index.html", "features/index.html", ".nojekyll", "404.html", "sitemap.xml"} <= listed
    index = git(remote, "show", "gh-pages:index.html")
    assert 'href="/sample/features/"' in index
    assert git(remote, "branch").split() == ["gh-pages"]
    assert git(sample, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert len(git(sample, "log", "--oneline", "main").splitlines()) == 1


def test_second_deploy_replaces_the_site_and_keeps_history(sample: Path, tmp_path: Path) -> None:
    remote = make_repo(sample, tmp_path)
    assert run(sample, "deploy").returncode == 0
    (sample / "content" / "guide" / "setup.md").unlink()
    (sample / "content" / "index.md").write_text("---\ntitle: Home\n---\nNew text.\n")
    (sample / "content" / "guide" / "index.md").write_text("---\ntitle: Guide\n---\n")
    assert run(sample, "deploy").returncode == 0
    listed = set(git(remote, "ls-tree", "-r", "--name-only", "gh-pages").split())
    assert "guide/setup/index.html" not in listed
    assert "New text." in git(remote, "show", "gh-pages:index.html")
    assert len(git(remote, "log", "--oneline", "gh-pages").splitlines()) == 2


def test_deploy_outside_a_git_repository_is_a_clear_error(sample: Path) -> None:
    result = run(sample, "deploy")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"{sample}: error: deploy failed: the project folder is not in a git repository\n"
        "  hint: Run `git init` there" in result.stderr
    )
    assert_built_but_not_published(result.stderr)


def assert_built_but_not_published(stderr: str) -> None:
    assert stderr.rstrip().endswith(
        "Deploy failed; the new site is in _site/, but it was not published."
    )
    assert "the output folder was not changed" not in stderr
    assert "Traceback" not in stderr


def test_deploy_to_an_unknown_remote_names_the_remotes(sample: Path, tmp_path: Path) -> None:
    make_repo(sample, tmp_path)
    result = run(sample, "deploy", "--remote", "upstream")
    assert result.returncode == 1
    assert (
        f"{sample}: error: deploy failed: the repository has no remote named 'upstream' "
        "(its remotes: origin)\n  hint: Add it with `git remote add upstream URL`" in result.stderr
    )
    assert_built_but_not_published(result.stderr)
    assert (sample / "_site" / "index.html").is_file()


def test_a_push_refused_because_someone_else_deployed_says_how_to_catch_up(
    sample: Path, tmp_path: Path
) -> None:
    remote = make_repo(sample, tmp_path)
    colleague = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", str(remote), str(colleague))
    shutil.copytree(sample, colleague, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    git(colleague, "config", "user.name", "Colleague")
    git(colleague, "config", "user.email", "colleague@example.org")
    assert run(colleague, "deploy").returncode == 0
    result = run(sample, "deploy")
    assert result.returncode == 1
    assert (
        f"{remote}: error: deploy failed: 'origin' refused the gh-pages branch: it has commits "
        "this copy does not (someone else deployed since you last fetched)\n"
        "  hint: Run `git fetch origin gh-pages`, then deploy again" in result.stderr
    )
    assert_built_but_not_published(result.stderr)
    git(sample, "fetch", "-q", "origin", "gh-pages")
    again = run(sample, "deploy")
    assert again.returncode == 0, again.stderr
    authors = git(remote, "log", "--format=%an", "gh-pages").split("\n")
    assert authors[:2] == ["Site Publisher", "Colleague"]


def test_deploy_without_git_is_a_clear_error(sample: Path, tmp_path: Path) -> None:
    make_repo(sample, tmp_path)
    (tmp_path / "empty").mkdir()
    result = run(sample, "deploy", env={"PATH": str(tmp_path / "empty")})
    assert result.returncode == 1
    assert (
        f"{sample}: error: deploy failed: git is not installed (there is no `git` on the PATH)"
        in result.stderr
    )
    assert_built_but_not_published(result.stderr)
