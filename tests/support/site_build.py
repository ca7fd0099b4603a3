"""Build the site through its real command line, as a user and CI do.

The quality checks test what ``python build.py`` writes, not what some internal function returns, so
a packaging or CLI mistake fails them too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from site_src.config import load_config
from tests.support.requirements import REPO

# A project site on GitHub Pages: every internal URL must start with /REPO/.
PUBLISHED_BASE_URL = "https://example.github.io/REPO/"
BASE_PATH = "/REPO/"

# Files GitHub Pages or crawlers use without a link from a page.
UNLINKED_FILES = frozenset(
    {"404.html", ".nojekyll", "robots.txt", "sitemap.xml", "CNAME", ".site_src-output"}
)


def project_root() -> Path:
    """The project the quality checks build: this repository, or ``$SITE_CHECK_ROOT``.

    The override lets the same checks run on another project folder (say a test project while the
    real site is being written) without editing the tests.
    """
    override = os.environ.get("SITE_CHECK_ROOT")
    return Path(override).resolve() if override else REPO


def build_site_cli(
    output_dir: Path, base_url: str | None = None, root: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python build.py --output DIR [--base-url URL] --quiet`` in ``root``; never raises.

    ``root`` is the project folder (the repository by default; a test project otherwise).
    """
    root = project_root() if root is None else root
    command = [sys.executable, str(REPO / "build.py"), "--output", str(output_dir), "--quiet"]
    if base_url is not None:
        command += ["--base-url", base_url]
    return subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=600, check=False
    )


def build_or_fail(output_dir: Path, base_url: str | None = None, root: Path | None = None) -> Path:
    """Build, or raise AssertionError carrying the build's own error messages."""
    result = build_site_cli(output_dir, base_url, root)
    assert result.returncode == 0, (
        f"python build.py failed with exit status {result.returncode}:\n"
        f"{result.stderr}{result.stdout}"
    )
    assert (output_dir / "index.html").is_file(), f"the build wrote no {output_dir}/index.html"
    return output_dir


SHOWCASE = Path(__file__).resolve().parent / "markdown-showcase.md"


def project_with_showcase(folder: Path) -> Path:
    """A copy of the project with one more page that uses every kind of Markdown the engine renders.

    The checks that run on every page (axe in light and dark, the HTML checker) then cover code
    colours, alerts, task lists, figures and images whether or not the site's own pages use
    them yet."""
    root = project_root()
    config = load_config(root, environ={})
    folder.mkdir(parents=True, exist_ok=True)
    if (root / config.source).is_file():  # a bare folder of content has no config file
        shutil.copy2(root / config.source, folder / config.source)
    for source in (config.content_dir, config.templates_dir, config.static_dir, config.data_dir):
        if source.is_dir():
            shutil.copytree(source, folder / source.relative_to(root))
    content = folder / config.content_dir.relative_to(root)
    shutil.copy2(SHOWCASE, content / SHOWCASE.name)
    # Its images, beside it as a page's own files are.
    shutil.copytree(SHOWCASE.with_suffix(""), content / SHOWCASE.stem)
    return folder


def html_files(site_dir: Path) -> list[Path]:
    """Every HTML file of a built site, sorted, so reports are stable."""
    return sorted(p for p in site_dir.rglob("*.html") if p.is_file())


def page_path(site_dir: Path, html_file: Path) -> str:
    """The URL path (below the base) at which a page is served: ``keynote/index.html`` -> ``keynote/``."""
    relative = html_file.relative_to(site_dir).as_posix()
    if relative == "index.html":
        return ""
    if relative.endswith("/index.html"):
        return relative[: -len("index.html")]
    return relative


def is_redirect(html_file: Path) -> bool:
    """Whether an HTML file is a redirect page left at a moved page's old URL (``aliases``)."""
    return '<meta http-equiv="refresh"' in html_file.read_text(encoding="utf-8", errors="replace")


def page_paths(site_dir: Path) -> list[str]:
    """The URL paths of the pages that are linked pages (every HTML file but ``404.html`` and
    redirect pages, which nothing links to and the sitemap leaves out)."""
    return [
        page_path(site_dir, f)
        for f in html_files(site_dir)
        if f.relative_to(site_dir).as_posix() != "404.html" and not is_redirect(f)
    ]


def redirect_paths(site_dir: Path) -> list[str]:
    """The URL paths of the redirect pages at moved pages' old URLs."""
    return [page_path(site_dir, f) for f in html_files(site_dir) if is_redirect(f)]
