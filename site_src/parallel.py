"""Rendering pages on every core: Markdown, template and link scan for each page, written to disk.

Work goes to worker processes in chunks; each worker builds its Markdown parser and Jinja
environment once (the pool initializer) and returns only what the link checker needs (a
`PageScan`) and a record of the file it wrote, never the HTML, so the parent's memory stays flat
however large the site. Workers read each page's source themselves and check it against the hash
the parent planned with. Few pages render in this process: starting workers costs more.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, TypeVar

from .cache import FileRecord, digest_bytes
from .config import Config
from .content import decode, read_source_bytes
from .errors import Location, SiteError
from .links import PageScan, check_links, cross_page_refs, scan_html
from .markdown import make_markdown, render_markdown
from .model import Asset, Page
from .output import safe_target
from .render import SiteView, TemplateTimeout, make_environment, render_page

# Below this many pages to render, one process is as fast as starting workers (measured with
# bench/generate.py pages on 2 cores: at 12 pages one process wins, at 24 they are even, at 48
# two processes take a quarter less time).
PARALLEL_THRESHOLD = 24
T = TypeVar("T")
R = TypeVar("R")
CHUNKS_PER_WORKER = 8
MAX_CHUNK = 64


@dataclass(frozen=True, slots=True)
class RenderJob:
    """What every page of one build shares; sent to each worker once."""

    config: Config
    assets: Mapping[str, Asset]
    site: SiteView
    data: Mapping[str, Any]
    urls: Mapping[str, str]
    staging: Path | None
    files: frozenset[str]
    templates: Mapping[str, str]
    time_limit: float = 0


@dataclass(frozen=True, slots=True)
class PageTask:
    """One page to render: its parsed front matter (without text), source hash and cache key."""

    page: Page
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
        self.md = make_markdown(job.config.raw_html)
        self.env = make_environment(job.config, job.assets)

    def render(self, tasks: Sequence[PageTask]) -> list[PageResult]:
        results = []
        for task in tasks:
            results.append(self.render_one(task))
            if results[-1].stop:
                break
        return results

    def render_one(self, task: PageTask) -> PageResult:
        """Read, render, scan and (if building) write one page."""
        job, page = self.job, task.page
        try:
            page = with_text(page, read_source(job.config, page.source, task.source_digest))
            body, problems = render_markdown(self.md, page, job.urls, job.config.base_path)
            errors = [problem for problem in problems if problem.severity == "error"]
            warnings = tuple(problem for problem in problems if problem.severity == "warning")
            html = render_page(self.env, job.config, job.site, job.data, page, body, job.time_limit)
        except SiteError as error:
            stop = isinstance(error, TemplateTimeout)
            return PageResult(page.output_path, None, (error,), None, stop)
        scan = scan_html(html, page.url, page.source, body.links, body.unresolved)
        base_path = job.config.base_path
        root = job.config.root
        found = check_links(
            {page.output_path: scan}, job.files, base_path, job.templates, None, root
        )
        errors += [problem for problem in found if problem.severity == "error"]
        warnings += tuple(problem for problem in found if problem.severity == "warning")
        scan = replace(cross_page_refs(scan, job.files, base_path), warnings=warnings)
        if errors or job.staging is None:
            return PageResult(page.output_path, scan, tuple(errors), None)
        raw = html.encode("utf-8")
        target = safe_target(job.staging, page.output_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        info = os.stat(target)
        digest = hashlib.sha256(raw).hexdigest()
        record = FileRecord(task.key, digest, info.st_size, info.st_mtime_ns, info.st_ino)
        return PageResult(page.output_path, scan, (), record)


def read_source(config: Config, source: str, expected: str) -> str:
    """A page's text, as long as it is still the file the build was planned with."""
    raw = read_source_bytes(config, config.root / source, source)
    if digest_bytes(raw) != expected:
        raise SiteError(
            "the file changed while the site was being built",
            Location(source),
            "Build again once your editor has saved it.",
        )
    return decode(raw, source)


def with_text(page: Page, text: str) -> Page:
    """Put the text back into a page parsed earlier (same split as `content.parse_page`)."""
    markdown = "\n".join(text.split("\n")[page.body_line - 1 :])
    return replace(page, text=text, markdown=markdown)


def worker_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def render_all(job: RenderJob, tasks: Sequence[PageTask], processes: int) -> Iterator[PageResult]:
    """Render every task, in order, on `processes` processes (here, if that is faster)."""
    # The build's long-lived values (the site index, cached scans) are frozen out of the cyclic
    # garbage collector while pages render: Markdown makes many short-lived objects, and every
    # full collection would walk the whole site again (7-10% of a 10,000-page build). Frozen
    # before forking, they also stay shared with the workers instead of being copied.
    gc.freeze()
    try:
        if processes <= 1 or len(tasks) < PARALLEL_THRESHOLD:
            renderer = Renderer(job)
            for task in tasks:
                result = renderer.render_one(task)
                yield result
                if result.stop:
                    return
            return
        size = max(1, min(MAX_CHUNK, len(tasks) // (processes * CHUNKS_PER_WORKER)))
        chunks = [tasks[start : start + size] for start in range(0, len(tasks), size)]
        with ExitStack() as stack:
            pool = start_pool(stack, processes, _start_worker, (job,))
            for results in pool.imap(_render_chunk, chunks):
                yield from results
                if any(result.stop for result in results):
                    return  # leaving the pool stops the workers still rendering
    finally:
        gc.unfreeze()


def start_pool(
    stack: ExitStack,
    processes: int,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> Pool:
    """A process pool, closed with `stack`, whose workers ignore Ctrl-C.

    Ctrl-C reaches every process of the terminal's group; workers that took it would each print
    a traceback. It stays blocked while they start (so none can arrive before they ignore it),
    and the parent alone stops the build: leaving the pool terminates them."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        context = multiprocessing.get_context(start_method())
        initial = (initializer, *initargs)
        return stack.enter_context(context.Pool(processes, _start_quietly, initial))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _start_quietly(initializer: Callable[..., None] | None, *initargs: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if initializer is not None:
        initializer(*initargs)


def map_in_chunks(function: Callable[[T], R], items: Sequence[T], processes: int) -> list[R]:
    """`[function(item) for item in items]`, on `processes` processes when there are many items.

    `function` must pickle (a module-level function or a partial of one)."""
    if processes <= 1 or len(items) < PARALLEL_THRESHOLD * 4:
        return [function(item) for item in items]
    size = max(1, min(MAX_CHUNK * 4, len(items) // (processes * CHUNKS_PER_WORKER)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    with ExitStack() as stack:
        pool = start_pool(stack, processes, None, ())
        done = pool.imap(partial(_apply, function), chunks)
        return [result for chunk in done for result in chunk]


def _apply(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [function(item) for item in items]


def start_method() -> str:
    """Fork is fastest (nothing to re-import or pickle), but only safe with no other threads."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


# The one piece of module state: each worker process's own Renderer, set by the pool initializer
# in that process only (never in the parent), because a Pool can pass state no other way.
_WORKER: dict[str, Renderer] = {}


def _start_worker(job: RenderJob) -> None:
    _WORKER["renderer"] = Renderer(job)
    gc.freeze()


def _render_chunk(tasks: Sequence[PageTask]) -> list[PageResult]:
    return _WORKER["renderer"].render(tasks)
