"""Publishing to a gh-pages branch for people who serve GitHub Pages from a branch (ghp-import)."""

from __future__ import annotations

import os
from pathlib import Path

import ghp_import

from .errors import SiteError


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
    previous = Path.cwd()
    os.chdir(repo)
    try:
        ghp_import.ghp_import(
            str(site_dir),
            mesg=message,
            remote=remote,
            branch=branch,
            push=push,
            nojekyll=True,
            cname=cname,
        )
    except ghp_import.GhpError as exc:
        raise SiteError(
            f"deploy failed: {exc.message}",
            hint=f"Check that {repo} is a git repository with a remote named '{remote}'.",
        ) from None
    finally:
        os.chdir(previous)
