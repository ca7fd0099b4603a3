"""The build, top to bottom: load config -> load content -> render Markdown -> resolve links ->
render templates -> write output. Each stage collects every problem it finds; the build fails
with all of them together, before the output folder is touched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .content import claimed_outputs, find_sources, load_data, parse_page, read_templates
from .errors import BuildFailed, Location, SiteError, located
from .links import PageScan, check_links, scan_html
from .markdown import make_markdown, render_markdown
from .model import Asset, NavItem, Page, RenderedBody, Source
from .output import (
    collect_assets,
    commit,
    copy_assets,
    discard,
    open_staging,
    output_collisions,
    output_folder_problems,
    reserved_outputs,
    write_file,
)
from .render import (
    make_environment,
    make_site_view,
    render_404,
    render_ics,
    render_page,
    render_robots,
    render_sitemap,
)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a successful build made, for the summary line."""

    pages: int
    assets: int
    files: int
    seconds: float
    warnings: tuple[SiteError, ...]
    output_dir: Path | None


def build_site(config: Config, *, write: bool = True, strict: bool = False) -> BuildResult:
    """Build the whole site; raise BuildFailed listing every error, leaving the output untouched."""
    started = time.perf_counter()
    errors: list[SiteError] = []
    # Load: content, data files, static assets, template sources.
    sources, problems = find_sources(config)
    errors += problems
    data, problems = load_data(config)
    errors += problems
    assets = collect_assets(config.static_dir, config.root)
    templates = read_templates(config)
    # Parse front matter, choose pages, resolve URLs and navigation.
    pages, warnings, problems = parse_pages(sources, config)
    errors += problems + check_unique_urls(pages, config)
    outputs = [(page.source, page.output_path) for page in pages]
    errors += output_collisions(outputs, assets.values(), reserved_outputs(config.calendar))
    nav, problems = resolve_nav(config, pages)
    errors += problems
    # Markdown, with links to .md sources turned into URLs.
    md = make_markdown(config.raw_html)
    urls = {page.source: page.url for page in pages}
    bodies: list[RenderedBody] = []
    for page in pages:
        body, problems = render_markdown(md, page, urls, config.base_path)
        bodies.append(body)
        errors += problems
    if strict:
        errors += warnings
    # Templates and generated files, written to a staging folder and checked as a whole.
    errors += output_folder_problems(config.output_dir, config.root)
    # Once an error is known the build has failed: keep checking, but write nothing.
    staging = open_staging(config.output_dir) if write and not errors else None
    try:
        files, scans = write_outputs(config, staging, pages, bodies, nav, data, assets, errors)
        claimed = {p.output_path for p in pages} | claimed_outputs(errors, config)
        errors += check_links(scans, frozenset(files | claimed), config.base_path, templates)
        if errors:
            raise BuildFailed(errors + ([] if strict else warnings))
        if staging is not None:
            commit(staging, config.output_dir)
    finally:
        if staging is not None and staging.exists():
            discard(staging)
    seconds = time.perf_counter() - started
    output_dir = config.output_dir if write else None
    return BuildResult(len(pages), len(assets), len(files), seconds, tuple(warnings), output_dir)


def parse_pages(
    sources: Iterable[Source], config: Config
) -> tuple[list[Page], list[SiteError], list[SiteError]]:
    """Parse every source; drop drafts unless asked for them."""
    content_root = config.content_dir.relative_to(config.root).as_posix()
    pages, warnings, errors = [], [], []
    for source in sources:
        try:
            page, found = parse_page(source, content_root)
        except SiteError as error:
            errors.append(error)
            continue
        warnings += found
        if config.drafts or not page.meta.draft:
            pages.append(page)
    return pages, warnings, errors


def check_unique_urls(pages: Sequence[Page], config: Config) -> list[SiteError]:
    """Two sources may not claim the same URL."""
    seen: dict[str, Page] = {}
    errors = []
    for page in pages:
        other = seen.setdefault(page.url, page)
        if other is not page:
            line = page.meta.lines.get("slug", 1)
            errors.append(
                located(
                    f"two pages have the URL {page.url}: {other.source} and {page.source}",
                    page.source,
                    page.text,
                    line,
                    1,
                    "Rename one file or give it a different slug.",
                )
            )
    return errors


def resolve_nav(config: Config, pages: Sequence[Page]) -> tuple[list[NavItem], list[SiteError]]:
    """Turn config nav entries into titles and URLs; a page that does not exist is an error."""
    content_root = config.content_dir.relative_to(config.root).as_posix()
    urls = {page.source: page.url for page in pages}
    items, errors = [], []
    for entry in config.nav:
        if entry.url is not None:
            items.append(NavItem(entry.title, entry.url))
            continue
        source = f"{content_root}/{entry.page}"
        if source not in urls:
            errors.append(
                SiteError(
                    f"nav entry '{entry.title}' names {entry.page}, which is not a page",
                    Location(config.source, entry.line),
                    f"Create {source}, or fix the name (pages are paths under {content_root}/).",
                )
            )
            continue
        items.append(NavItem(entry.title, urls[source]))
    return items, errors


def write_outputs(
    config: Config,
    staging: Path | None,
    pages: Sequence[Page],
    bodies: Sequence[RenderedBody],
    nav: Sequence[NavItem],
    data: dict[str, Any],
    assets: dict[str, Asset],
    errors: list[SiteError],
) -> tuple[set[str], dict[str, PageScan]]:
    """Render every output file, write it (unless checking only) and scan HTML for the link check."""
    env = make_environment(config, assets)
    site = make_site_view(config, pages, nav)
    files: set[str] = {asset.output for asset in assets.values()}
    scans: dict[str, PageScan] = {}

    def emit(path: str, content: str | bytes) -> None:
        files.add(path)
        if staging is not None:
            write_file(staging, path, content)

    for page, body in zip(pages, bodies, strict=True):
        files.add(
            page.output_path
        )  # it exists even if its template fails: no follow-on link errors
        try:
            html = render_page(env, config, site, data, page, body)
        except SiteError as error:
            errors.append(error)
            continue
        scans[page.output_path] = scan_html(
            html, page.url, page.source, body.links, body.unresolved
        )
        emit(page.output_path, html)
    try:
        html = render_404(env, config, site, data)
        scans["404.html"] = scan_html(html, "/404.html", "templates/404.html")
        emit("404.html", html)
    except SiteError as error:
        errors.append(error)
    emit("sitemap.xml", render_sitemap(config, pages))
    emit("robots.txt", render_robots(config))
    emit(".nojekyll", "")
    if config.cname:
        emit("CNAME", config.cname.strip() + "\n")
    if config.calendar:
        try:
            emit(f"{config.calendar}.ics", render_ics(config, data.get(config.calendar)))
        except SiteError as error:
            errors.append(error)
    if staging is not None:
        copy_assets(staging, config.static_dir, assets)
    return files, scans
