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
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
from .config import Config
from .content import (
    claimed_outputs,
    content_folder_problem,
    decode,
    load_data,
    parse_page,
    read_source_bytes,
    read_templates,
)
from .errors import BuildFailed, Location, SiteError, located
from .links import check_links, cross_page_refs, scan_html
from .model import Asset, NavItem, Page, Source
from .output import (
    MARKER,
    MARKER_TEXT,
    collect_assets,
    commit,
    discard,
    open_staging,
    output_collisions,
    output_folder_problems,
    reserved_outputs,
    safe_target,
)
from .parallel import PageTask, RenderJob, map_in_chunks, render_all, worker_count
from .render import (
    SiteView,
    make_environment,
    make_site_view,
    render_404,
    render_ics,
    render_robots,
    render_sitemap,
)
from .theme import asset_source, theme_digest, with_theme_assets

# A source modified less than this long before a build is read again by the next build, even
# if its size and time stamp look the same (time stamps are only as fine as the kernel's clock).
SETTLED_NS = 2_000_000_000


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


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the build read, before any rendering."""

    parsed: dict[str, Parsed]
    pages: list[Page]
    nav: list[NavItem]
    data: dict[str, Any]
    assets: dict[str, Asset]
    templates: dict[str, str]
    site: SiteView
    digest: str


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
    """
    started = time.perf_counter()
    store = cache if cache is not None else BuildCache.load(config.cache_dir)
    errors: list[SiteError] = []
    # Load and parse: sources are hashed; front matter is parsed only where the hash is new.
    processes = processes or worker_count()
    inputs, warnings = load_inputs(config, store, errors, processes, edited)
    if strict:
        errors += warnings
    # Plan: keep every output file whose key and bytes on disk are what the cache recorded.
    plan = make_plan(config, store, inputs, write, trust_output=edited is not None)
    if plan.untouched and not errors:
        seconds = time.perf_counter() - started
        output = config.output_dir if write else None
        files = len(set(store.files) - {MARKER}) if write else 0
        return BuildResult(
            len(inputs.pages), len(inputs.assets), files, seconds, tuple(warnings), output
        )
    # Render the rest into a staging folder, check every link, and put the result in place.
    # Once an error is known the build has failed: keep checking, but write nothing.
    errors += output_folder_problems(config.output_dir, config.root)
    staging = open_staging(config.output_dir) if write and not errors else None
    try:
        new, count = make_outputs(config, store, inputs, plan, staging, processes, errors)
        if errors:
            raise BuildFailed(errors + ([] if strict else warnings))
        if staging is not None:
            publish(config.output_dir, store, new, staging, plan.exact)
    finally:
        if staging is not None and staging.exists():
            discard(staging)
    changed: list[str] = []
    if write:
        changed = changed_paths(store.files, new.files)
        store.replace(new)
        if cache is None:
            store.save(config.cache_dir)
    seconds = time.perf_counter() - started
    rendered = tuple(task.page.output_path for task in plan.tasks)
    output = config.output_dir if write else None
    return BuildResult(
        len(inputs.pages),
        len(inputs.assets),
        count,
        seconds,
        tuple(warnings),
        output,
        tuple(changed),
        rendered,
    )


# --- Load ----------------------------------------------------------------------------------


def load_inputs(
    config: Config,
    store: BuildCache,
    errors: list[SiteError],
    processes: int,
    edited: frozenset[Path] | None = None,
) -> tuple[Inputs, list[SiteError]]:
    """Read everything a build depends on; the site digest covers all of it but page texts."""
    parsed, problems = read_sources(config, store, processes, edited)
    errors += problems
    data, problems = load_data(config)
    errors += problems
    assets = with_theme_assets(collect_assets(config.static_dir, config.root))
    templates = read_templates(config)
    warnings = [warning for entry in parsed.values() for warning in entry.warnings]
    pages = [e.page for e in parsed.values() if config.drafts or not e.page.meta.draft]
    errors += check_unique_urls(pages, config)
    outputs = [(page.source, page.output_path) for page in pages]
    errors += output_collisions(outputs, assets.values(), reserved_outputs(config.calendar))
    nav, problems = resolve_nav(config, pages)
    errors += problems
    site = make_site_view(config, pages, nav)
    urls = {page.source: page.url for page in pages}
    digest = digest_of(
        engine_digest(),
        theme_digest(),
        repr(config),
        digest_texts(templates),
        digest_texts(data_files(config)),
        sorted((a.logical, a.digest) for a in assets.values()),
        site,
        urls,
    )
    return Inputs(parsed, pages, nav, data, assets, templates, site, digest), warnings


def read_sources(
    config: Config, store: BuildCache, processes: int, edited: frozenset[Path] | None = None
) -> tuple[dict[str, Parsed], list[SiteError]]:
    """Hash every .md file under the content folder; parse front matter the cache has not seen.

    Page texts are not kept (a worker reads its page again), so memory stays flat as sites grow.
    """
    content_root = config.content_dir.relative_to(config.root).as_posix()
    parsed: dict[str, Parsed] = {}
    problem = content_folder_problem(config)
    if problem is not None:
        return parsed, [problem]
    errors: list[SiteError] = []
    settled = time.time_ns() - SETTLED_NS
    pending: list[tuple[str, Parsed | None]] = []
    results: list[tuple[str, Parsed | SiteError | None]] = []
    reader = partial(read_pending, config, settled)
    names = markdown_files(config.content_dir, content_root)
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
        elif entry is not None:
            parsed[name] = entry
    return parsed, errors


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


