"""The build, top to bottom: load -> parse front matter -> index the site (URLs, nav) -> plan
what the incremental cache lets us keep -> render the rest on every core -> generated files ->
check every link -> put the result in place. Each stage collects every problem it finds; the
build fails with all of them together, and a failed build never touches the output folder.

Rendering runs in worker processes (`parallel.py`) that write pages straight into a staging
folder and send back only what the link checker needs, so memory stays flat as sites grow.

Incremental builds (`cache.py`): an output file whose inputs hash to the key the cache recorded,
and whose bytes on disk are still the recorded ones, is not rendered again. A build that changes
nothing writes nothing. Otherwise unchanged files are hard-linked into the staging folder, which
replaces the output folder in one rename as in a full build (or, when exactly one file changed,
that file is renamed into place: just as atomic, and much cheaper for a dev server's edits).
Either way the output is byte-identical to a clean build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from .cache import (
    BuildCache,
    FileRecord,
    Parsed,
    changed_paths,
    digest_bytes,
    digest_of,
    digest_texts,
    engine_digest,
    page_key,
    record_of,
    trusted_files,
)
from .config import Config, absolute_base_problem
from .content import (
    content_folder_problem,
    decode,
    load_data,
    parse_page,
    probable_url,
    read_source_bytes,
    read_templates,
)
from .errors import BuildFailed, Location, SiteError, located
from .growth import Growth, full_bodies, plan_growth, render_growth
from .links import check_links, cross_page_refs, scan_html
from .model import Asset, NavItem, Page, Source, url_to_output_path
from .output import (
    MARKER,
    MARKER_TEXT,
    after_swap,
    collect_assets,
    commit,
    discard,
    open_staging,
    output_folder_problems,
    reserved_outputs,
    safe_target,
    write_failure,
)
from .parallel import PageTask, RenderJob, map_in_chunks, render_all, worker_count
from .paths import Sources, read_regular, source_files
from .render import (
    SiteView,
    has_sitemap,
    make_environment,
    make_site_view,
    render_404,
    render_ics,
    render_robots,
    render_sitemap,
)
from .theme import asset_source, with_theme_assets
from .urls import encode_url

# A source modified less than this long before a build is read again by the next build, even
# if its size and time stamp look the same (time stamps are only as fine as the kernel's clock).
SETTLED_NS = 2_000_000_000
# Seconds a template may spend on one page: far beyond any real page, short enough that an
# endless loop stops the build instead of hanging it.
PAGE_TIME_LIMIT = 10.0


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a successful build made: counts for the summary line, and what changed.

    `changed` lists output paths whose bytes differ from the previous output folder (added,
    removed or rewritten), so a dev server can tell a stylesheet-only change from a page change;
    `rendered` lists the pages rendered by this build (the rest were kept from the cache).
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


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the build read, before any rendering.

    `failed` maps each source that failed to load to its probable URL: the page exists, so links
    and nav entries naming it are not reported too (its own error is the one to fix)."""

    parsed: dict[str, Parsed]
    failed: dict[str, str]
    pages: list[Page]
    nav: list[NavItem]
    data: dict[str, Any]
    assets: dict[str, Asset]
    templates: dict[str, str]
    site: SiteView
    digest: str
    # Sites that grow (growth.py): the files it adds, and the key of the generated files (the
    # digest, plus the sources whose bodies a full feed carries).
    growth: Growth = field(default_factory=Growth)
    extras_digest: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """What this build must make, and which files of the current output it may keep."""

    tasks: list[PageTask]
    kept_pages: dict[str, FileRecord]
    extras_kept: bool
    kept_assets: dict[str, FileRecord]
    untouched: bool
    exact: bool


