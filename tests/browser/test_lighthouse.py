"""The built-in theme scores 100 in Lighthouse's accessibility, best practices and SEO, on a phone
and on a desktop, for a new `init` project and for a bare folder of Markdown.

Lighthouse runs in Debian's Chromium against the sites served on 127.0.0.1 the way they will be
published: the starter as a GitHub project site with an absolute base_url (canonical URLs, sitemap),
the bare folder with no configuration at all (base_url "/", so no host to name). Every page of the
output is audited, so a page the theme gains is checked without editing this file. The 404 page is
audited for accessibility and best practices only: it tells search engines not to index it.

Lighthouse's waits for a quiet network and its screenshots are shortened (tests/support/
lighthouse.mjs): they serve performance scores, which a shared test machine cannot measure.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from site_src.init import create_project
from tests.conftest import write_files
from tests.support.pages_server import serve_like_github_pages
from tests.support.requirements import LIGHTHOUSE, require_chromium, require_node, require_npm_file
from tests.support.site_build import BASE_PATH, PUBLISHED_BASE_URL, build_or_fail, page_paths
from tests.test_theme import BARE

pytestmark = pytest.mark.browser

RUNNER = Path(__file__).resolve().parents[1] / "support" / "lighthouse.mjs"
CATEGORIES = ["accessibility", "best-practices", "seo"]
FORM_FACTORS = ["desktop", "mobile"]

# A page Lighthouse must mark down (no language, no title, an image without text, low contrast):
# proves the harness reads real scores and can fail.
CANARY = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="1" height="1">
<p style="color:#777;background:#888">low contrast</p></body></html>"""


def targets(base_url: str, site_dir: Path) -> list[dict[str, Any]]:
    """Every page with all three categories on both form factors, and the 404 page without SEO
    on a phone (its layout is the base template's, which every page checks on both)."""
    pages = [
        {"url": base_url + path, "categories": CATEGORIES, "formFactors": FORM_FACTORS}
        for path in page_paths(site_dir)
    ]
    not_found = {"url": base_url + "404.html", "categories": CATEGORIES[:2]}
    return [*pages, {**not_found, "formFactors": ["mobile"]}]


def run_lighthouse(audits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lighthouse's scores and failing audits for each target and form factor, in one Chromium."""
    chromium = require_chromium()
    node = require_node()
    require_npm_file(LIGHTHOUSE)
    request = json.dumps({"chromium": str(chromium), "targets": list(audits)})
    result = subprocess.run(
        [node, str(RUNNER)],
        input=request,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"Lighthouse failed:\n{result.stderr[-3000:]}"
    reports: list[dict[str, Any]] = json.loads(result.stdout)
    return reports


def shortfalls(reports: Sequence[dict[str, Any]]) -> list[str]:
    """One line per page and form factor that is not 100 in every category, naming what failed."""
    lines = []
    for report in reports:
        low = {name: score for name, score in report["scores"].items() if score != 100}
        if low:
            failed = "; ".join(f"{a['category']}: {a['title']}" for a in report["failing"])
            why = failed or " ".join(report["warnings"]) or "no score"
            lines.append(f"{report['url']} ({report['formFactor']}) {low}: {why}")
    return lines


@pytest.fixture(scope="module")
def starter_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`init`'s project, built for a GitHub project site and served under /REPO/."""
    folder = tmp_path_factory.mktemp("lighthouse-starter")
    create_project(folder / "project")
    site_dir = build_or_fail(folder / "_site", PUBLISHED_BASE_URL, folder / "project")
    with serve_like_github_pages(site_dir, BASE_PATH) as base_url:
        yield base_url, site_dir


@pytest.fixture(scope="module")
def bare_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A folder with only content/, built with no configuration and served at the root."""
    folder = tmp_path_factory.mktemp("lighthouse-bare")
    root = write_files(folder / "project", BARE)
    site_dir = build_or_fail(folder / "_site", None, root)
    with serve_like_github_pages(site_dir, "/") as base_url:
        yield base_url, site_dir


def test_every_page_of_a_new_project_scores_100(starter_site: tuple[str, Path]) -> None:
    base_url, site_dir = starter_site
    reports = run_lighthouse(targets(base_url, site_dir))
    assert len(reports) == 2 * len(page_paths(site_dir)) + 1
    assert not shortfalls(reports), "\n".join(shortfalls(reports))


def test_every_page_of_a_bare_folder_scores_100(
    bare_site: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, site_dir = bare_site
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "index.html").write_text(CANARY, encoding="utf-8")
    with serve_like_github_pages(canary, "/") as canary_url:
        check = {"url": canary_url, "categories": CATEGORIES, "formFactors": ["desktop"]}
        *reports, canary_report = run_lighthouse([*targets(base_url, site_dir), check])
    assert not shortfalls(reports), "\n".join(shortfalls(reports))
    failed = {audit["id"] for audit in canary_report["failing"]}
    expected = {
        "html-has-lang",
        "document-title",
        "image-alt",
        "color-contrast",
        "meta-description",
    }
    assert expected <= failed, canary_report
