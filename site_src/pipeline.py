"""The build, top to bottom, one line per stage in `build_site`:

    read    sources.read_project    every file the build depends on (front matter parsed once)
    index   index.index_site        published pages, the page-to-URL map, nav, the `site` view
    plan    plan.make_plan          what the incremental cache lets the build keep
    render  render_site             pages on every core, the generated files, the static files,
                                    then every link of the whole site checked against the site
    publish output.publish          the staging folder swapped in with one atomic rename (with
                                    `search: true`, after the search index is written into it)

Each stage takes values and returns values and its problems; the build fails with all of them
together, and a failed build never touches the output folder.

Incremental builds (`cache.py`): an output file whose inputs hash to the key the cache recorded,
and whose bytes on disk are still the recorded ones, is not rendered again. A build that changes
nothing writes nothing. Otherwise unchanged files are hard-linked into the staging folder, which
replaces the output folder in one rename as in a full build (or, when exactly one file changed,
that file is renamed into place: just as atomic, and much cheaper for a dev server's edits).
Either way the output is byte-identical to a clean build.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

from .artifacts import generated_names, generated_pages, render_artifacts
from .cache import (
    BuildCache,
    changed_paths,
    digest_bytes,
    engine_digest,
    record_of,
    verified_output,
)
from .config import Config, absolute_base_problem
from .errors import BROKEN_LINK, BuildFailed, Location, SiteError, broken_links_as
from .files import Placed, make_variant
from .index import Site, index_site
from .links import PageScan, check_links_by_page, check_page, cross_page_refs, scan_html
from .model import FileRecord, url_to_output_path
from .output import (
    MARKER,
    copy_file,
    open_staging,
    output_folder_problems,
    publish,
    removed_on_failure,
    save_cache,
    write_file,
)
from .pages import RenderJob, render_pages
from .parallel import worker_count
from .plan import Plan, make_plan, pages_to_check, published_files
from .search import Searchable, collision_problem, missing_problem, searchable, write_index
from .sources import Project, read_project

# Seconds a template may spend on one page: far beyond any real page, short enough that an
# endless loop stops the build instead of hanging it.
PAGE_TIME_LIMIT = 10.0


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a successful build made: counts for the summary line, and what changed.

    `changed` lists output paths whose bytes differ from the previous output folder (added,
    removed or rewritten), so a dev server can tell a stylesheet-only change from a page change;
    `rendered` lists the pages rendered by this build (the rest were kept from the cache);
    `searchable` the pages a search index covers (none when search is off).
    """

    pages: int
    assets: int
    files: int
    seconds: float
    warnings: tuple[SiteError, ...]
    output_dir: Path | None
    changed: tuple[str, ...] = ()
    rendered: tuple[str, ...] = ()
    cache_note: str = ""
    searchable: tuple[Searchable, ...] = ()


def build_site(
    config: Config,
    *,
    write: bool = True,
    strict: bool = False,
    cache: BuildCache | None = None,
    processes: int | None = None,
    edited: frozenset[Path] | None = None,
    time_limit: float = PAGE_TIME_LIMIT,
    search_index: bool = True,
) -> BuildResult:
    """Build the site; raise BuildFailed listing every error, leaving the output untouched.

    `cache`: pass a `BuildCache` to keep it in memory between builds (a dev server; it is
    updated in place after each successful build and never saved unless you call `save`);
    leave it out to use the cache saved in `config.cache_dir`, which this call loads and saves.
    `processes`: how many processes render pages (default: every core this process may use).
    `write=False` checks everything and writes nothing (neither output nor cache).
    `edited`: for a caller that watches the files and owns the output folder (the dev server),
    every path changed since the cache's last successful build. Sources outside it are taken
    from the cache without a `stat`, and the output folder is trusted to hold what the cache
    recorded, so a one-page edit costs no walk over every file. None checks everything.
    `time_limit`: seconds a template may take to render one page before the build stops with an
    error at the template line it was running (an endless loop would otherwise hang the build).
    `search_index=False` leaves out the search index of a site with `search: true` (the dev
    server makes it on demand instead; `BuildResult.searchable` says what it covers).
    """
    started = time.perf_counter()
    loaded = cache if cache is not None else BuildCache.load(config.cache_dir, config.root)
    store = verified_output(loaded, config.output_dir) if write and edited is None else loaded
    processes = processes or worker_count()
    project, read_errors = read_project(config, store, processes, edited)
    site, site_errors, indexed = index_site(config, project, store.index)
    plan = make_plan(config, store, project, site, write, trust_output=edited is not None)
    warnings = [*project.warnings, *plan.kept_warnings]
    # About what a successful build publishes, so it is not repeated in a failure's report.
    published = [problem for problem in [absolute_base_problem(config)] if problem is not None]
    errors = read_errors + site_errors + (warnings + published if strict else [])
    found = searchable(config, site.pages)
    if plan.untouched and not errors:
        files = len(set(store.files) - {MARKER}) if write else 0
        seconds, output = time.perf_counter() - started, config.output_dir if write else None
        if store is not loaded:  # nothing to make, but the records were brought up to date
            warnings += keep_verified(
                loaded, store, project, config.cache_dir if cache is None else None
            )
        notes = tuple(warnings + stored_link_warnings(store, site) + published)
        return BuildResult(
            len(site.pages), len(project.assets), files, seconds, notes, output, searchable=found
        )
    errors += output_folder_problems(config.output_dir, config.root)
    errors += [p for p in [missing_problem(config)] if p is not None]
    staging = open_staging(config.output_dir) if write and not errors else None
    job = render_job(config, project, site, staging, time_limit)
    errors += [p for p in [collision_problem(config, job.files)] if p is not None]
    late: list[SiteError] = []
    with removed_on_failure(staging, config.output_dir):
        made = render_site(job, store, project, site, plan, processes)
        warnings += made.warnings
        errors += made.errors + (made.warnings if strict else [])
        if errors:
            raise BuildFailed(errors + ([] if strict else warnings))
        new = made.cache
        if staging is not None:
            saved_in = None if cache is not None else config.cache_dir
            index = index_hook(config, found) if search_index else None
            new, late = publish(config.output_dir, store, new, staging, plan.exact, saved_in, index)
    changed = changed_paths(store.files, new.files) if write else []
    if write:
        loaded.replace(new)
        loaded.index = indexed
    return BuildResult(
        len(site.pages),
        len(project.assets),
        made.count,
        time.perf_counter() - started,
        tuple(warnings + late + published),
        config.output_dir if write else None,
        tuple(changed),
        tuple(task.page.output_path for task in plan.tasks),
        loaded.note,
        found,
    )


