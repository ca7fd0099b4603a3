"""Rendering one page: read its text, Markdown, template, link scan, and write it to staging.

Work goes to worker processes (`parallel`); each builds its Markdown parser and Jinja environment
once and returns only what the link checker needs (a `PageScan`) and a record of the file it
wrote, never the HTML, so the parent's memory stays flat however large the site. Workers read each
page's source themselves and check it against the hash the parent planned with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import data_key, digest_bytes, record_of
from .config import Config
from .errors import SiteError, broken_links_as, project_path
from .files import SiteFiles
from .links import PageScan, check_page, cross_page_refs, scan_html
from .macros import expand_page, markdown_environment, recorders, uses_macros
from .markdown import Parsers, render_markdown
from .model import Asset, FileRecord, PageInfo, RenderedBody, SiteView, UrlMap
from .output import write_file
from .parallel import run_in_workers
from .render import TemplateTimeout, make_environment, page_view, render_page
from .sections import page_context
from .sources import read_page_text

BodyResult = tuple[RenderedBody, list[SiteError]]


@dataclass(frozen=True, slots=True)
class RenderJob:
    """What every page of one build shares; sent to each worker once.

    `urls`: the one page-to-URL map (every source, those that failed to load too); `files`: every
    path the output will hold, so links are checked as pages render; `inputs`: each data file's
    and config value's hash, for the key of a page that reads it (`cache.data_key`)."""

    config: Config
    assets: Mapping[str, Asset]
    site: SiteView
    data: Mapping[str, Any]
    urls: UrlMap
    staging: Path | None
    files: frozenset[str]
    templates: Mapping[str, str]
    time_limit: float = 0
    content_files: Mapping[str, Asset] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PageTask:
    """One page to render: its parsed front matter, source hash and cache key (before the data
    it reads, `cache.data_key`). Without its text: the worker reads the source again and checks
    it against `source_digest`."""

    page: PageInfo
    source_digest: str
    key: str


@dataclass(frozen=True, slots=True)
class PageResult:
    """What a rendered page leaves for the parent: errors, the written file, and the part of its
    link scan that needs other pages' ids (its other links are checked already). `stop`: its
    template ran out of time, so rendering the other pages would most likely take as long."""

    output_path: str
    scan: PageScan | None
    errors: tuple[SiteError, ...]
    record: FileRecord | None
    stop: bool = False


class Renderer:
    """Renders pages of one build; one per process, built once because parsers are costly."""

    def __init__(self, job: RenderJob) -> None:
        self.job = job
        self.parsers = Parsers(job.config.raw_html)
        self.env = make_environment(job.config, job.assets)
        self.files = site_files(job)
        self.md_env = markdown_environment(self.env)

    def body(
        self, info: PageInfo, text: str, site: SiteView, data: Mapping[str, Any]
    ) -> BodyResult:
        """A page's Markdown rendered, after its Jinja (`macros`) unless switched off."""
        job = self.job
        page = info.with_text(text)
        expanded = None
        if job.config.macros and info.meta.macros and uses_macros(page.markdown):
            view = page_view(info, None)
            view = replace(view, **page_context(job.site.sections, info.url, info.source))
            context = {"site": site, "page": view, "data": data}
            root = str(job.config.root)
            expanded = expand_page(
                self.parsers.full, self.md_env, self.env, page, context, root, job.time_limit
            )
            page = expanded.page
        body, problems = render_markdown(
            self.parsers, page, job.urls, job.config.base_path, self.files
        )
        return (expanded.restore(body) if expanded else body), problems

    def render_one(self, task: PageTask) -> PageResult:
        """Read, render, scan and (if building) write one page."""
        job, info = self.job, task.page
        site, data, reads = recorders(job.site, job.data)
        try:
            text = read_page_text(job.config, info.source, task.source_digest)
            body, problems = self.body(info, text, site, data)
            problems = broken_links_as(problems, job.config.broken_links)
            errors = [problem for problem in problems if problem.severity == "error"]
            warnings = tuple(problem for problem in problems if problem.severity == "warning")
            html = render_page(self.env, job.config, site, data, info, body, job.time_limit)
        except SiteError as error:
            stop = isinstance(error, TemplateTimeout)
            return PageResult(info.output_path, None, (error,), None, stop)
        scan = scan_html(html, info.url, info.source, body.links, body.unresolved)
        base_path = job.config.base_path
        found = check_page(
            info.output_path, scan, job.files, base_path, job.templates, job.config.root
        )
        found = broken_links_as(found, job.config.broken_links)
        errors += [problem for problem in found if problem.severity == "error"]
        warnings += tuple(problem for problem in found if problem.severity == "warning")
        scan = replace(cross_page_refs(scan, job.files, base_path), warnings=warnings)
        if errors or job.staging is None:
            return PageResult(info.output_path, scan, tuple(errors), None)
        raw = html.encode("utf-8")
        target = write_file(job.staging, info.output_path, raw)
        read = tuple(sorted(reads))
        record = record_of(target, data_key(task.key, read, job.inputs), digest_bytes(raw), read)
        return PageResult(info.output_path, scan, (), record)


def site_files(job: RenderJob) -> SiteFiles:
    """The files this build's Markdown can name (static and content files) and every output."""
    config = job.config
    return SiteFiles(
        job.assets,
        job.content_files,
        project_path(str(config.static_dir), str(config.root)),
        project_path(str(config.content_dir), str(config.root)),
        job.files,
    )


def page_renderer(job: RenderJob) -> Callable[[PageTask], PageResult]:
    """What each worker process renders pages with (module-level, so it pickles)."""
    return Renderer(job).render_one


def stops(result: PageResult) -> bool:
    return result.stop


def render_pages(job: RenderJob, tasks: Sequence[PageTask], processes: int) -> Iterator[PageResult]:
    """Render every task, in order, on `processes` processes; stop after a template timeout."""
    return run_in_workers(page_renderer, job, tasks, processes, stops)
