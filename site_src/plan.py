"""Planning an incremental build: which outputs to make, and which files of the current output
folder may be kept because their cache key and their bytes on disk are what the cache recorded.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from itertools import compress

from .artifacts import NOT_FOUND, generated_names, generated_pages
from .cache import BuildCache, data_key, page_key, trusted_files
from .config import Config
from .errors import SiteError, project_path
from .files import Placed, placed_files
from .index import Site, differing
from .links import PageScan
from .model import FileRecord
from .pages import PageTask
from .sources import Project
from .theme import asset_source
from .urls import encode_url


@dataclass(frozen=True, slots=True)
class Plan:
    """What this build must make, and which files of the current output it may keep.

    `untouched`: nothing to make and nothing to remove, so the build writes nothing; `exact`: the
    output folder holds exactly what the cache recorded; `kept_warnings`: the warnings the kept
    pages reported when they were rendered."""

    tasks: list[PageTask]
    kept_pages: dict[str, FileRecord]
    extras_kept: bool
    kept_assets: dict[str, FileRecord]
    untouched: bool
    exact: bool
    kept_warnings: tuple[SiteError, ...] = ()


def make_plan(
    config: Config,
    store: BuildCache,
    project: Project,
    site: Site,
    write: bool,
    trust_output: bool = False,
) -> Plan:
    """Split the outputs into files to make and files the current output folder already holds.

    When the site digest is the one the cache's files were recorded under (kept in memory by
    the dev server), a source the cache holds as it is, the very same entry, has the key its
    file was recorded with: thousands of unchanged pages cost a lookup each, not a hash."""
    trusted: Collection[str]
    if write and trust_output and store.output_dir == str(config.output_dir):
        trusted, exact = store.files, True
    elif write:
        trusted, exact = trusted_files(store, config.output_dir)
    else:
        trusted, exact = store.files, False
    last = store.index.site if store.index is not None else None
    same_site = last is not None and last.digest == site.digest and last.inputs == site.inputs
    outputs = site.outputs or tuple(page.output_path for page in site.pages)
    quick = same_site and trusted is store.files and quick_pages(store, project, site, outputs)
    tasks, kept_pages = quick or ([], {})
    for page, out in [] if quick else zip(site.pages, outputs, strict=True):
        entry = project.parsed[page.source]
        old = store.files.get(out)
        key = page_key(site.digest, entry.digest)
        kept = old is not None and old.key == data_key(key, old.reads, site.inputs)
        if old is not None and kept and out in trusted and out in store.scans:
            kept_pages[out] = old
        else:
            tasks.append(PageTask(page, entry.digest, key))
    # Generated files (sections' list pages, feeds and redirect pages too) share one key.
    extras = generated_names(config, site.growth)
    extras_kept = all(
        name in trusted and store.files[name].key == site.extras_digest for name in extras
    ) and all(name in store.scans for name in generated_pages(site.growth))
    placed = published_files(config, project)
    kept_assets = {
        item.output: store.files[item.output]
        for item in placed
        if item.output in trusted and store.files[item.output].key == item.key
    }
    expected = len(kept_pages) + len(extras) + len(kept_assets)
    untouched = (
        exact
        and not tasks
        and extras_kept
        and len(kept_assets) == len(placed)
        and expected == len(store.files)
    )
    warned = sorted(compress(kept_pages, map(WARNINGS, map(store.scans.__getitem__, kept_pages))))
    warnings = tuple(w for out in warned for w in store.scans[out].warnings)
    return Plan(tasks, kept_pages, extras_kept, kept_assets, untouched, exact, warnings)


WARNINGS = operator.attrgetter("warnings")


def quick_pages(
    store: BuildCache, project: Project, site: Site, outputs: tuple[str, ...]
) -> tuple[list[PageTask], dict[str, FileRecord]] | None:
    """`make_plan`'s split of the pages for a dev server's edit: the same sources as the cache's
    in the same order, under the site digest the cache's files were recorded with, so every
    page whose source entry is the cache's own is kept as it is, and only the others are
    rendered. Found at C speed rather than page by page; None when it does not apply. (The
    caller has checked that the digest and the values pages read one by one are the same.)"""
    if list(project.parsed) != list(store.parsed) or len(site.place) != len(site.pages):
        return None
    try:
        kept = dict(zip(outputs, map(store.files.__getitem__, outputs), strict=True))
    except KeyError:
        return None
    if not all(map(store.scans.__contains__, outputs)):
        return None
    entries = list(project.parsed.values())
    same = list(map(operator.is_, entries, store.parsed.values()))
    changed = {entries[at].page.source: entries[at] for at in differing(same)}
    tasks = []
    for number in sorted(site.place[source] for source in changed if source in site.place):
        page, out = site.pages[number], outputs[number]
        entry = changed[page.source]
        key = page_key(site.digest, entry.digest)
        if kept[out].key != data_key(key, kept[out].reads, site.inputs):
            del kept[out]
            tasks.append(PageTask(page, entry.digest, key))
    return tasks, kept


def pages_to_check(
    config: Config,
    store: BuildCache,
    scans: Mapping[str, PageScan],
    plan: Plan,
    names: set[str],
    generated: Mapping[str, tuple[str, str]] | None = None,
) -> set[str] | None:
    """Which pages' links need checking (None: all). When the set of files is what the last
    successful build checked, a kept page's links can only break through the ids of a page
    rendered now, so only the rendered pages and kept pages with #links to them (or relative
    #links, which are not worth resolving here) are checked again. `generated`: the generated
    HTML files (`artifacts.generated_pages`; the 404 page when not given)."""
    if names != store.files.keys() or not plan.kept_pages:
        return None
    generated = generated if generated is not None else {NOT_FOUND: ("/404.html", "")}
    rendered = {task.page.output_path for task in plan.tasks}
    if not plan.extras_kept:
        rendered.update(generated)
    paths = [task.page.url.lstrip("/") for task in plan.tasks]
    paths += [url.lstrip("/") for url, _origin in generated.values()]
    absolute = {config.base_path + path for path in [*paths, *map(encode_url, paths)]}
    for out in plan.kept_pages:
        for href, _line in scans[out].refs:
            base, hash_sign, _ = href.partition("#")
            if hash_sign and base and (base[:1] != "/" or base in absolute):
                rendered.add(out)
                break
    return rendered & set(scans)


def published_files(config: Config, project: Project) -> list[Placed]:
    """The static files, the content folder's other files, and the variants of large images."""
    static_dir = config.static_dir
    return placed_files(
        project.assets,
        project.files,
        lambda logical: asset_source(static_dir, logical),
        project_path(str(static_dir), str(config.root)),
        config.content_dir,
        project_path(str(config.content_dir), str(config.root)),
    )