def keep_verified(
    loaded: BuildCache, verified: BuildCache, project: Project, cache_dir: Path | None
) -> list[SiteError]:
    """Take over a cache whose output records `verified_output` brought up to date (and the
    sources' new stats), saving it if it came from `cache_dir`, so the next build need not hash
    the same files again."""
    loaded.replace(replace(verified, parsed=project.parsed))
    return save_cache(loaded, cache_dir) if cache_dir is not None else []


def index_hook(config: Config, pages: tuple[Searchable, ...]) -> Callable[[Path], None] | None:
    """What writes the search index into the staging folder before it is swapped in (None
    when search is off, so nothing of Pagefind is imported or run)."""
    if not config.search:
        return None

    def index(folder: Path) -> None:
        try:
            write_index(folder, pages, config.language)
        except SiteError as error:
            raise BuildFailed([error]) from None

    return index


def render_job(
    config: Config, project: Project, site: Site, staging: Path | None, time_limit: float
) -> RenderJob:
    """What every page of this build shares; `files` is every path the output will hold (and
    the pages that failed to load, which exist: one error each is enough)."""
    claimed = [url_to_output_path(url) for url in project.failed.values()]
    generated = generated_names(config, site.growth)
    outputs = site.outputs or tuple(page.output_path for page in site.pages)
    files = frozenset(
        [*outputs, *generated, *claimed]
        + [placed.output for placed in published_files(config, project)]
    )
    return RenderJob(
        config,
        project.assets,
        site.view,
        project.data,
        site.urls,
        staging,
        files,
        project.templates,
        time_limit,
        project.files,
        site.inputs,
    )


@dataclass(frozen=True, slots=True)
class Made:
    """What the render stage made: the cache that describes it, how many files the site has,
    and the problems found (warnings apart, so `strict` can promote them)."""

    cache: BuildCache
    count: int
    errors: list[SiteError]
    warnings: list[SiteError]


