"""Publishing to a gh-pages branch for people who serve GitHub Pages from a branch (ghp-import).

ghp-import commits the site; the checks before it and the push after it are ours, so that each
way a deploy can fail (no git, no repository, no such remote, a push refused) is a message
saying what to do, not git's output followed by a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import ghp_import

from .errors import Location, SiteError


def deploy(
    site_dir: Path,
    repo: Path,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str = "Publish the site",
    push: bool = True,
    cname: str | None = None,
) -> None:
    """Commit the built site as the whole content of `branch` and push it to `remote`."""
    if not (site_dir / "index.html").is_file():
        raise SiteError(
            f"{site_dir} holds no built site", hint="Run `python build.py` before deploying."
        )
    check_repository(repo, remote if push else None)
    previous = Path.cwd()
    os.chdir(repo)
    try:
        ghp_import.ghp_import(
            str(site_dir),
            mesg=message,
            remote=remote,
            branch=branch,
            push=False,
            nojekyll=True,
            cname=cname,
        )
    except (ghp_import.GhpError, OSError) as exc:
        detail = exc.message if isinstance(exc, ghp_import.GhpError) else exc.strerror or exc
        raise SiteError(
            f"deploy failed: could not commit the site to the {branch} branch: {detail}",
            Location(str(repo)),
            f"Check that `git status` works in {repo}.",
        ) from None
    finally:
        os.chdir(previous)
    if push:
        push_branch(repo, remote, branch)


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in `repo`, capturing its output (its messages are turned into ours)."""
    try:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    except OSError as exc:
        raise SiteError(
            f"deploy failed: cannot run git: {exc.strerror or exc}",
            Location(str(repo)),
            "Install git (e.g. `apt-get install git`) and make sure `git` is on the PATH.",
        ) from None


def check_repository(repo: Path, remote: str | None) -> None:
    """Refuse to deploy without git, outside a repository, or to a remote that does not exist."""
    where = Location(str(repo))
    if shutil.which("git") is None:
        raise SiteError(
            "deploy failed: git is not installed (there is no `git` on the PATH)",
            where,
            "Install git (e.g. `apt-get install git`) and make sure `git` is on the PATH.",
        )
    if git(repo, "rev-parse", "--git-dir").returncode != 0:
        raise SiteError(
            "deploy failed: the project folder is not in a git repository",
            where,
            "Run `git init` there and add your GitHub repository: `git remote add origin URL`.",
        )
    if remote is not None and git(repo, "remote", "get-url", remote).returncode != 0:
        known = ", ".join(git(repo, "remote").stdout.split()) or "none"
        raise SiteError(
            f"deploy failed: the repository has no remote named '{remote}' (its remotes: {known})",
            where,
            f"Add it with `git remote add {remote} URL`, or name another with --remote.",
        )


def push_branch(repo: Path, remote: str, branch: str) -> None:
    """Push the branch; a refusal because the remote moved on says how to catch up."""
    pushed = git(repo, "push", "--porcelain", remote, f"refs/heads/{branch}")
    if pushed.returncode == 0:
        return
    url = git(repo, "remote", "get-url", remote).stdout.strip() or remote
    if "(fetch first)" in pushed.stdout or "(non-fast-forward)" in pushed.stdout:
        raise SiteError(
            f"deploy failed: '{remote}' refused the {branch} branch: it has commits this copy "
            "does not (someone else deployed since you last fetched)",
            Location(url),
            f"Run `git fetch {remote} {branch}`, then deploy again: your site is then "
            "committed on top of theirs.",
        )
    lines = [line for line in pushed.stderr.splitlines() if line.strip()]
    detail = lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "no reason"
    raise SiteError(
        f"deploy failed: git could not push the {branch} branch to '{remote}': {detail}",
        Location(url),
        f"Check the remote's address and your access to it (`git push {remote} {branch}` "
        "shows git's own messages). The site is committed on your local branch.",
    )