def markdown_files(folder: Path, prefix: str) -> list[str]:
    """Paths (from the project root, sorted) of the .md files under `folder`, skipping dot-names.

    Sorted the way `sorted(folder.rglob("*.md"))` sorts them, without a Path object per file."""
    found: list[tuple[tuple[str, ...], str]] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(folder, ())]
    while stack:
        current, parts = stack.pop()
        for entry in os.scandir(current):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                stack.append((Path(entry.path), (*parts, entry.name)))
            elif entry.name.endswith(".md"):
                found.append(((*parts, entry.name), "/".join((prefix, *parts, entry.name))))
    return [name for _, name in sorted(found)]


def data_files(config: Config) -> dict[str, bytes]:
    """The data folder's files as bytes, for the site digest."""
    folder = config.data_dir
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def check_unique_urls(pages: Sequence[Page], config: Config) -> list[SiteError]:
    """Two sources may not claim the same URL."""
    seen: dict[str, Page] = {}
    errors = []
    for page in pages:
        other = seen.setdefault(page.url, page)
        if other is not page:
            line = page.meta.lines.get("slug", 1)
            text = (config.root / page.source).read_text(encoding="utf-8", errors="replace")
            errors.append(
                located(
                    f"two pages have the URL {page.url}: {other.source} and {page.source}",
                    page.source,
                    text,
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
    extras = extra_names(config)
    extras_kept = all(
        name in trusted and store.files[name].key == inputs.digest for name in extras
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


def extra_names(config: Config) -> list[str]:
    """The generated files besides pages and static assets."""
    names = ["404.html", "sitemap.xml", "robots.txt", ".nojekyll", MARKER]
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
    processes: int,
    errors: list[SiteError],
) -> tuple[BuildCache, int]:
    """Render the planned pages (in parallel), keep the rest, add generated files and assets,
    then check every link of the whole site against the whole site."""
    new = BuildCache(
        store.engine or engine_digest(), inputs.parsed, output_dir=str(config.output_dir)
    )
    urls = {page.source: page.url for page in inputs.pages}
    # Pages whose source failed to load still count as existing: one error each is enough.
    claimed = claimed_outputs(errors, config)
    files = frozenset(
        [*(page.output_path for page in inputs.pages), *extra_names(config), *claimed]
        + [asset.output for asset in inputs.assets.values()]
    )
    job = RenderJob(
        config, inputs.assets, inputs.site, inputs.data, urls, staging, files, inputs.templates
    )
    names: set[str] = set()
    for result in render_all(job, plan.tasks, processes):
        errors += result.errors
        names.add(result.output_path)
        if result.scan is not None:
            new.scans[result.output_path] = result.scan
        if result.record is not None:
            new.files[result.output_path] = result.record
    for out, record in plan.kept_pages.items():
        names.add(out)
        new.scans[out] = store.scans[out]
        keep(out, record, new.files)
    names |= make_extras(config, store, inputs, plan, staging, new, files, errors)
    names |= place_assets(config, inputs.assets, plan, staging, new)
    only = pages_to_check(config, store, new, plan, names)
    errors += check_links(new.scans, files | names, config.base_path, inputs.templates, only)
    return new, len(names - {MARKER})


def publish(out_dir: Path, store: BuildCache, new: BuildCache, staging: Path, exact: bool) -> None:
    """Put a successful build in place with one atomic rename, so readers never see a mix.

    Usually that swaps the staging folder in, after hard-linking every carried-over file into it.
    When the output folder is exactly as the cache recorded and only one file's bytes changed
    (the usual edit in a dev server), renaming that one file over the old one is just as atomic
    and spares relinking and deleting thousands of files; files rendered again with the same
    bytes are then left as they are."""
    written = [name for name, record in new.files.items() if store.files.get(name) is not record]
    changed = [
        n for n in written if n not in store.files or store.files[n].digest != new.files[n].digest
    ]
    if exact and len(changed) <= 1 and set(new.files) == set(store.files) | set(changed):
        for name in written:
            if name not in changed:
                new.files[name] = replace(store.files[name], key=new.files[name].key)
        for name in changed:
            target = safe_target(out_dir, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
        discard(staging)
        return
    for name, record in new.files.items():
        if store.files.get(name) is record:
            target = safe_target(staging, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(out_dir / name, target)
    commit(staging, out_dir)
    marker = new.files[MARKER]  # `commit` writes the marker again: record what it wrote
    new.files[MARKER] = record_of(out_dir / MARKER, marker.key, marker.digest)


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
    absolute = {config.base_path + task.page.url.lstrip("/") for task in plan.tasks}
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
) -> set[str]:
    """404, sitemap, robots, .nojekyll, CNAME and the calendar: kept, or made again together."""
    names = extra_names(config)
    if plan.extras_kept:
        new.scans["404.html"] = store.scans["404.html"]
        for name in names:
            keep(name, store.files[name], new.files)
        return set(names)
    env = make_environment(config, inputs.assets)
    contents: dict[str, str | bytes] = {}
    try:
        html = render_404(env, config, inputs.site, inputs.data)
        scan = scan_html(html, "/404.html", "templates/404.html")
        errors += check_links({"404.html": scan}, files, config.base_path, inputs.templates)
        new.scans["404.html"] = cross_page_refs(scan, files, config.base_path)
        contents["404.html"] = html
    except SiteError as error:
        errors.append(error)
    contents["sitemap.xml"] = render_sitemap(config, inputs.pages)
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
    for name, content in contents.items():
        raw = content.encode("utf-8") if isinstance(content, str) else content
        if staging is not None:
            target = safe_target(staging, name)
            target.write_bytes(raw)
            new.files[name] = record_of(target, inputs.digest, hashlib.sha256(raw).hexdigest())
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