def render_site(
    job: RenderJob, store: BuildCache, project: Project, site: Site, plan: Plan, processes: int
) -> Made:
    """Render the planned pages (in parallel), keep the rest, add generated files and assets,
    then check every link of the whole site against the whole site."""
    errors: list[SiteError] = []
    warnings: list[SiteError] = []
    files: dict[str, FileRecord] = {}
    scans: dict[str, PageScan] = {}
    names: set[str] = set(plan.kept_pages)
    for result in render_pages(job, plan.tasks, processes):
        errors += result.errors
        names.add(result.output_path)
        if result.scan is not None:
            scans[result.output_path] = result.scan
            warnings += result.scan.warnings
        if result.record is not None:
            files[result.output_path] = result.record
    files.update(plan.kept_pages)
    scans.update({out: store.scans[out] for out in plan.kept_pages})
    records, generated_scans, problems = render_generated(job, store, project, site, plan)
    files.update(records)
    scans.update(generated_scans)
    errors += [problem for problem in problems if problem.severity == "error"]
    warnings += [problem for problem in problems if problem.severity == "warning"]
    placed = published_files(job.config, project)
    records, problems = place_assets(job, plan, placed)
    files.update(records)
    errors += problems
    names |= {*generated_names(job.config, site.growth), *(item.output for item in placed)}
    generated = generated_pages(site.growth)
    only = pages_to_check(job.config, store, scans, plan, names, generated)
    config = job.config
    checked = check_links_by_page(
        scans, job.files | names, config.base_path, job.templates, only, config.root
    )
    for out, found in checked.items():
        found = broken_links_as(found, config.broken_links)
        errors += [problem for problem in found if problem.severity == "error"]
        linked = tuple(problem for problem in found if problem.severity == "warning")
        if linked or scans[out].linked:
            scans[out] = replace(scans[out], linked=linked)
    warnings += chain.from_iterable(map(LINKED, scans.values()))
    new = BuildCache(
        store.engine or engine_digest(),
        project.parsed,
        files,
        scans,
        output_dir=str(job.config.output_dir),
        project=str(job.config.root),
        data=project.parsed_data,
    )
    return Made(new, len(names - {MARKER}), errors, warnings)


LINKED = operator.attrgetter("linked")


def render_generated(
    job: RenderJob, store: BuildCache, project: Project, site: Site, plan: Plan
) -> tuple[dict[str, FileRecord], dict[str, PageScan], list[SiteError]]:
    """404, sitemap, robots, .nojekyll, CNAME, the calendar, the marker and the sections' list
    pages, feeds and redirect pages: kept, or made again together (`artifacts`) and written
    under `site.extras_digest`; with the link scans of the HTML ones, and the problems."""
    config = job.config
    pages = generated_pages(site.growth)
    if plan.extras_kept:
        kept = {name: store.files[name] for name in generated_names(config, site.growth)}
        return kept, {name: store.scans[name] for name in pages}, generated_warnings(store, site)
    digests = {source: project.parsed[source].digest for source in site.growth.full_sources}
    outputs, errors = render_artifacts(job, site.growth, site.pages, digests)
    records, scans = {}, {}
    for output in outputs:
        if output.path in pages:
            url, origin = pages[output.path]
            scan = scan_html(output.content.decode("utf-8"), url, origin)
            found = check_page(output.path, scan, job.files, config.base_path, job.templates)
            found = broken_links_as(found, config.broken_links)
            errors += [problem for problem in found if problem.severity == "error"]
            # Broken links a generated page is published with, kept with it for later builds.
            broken = tuple(p for p in found if p.code == BROKEN_LINK and p.severity == "warning")
            errors += broken
            scan = cross_page_refs(scan, job.files, config.base_path)
            scans[output.path] = replace(scan, warnings=broken)
        if job.staging is not None:
            target = write_file(job.staging, output.path, output.content)
            key = site.extras_digest
            records[output.path] = record_of(target, key, digest_bytes(output.content))
    return records, scans, errors


def stored_link_warnings(store: BuildCache, site: Site) -> list[SiteError]:
    """The broken links a build that makes nothing still reports (beyond its kept pages' own
    warnings): those of the generated pages, and every page's #links into other pages."""
    return generated_warnings(store, site) + [
        w for scan in store.scans.values() for w in scan.linked
    ]


def generated_warnings(store: BuildCache, site: Site) -> list[SiteError]:
    """The warnings (broken links under `broken_links: warn`) the generated pages were
    published with, as the cache kept them."""
    pages = generated_pages(site.growth)
    return [
        warning for name in pages if name in store.scans for warning in store.scans[name].warnings
    ]


def place_assets(
    job: RenderJob, plan: Plan, placed: list[Placed]
) -> tuple[dict[str, FileRecord], list[SiteError]]:
    """Static files under their hashed names, content files at their own path and variants of
    large images: kept if unchanged (`publish` links them into place), copied otherwise (a
    variant from the cache folder, where it is made the first time it is needed)."""
    records: dict[str, FileRecord] = {}
    errors: list[SiteError] = []
    for item in placed:
        if item.output in plan.kept_assets:
            records[item.output] = plan.kept_assets[item.output]
            continue
        if job.staging is None:
            continue
        source = item.source
        if item.width:
            try:
                source = make_variant(source, item.asset, item.width, job.config.cache_dir)
            except (OSError, ValueError) as exc:
                hint = "Open the image in an editor and export it again."
                message = f"this image cannot be resized: {exc}"
                errors.append(SiteError(message, Location(item.origin), hint))
                continue
        target = copy_file(job.staging, item.output, source)
        digest = item.key if item.width else item.asset.digest
        records[item.output] = record_of(target, item.key, digest)
    return records, errors