def build_site(
    config: Config,
    *,
    write: bool = True,
    strict: bool = False,
    cache: BuildCache | None = None,
    processes: int | None = None,
    edited: frozenset[Path] | None = None,
    time_limit: float = PAGE_TIME_LIMIT,
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
    """
    started = time.perf_counter()
    store = cache if cache is not None else BuildCache.load(config.cache_dir, config.root)
    errors: list[SiteError] = []
    # Load and parse: sources are hashed; front matter is parsed only where the hash is new.
    processes = processes or worker_count()
    inputs, warnings = load_inputs(config, store, errors, processes, edited)
    # Plan: keep every output file whose key and bytes on disk are what the cache recorded.
    plan = make_plan(config, store, inputs, write, trust_output=edited is not None)
    warnings += [w for out in sorted(plan.kept_pages) for w in store.scans[out].warnings]
    # About what a successful build publishes, so it is not repeated in a failure's report.
    published = [problem for problem in [absolute_base_problem(config)] if problem is not None]
    if strict:
        errors += warnings + published
    if plan.untouched and not errors:
        seconds = time.perf_counter() - started
        output = config.output_dir if write else None
        files = len(set(store.files) - {MARKER}) if write else 0
        return BuildResult(
            len(inputs.pages),
            len(inputs.assets),
            files,
            seconds,
            tuple(warnings + published),
            output,
        )
    # Render the rest into a staging folder, check every link, and put the result in place.
    # Once an error is known the build has failed: keep checking, but write nothing.
    errors += output_folder_problems(config.output_dir, config.root)
    staging = open_staging(config.output_dir) if write and not errors else None
    job = Job(processes, time_limit, None if cache is not None else config.cache_dir)
    new, count, late = finish(config, store, inputs, plan, staging, job, errors, warnings, strict)
    changed: list[str] = []
    if write:
        changed = changed_paths(store.files, new.files)
        store.replace(new)
    warnings += late
    seconds = time.perf_counter() - started
    rendered = tuple(task.page.output_path for task in plan.tasks)
    output = config.output_dir if write else None
    return BuildResult(
        len(inputs.pages),
        len(inputs.assets),
        count,
        seconds,
        tuple(warnings + published),
        output,
        tuple(changed),
        rendered,
        store.note,
    )


@dataclass(frozen=True, slots=True)
class Job:
    """How this build runs: render processes, the per-page time limit, and where to save the
    cache (None: the caller keeps it in memory)."""

    processes: int
    time_limit: float
    cache_dir: Path | None


def finish(
    config: Config,
    store: BuildCache,
    inputs: Inputs,
    plan: Plan,
    staging: Path | None,
    job: Job,
    errors: list[SiteError],
    warnings: list[SiteError],
    strict: bool,
) -> tuple[BuildCache, int, list[SiteError]]:
    """Render into the staging folder, check every link, and put the result in place; return the
    new cache, the file count and late warnings. A failed build removes its staging folder (and
    warns if it could not)."""
    late: list[SiteError] = []
    try:
        rendered_warnings: list[SiteError] = []
        new, count = make_outputs(
            config, store, inputs, plan, staging, job, errors, rendered_warnings
        )
        warnings += rendered_warnings
        if strict:
            errors += rendered_warnings
        if errors:
            raise BuildFailed(errors + ([] if strict else warnings))
        if staging is not None:
            late = publish(config.output_dir, store, new, staging, plan.exact, job.cache_dir)
    except BuildFailed as failed:
        left = discard(staging) if staging is not None else []
        raise BuildFailed([*failed.errors, *left]) from None
    except OSError as exc:
        left = discard(staging) if staging is not None else []
        problem = write_failure(exc, config.output_dir, staging)
        if problem is None:
            raise
        raise BuildFailed([problem, *left]) from None
    except BaseException:
        if staging is not None:
            discard(staging)
        raise
    return new, count, late


# --- Load ----------------------------------------------------------------------------------


def load_inputs(
    config: Config,
    store: BuildCache,
    errors: list[SiteError],
    processes: int,
    edited: frozenset[Path] | None = None,
) -> tuple[Inputs, list[SiteError]]:
    """Read everything a build depends on; the site digest covers all of it but page texts."""
    parsed, problems, failed_sources = read_sources(config, store, processes, edited)
    errors += problems
    failed = {name: probable_url(config, name) for name in failed_sources}
    data, problems = load_data(config)
    errors += problems
    own_assets, problems = collect_assets(config.static_dir, Sources.of(config))
    assets = with_theme_assets(own_assets)
    errors += problems
    templates, problems = read_templates(config)
    errors += problems
    warnings = [warning for entry in parsed.values() for warning in entry.warnings]
    pages = [e.page for e in parsed.values() if config.drafts or not e.page.meta.draft]
    errors += check_unique_urls(pages, config)
    errors += output_collisions(pages, assets.values(), config)
    nav, problems = resolve_nav(config, pages, failed)
    errors += problems
    # Sites that grow (growth.py): sections, list pages 2..n, feeds, redirect pages.
    growth, problems = plan_growth(config, pages, assets.values())
    errors += problems
    site = make_site_view(config, pages, nav, growth.sections)
    urls = {page.source: page.url for page in pages}
    digest = digest_of(
        engine_digest(),
        repr(config),
        digest_texts(templates),
        digest_texts(data_files(config)),
        sorted((a.logical, a.digest) for a in assets.values()),
        site,
        urls,
    )
    bodies = [(s, parsed[s].digest) for s in growth.full_sources]  # growth.py: full feeds
    extras_digest = digest_of(digest, bodies) if bodies else digest
    inputs = Inputs(parsed, failed, pages, nav, data, assets, templates, site, digest)
    return replace(inputs, growth=growth, extras_digest=extras_digest), warnings


def read_sources(
    config: Config, store: BuildCache, processes: int, edited: frozenset[Path] | None = None
) -> tuple[dict[str, Parsed], list[SiteError], list[str]]:
    """Hash every .md file under the content folder; parse front matter the cache has not seen.

    Page texts are not kept (a worker reads its page again), so memory stays flat as sites grow.
    Also returns the sources that failed to load.
    """
    content_root = config.content_dir.relative_to(config.root).as_posix()
    parsed: dict[str, Parsed] = {}
    problem = content_folder_problem(config)
    if problem is not None:
        return parsed, [problem], []
    failed: list[str] = []
    settled = time.time_ns() - SETTLED_NS
    pending: list[tuple[str, Parsed | None]] = []
    results: list[tuple[str, Parsed | SiteError | None]] = []
    reader = partial(read_pending, config, settled)
    names, errors = markdown_files(config, content_root)
    order = {name: index for index, name in enumerate(names)}
    for name in names:
        known = store.parsed.get(name)
        if known is None:
            pending.append((name, None))
        elif (edited is not None and config.root / name not in edited) or unchanged(
            config.root / name, known
        ):
            results.append((name, known))
        else:  # most likely the same bytes again: read and hash here, parse only if changed
            results.append((name, reader((name, known))))
    # Sources the cache has never seen are parsed on every core (YAML is slow: seconds at 10,000).
    results += zip([n for n, _ in pending], map_in_chunks(reader, pending, processes), strict=True)
    for name, entry in sorted(results, key=lambda item: order[item[0]]):
        if isinstance(entry, SiteError):
            errors.append(entry)
            failed.append(name)
        elif entry is not None:
            parsed[name] = entry
    return parsed, errors, failed


def unchanged(path: Path, known: Parsed) -> bool:
    """Whether `stat` proves a source is the one the cache parsed (see `Parsed`)."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return (known.size, known.mtime_ns) == (info.st_size, info.st_mtime_ns)


def read_pending(
    config: Config, settled: int, item: tuple[str, Parsed | None]
) -> Parsed | SiteError | None:
    """`read_source` for a worker process: a problem comes back as a value."""
    name, known = item
    try:
        return read_source(config, known, config.root / name, name, settled)
    except SiteError as error:
        return error


def read_source(
    config: Config, known: Parsed | None, path: Path, name: str, settled: int
) -> Parsed | None:
    """One source, parsed; the cached entry if `stat` or the hash says it has not changed.

    None for a folder named like a page. The checks of `content.find_sources` apply."""
    try:
        info = os.stat(path)
        if known is not None and (known.size, known.mtime_ns) == (info.st_size, info.st_mtime_ns):
            return known
        if stat.S_ISDIR(info.st_mode):
            return None
    except OSError:
        info = None  # a broken link, say: let the reader of content files report it
    raw = read_source_bytes(config, path, name)
    if info is None:
        info = os.stat(path)
    digest = digest_bytes(raw)
    mtime = info.st_mtime_ns if info.st_mtime_ns < settled and len(raw) == info.st_size else -1
    if known is not None and known.digest == digest:
        return replace(known, size=info.st_size, mtime_ns=mtime)
    content_root = config.content_dir.relative_to(config.root).as_posix()
    page, warnings = parse_page(Source(name, decode(raw, name)), content_root)
    light = replace(page, markdown="", text="")
    return Parsed(digest, light, tuple(warnings), info.st_size, mtime)


def markdown_files(config: Config, prefix: str) -> tuple[list[str], list[SiteError]]:
    """Paths (from the project root, sorted) of the .md files under the content folder, skipping
    dot-names; and the entries there that `paths` refuses (pipes, links out, loops)."""
    found, errors = source_files(config.content_dir, Sources.of(config))
    names = ["/".join((prefix, *parts)) for parts, _ in found if parts[-1].endswith(".md")]
    return names, errors


def data_files(config: Config) -> dict[str, bytes]:
    """The data folder's files as bytes, for the site digest (`load_data` reports refused ones)."""
    folder = config.data_dir
    if not folder.is_dir():
        return {}
    found, _refused = source_files(folder, Sources.of(config), recursive=False)
    files = {}
    for parts, file in found:
        try:
            files[parts[-1]] = read_regular(Path(file), file)
        except SiteError:
            continue
    return files


def check_unique_urls(pages: Sequence[Page], config: Config) -> list[SiteError]:
    """Two sources may not claim the same URL; the error names both, at the slug that did it."""
    seen: dict[str, Page] = {}
    errors = []
    for page in pages:
        other = seen.setdefault(page.url, page)
        if other is not page:
            culprit = other if other.meta.slug is not None and page.meta.slug is None else page
            rival = page if culprit is other else other
            message = f"two pages have the URL {page.url}: {other.source} and {page.source}"
            hint = "Rename one file or give it a different slug."
            if culprit.meta.slug is not None:
                hint = f"Choose another slug: {page.url} is taken by the page {rival.source}."
            errors.append(url_problem(config, culprit, message, hint, culprit.meta.slug))
    return errors


def output_collisions(
    pages: Sequence[Page], assets: Iterable[Asset], config: Config
) -> list[SiteError]:
    """Pages whose output file, or one of its folders, is already another output's file: a
    generated file, a static file, or another page's index.html (say, for `slug: index.html`).

    Without this check one would silently replace the other, or the write would fail half-way.
    """
    owners = reserved_outputs(config.calendar)
    owners.update({asset.output: f"static file {asset.logical}" for asset in assets})
    owners.update({page.output_path: f"page {page.source}" for page in pages})
    errors = []
    for page in pages:
        parts = page.output_path.split("/")
        folders = ["/".join(parts[:depth]) for depth in range(1, len(parts))]
        clash = next((folder for folder in folders if folder in owners), None)
        if clash is None:
            continue
        message = (
            f"this page would be written to {page.output_path}, which clashes with the "
            f"{owners[clash]}"
        )
        by_slug = page.meta.slug if clash == folders[-1] else None
        if by_slug is not None:
            hint = f"Choose another slug: {clash} is taken by the {owners[clash]}."
        else:
            hint = "Rename the page (or give it a slug), or rename the other file."
        errors.append(url_problem(config, page, message, hint, by_slug))
    return errors


def url_problem(config: Config, page: Page, message: str, hint: str, slug: str | None) -> SiteError:
    """An error about where a page lands: at its slug line when the slug put it there, else at
    the file, whose name did."""
    line = page.meta.lines.get("slug") if slug is not None else None
    if line is None:
        return SiteError(message, Location(page.source), hint)
    text = (config.root / page.source).read_text(encoding="utf-8", errors="replace")
    return located(message, page.source, text, line, 1, hint)


def resolve_nav(
    config: Config, pages: Sequence[Page], failed: Mapping[str, str]
) -> tuple[list[NavItem], list[SiteError]]:
    """Turn config nav entries into titles and URLs; a page that does not exist is an error.

    `failed` pages (source to probable URL) exist: their own error is enough."""
    content_root = config.content_dir.relative_to(config.root).as_posix()
    urls = {**failed, **{page.source: page.url for page in pages}}
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


# --- Plan ----------------------------------------------------------------------------------


def make_plan(
    config: Config, store: BuildCache, inputs: Inputs, write: bool, trust_output: bool = False
) -> Plan:
    """Split the outputs into files to make and files the current output folder already holds."""
    if write and trust_output and store.output_dir == str(config.output_dir):
        trusted, exact = set(store.files), True
    elif write:
        trusted, exact = trusted_files(store, config.output_dir)
    else:
        trusted, exact = set(store.files), False
    tasks, kept_pages = [], {}
    for page in inputs.pages:
        key = page_key(inputs.digest, inputs.parsed[page.source].digest)
        out = page.output_path
        old = store.files.get(out)
        if old is not None and old.key == key and out in trusted and out in store.scans:
            kept_pages[out] = old
        else:
            tasks.append(PageTask(page, inputs.parsed[page.source].digest, key))
    extras = extra_names(config, inputs.growth)
    extras_kept = all(
        name in trusted and store.files[name].key == inputs.extras_digest for name in extras
    ) and ("404.html" in store.scans)
    kept_assets = {
        a.output: store.files[a.output]
        for a in inputs.assets.values()
        if a.output in trusted and store.files[a.output].key == a.digest
    }
    expected = len(kept_pages) + len(extras) + len(kept_assets)
    untouched = (
        exact
        and not tasks
        and extras_kept
        and len(kept_assets) == len(inputs.assets)
        and expected == len(store.files)
    )
    return Plan(tasks, kept_pages, extras_kept, kept_assets, untouched, exact)


def extra_names(config: Config, growth: Growth | None = None) -> list[str]:
    """The generated files besides pages and static assets (with `growth`'s: list pages,
    feeds, redirect pages)."""
    names = ["404.html", "robots.txt", ".nojekyll", MARKER]
    names += growth.outputs if growth is not None else []
    if has_sitemap(config):
        names.append("sitemap.xml")
    if config.cname:
        names.append("CNAME")
    if config.calendar:
        names.append(f"{config.calendar}.ics")
    return names


# --- Render, link and check ----------------------------------------------------------------


def make_outputs(
    config: Config,
    store: BuildCache,
    inputs: Inputs,
    plan: Plan,
    staging: Path | None,
    job: Job,
    errors: list[SiteError],
    warnings: list[SiteError],
) -> tuple[BuildCache, int]:
    """Render the planned pages (in parallel), keep the rest, add generated files and assets,
    then check every link of the whole site against the whole site."""
    new = BuildCache(
        store.engine or engine_digest(),
        inputs.parsed,
        output_dir=str(config.output_dir),
        project=str(config.root),
    )
    # Pages whose source failed to load still count as existing: one error each is enough.
    urls = {**inputs.failed, **{page.source: page.url for page in inputs.pages}}
    claimed = [url_to_output_path(url) for url in inputs.failed.values()]
    files = frozenset(
        [
            *(page.output_path for page in inputs.pages),
            *extra_names(config, inputs.growth),
            *claimed,
        ]
        + [asset.output for asset in inputs.assets.values()]
    )
    render_job = RenderJob(
        config,
        inputs.assets,
        inputs.site,
        inputs.data,
        urls,
        staging,
        files,
        inputs.templates,
        job.time_limit,
    )
    names: set[str] = set()
    for result in render_all(render_job, plan.tasks, job.processes):
        errors += result.errors
        names.add(result.output_path)
        if result.scan is not None:
            new.scans[result.output_path] = result.scan
            warnings += result.scan.warnings
        if result.record is not None:
            new.files[result.output_path] = result.record
    for out, record in plan.kept_pages.items():
        names.add(out)
        new.scans[out] = store.scans[out]
        keep(out, record, new.files)
    names |= make_extras(config, store, inputs, plan, staging, new, files, errors, job.time_limit)
    names |= place_assets(config, inputs.assets, plan, staging, new)
    only = pages_to_check(config, store, new, plan, names)
    errors += check_links(new.scans, files | names, config.base_path, inputs.templates, only)
    return new, len(names - {MARKER})


def publish(
    out_dir: Path,
    store: BuildCache,
    new: BuildCache,
    staging: Path,
    exact: bool,
    cache_dir: Path | None,
) -> list[SiteError]:
    """Put a successful build in place with one atomic rename, so readers never see a mix.

    Usually that swaps the staging folder in, after hard-linking every carried-over file into it.
    When the output folder is exactly as the cache recorded and only one file's bytes changed
    (the usual edit in a dev server), renaming that one file over the old one is just as atomic
    and spares relinking and deleting thousands of files; files rendered again with the same
    bytes are then left as they are.
    Everything that can fail (links, the marker, saving the cache to `cache_dir`) happens before
    that rename, so an error can truthfully say the output folder was not changed; what comes
    after it only warns. Returns the warnings."""
    written = [name for name, record in new.files.items() if store.files.get(name) is not record]
    changed = [
        n for n in written if n not in store.files or store.files[n].digest != new.files[n].digest
    ]
    one_file = exact and len(changed) <= 1 and set(new.files) == set(store.files) | set(changed)
    if one_file:
        for name in written:
            if name not in changed:
                new.files[name] = replace(store.files[name], key=new.files[name].key)
    else:
        for name, record in new.files.items():
            if store.files.get(name) is record:
                target = safe_target(staging, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(out_dir / name, target)
    warnings = save_cache(new, cache_dir) if cache_dir is not None else []
    if not one_file:
        return warnings + commit(staging, out_dir)
    for name in changed:
        target = safe_target(out_dir, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target)
    return warnings + after_swap(out_dir, staging)


def save_cache(cache: BuildCache, folder: Path) -> list[SiteError]:
    """Save the cache of a build about to be swapped in; a failure is a warning, not an error.

    A cache that describes a site which then does not get swapped in is harmless: a build trusts
    a recorded file only while the output folder holds that very file (same inode and size)."""
    try:
        cache.save(folder)
    except OSError as exc:
        return [
            SiteError(
                f"could not save the build cache in {folder}/: {exc.strerror or exc}",
                hint="The site was built in full; the next build will redo work it could have "
                "kept. Check that the cache folder can be written to.",
                severity="warning",
            )
        ]
    return []


def pages_to_check(
    config: Config, store: BuildCache, new: BuildCache, plan: Plan, names: set[str]
) -> set[str] | None:
    """Which pages' links need checking (None: all). When the set of files is what the last
    successful build checked, a kept page's links can only break through the ids of a page
    rendered now, so only the rendered pages and kept pages with #links to them (or relative
    #links, which are not worth resolving here) are checked again."""
    if names != set(store.files) or not plan.kept_pages:
        return None
    rendered = {task.page.output_path for task in plan.tasks}
    if not plan.extras_kept:
        rendered.add("404.html")
    paths = [task.page.url.lstrip("/") for task in plan.tasks]
    absolute = {config.base_path + path for path in [*paths, *map(encode_url, paths)]}
    absolute.add(config.base_path + "404.html")
    for out in plan.kept_pages:
        for href, _line in new.scans[out].refs:
            base, hash_sign, _ = href.partition("#")
            if hash_sign and base and (base[:1] != "/" or base in absolute):
                rendered.add(out)
                break
    return rendered & set(new.scans)


def keep(name: str, record: FileRecord, files: dict[str, FileRecord]) -> None:
    """Carry an unchanged file over; `publish` links it into place if the folder is swapped."""
    files[name] = record


def make_extras(
    config: Config,
    store: BuildCache,
    inputs: Inputs,
    plan: Plan,
    staging: Path | None,
    new: BuildCache,
    files: frozenset[str],
    errors: list[SiteError],
    time_limit: float,
) -> set[str]:
    """404, sitemap, robots, .nojekyll, CNAME and the calendar: kept, or made again together."""
    names = extra_names(config, inputs.growth)
    if plan.extras_kept:
        new.scans["404.html"] = store.scans["404.html"]
        for name in names:
            if name in store.scans:  # growth.py's list and redirect pages
                new.scans[name] = store.scans[name]
            keep(name, store.files[name], new.files)
        return set(names)
    env = make_environment(config, inputs.assets)
    contents: dict[str, str | bytes] = {}
    try:
        html = render_404(env, config, inputs.site, inputs.data, time_limit)
        scan = scan_html(html, "/404.html", "templates/404.html")
        errors += check_links({"404.html": scan}, files, config.base_path, inputs.templates)
        new.scans["404.html"] = cross_page_refs(scan, files, config.base_path)
        contents["404.html"] = html
    except SiteError as error:
        errors.append(error)
    if has_sitemap(config):
        list_pages = ["/" + out.removesuffix("index.html") for out in inputs.growth.pagers]
        contents["sitemap.xml"] = render_sitemap(config, inputs.pages, list_pages)
    contents["robots.txt"] = render_robots(config)
    contents[".nojekyll"] = ""
    contents[MARKER] = MARKER_TEXT
    if config.cname:
        contents["CNAME"] = config.cname.strip() + "\n"
    if config.calendar:
        try:
            contents[f"{config.calendar}.ics"] = render_ics(
                config, inputs.data.get(config.calendar)
            )
        except SiteError as error:
            errors.append(error)
    # Sites that grow (growth.py): list pages 2..n, feeds and redirect pages.
    try:
        bodies = full_bodies(config, inputs.growth, inputs.pages)
        grown = render_growth(
            config,
            inputs.growth,
            env,
            inputs.site,
            inputs.data,
            inputs.pages,
            files,
            inputs.templates,
            time_limit,
            bodies,
        )
        contents.update(grown.contents)
        new.scans.update(grown.scans)
        errors += grown.errors
    except SiteError as error:
        errors.append(error)
    for name, content in contents.items():
        raw = content.encode("utf-8") if isinstance(content, str) else content
        if staging is not None:
            target = safe_target(staging, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
            digest = hashlib.sha256(raw).hexdigest()
            new.files[name] = record_of(target, inputs.extras_digest, digest)
    return set(names)


def place_assets(
    config: Config, assets: dict[str, Asset], plan: Plan, staging: Path | None, new: BuildCache
) -> set[str]:
    """Static files under their hashed names: linked if unchanged, copied otherwise."""
    for asset in assets.values():
        if asset.output in plan.kept_assets:
            keep(asset.output, plan.kept_assets[asset.output], new.files)
        elif staging is not None:
            target = safe_target(staging, asset.output)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(asset_source(config.static_dir, asset.logical), target)
            new.files[asset.output] = record_of(target, asset.digest, asset.digest)
    return {asset.output for asset in assets.values()}
