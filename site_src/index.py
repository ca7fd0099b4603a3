"""Indexing the site: which pages are published, the one page-to-URL map, the nav, the section
tree and the files it adds (`growth`), the `site` templates see, the digest every cache key
starts from, and the checks that need every page at once (two pages on one URL, a page on
another output's path, a nav entry naming no page, a list page, feed or redirect page on a path
that is taken).
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from .artifacts import reserved_names
from .cache import digest_bytes, digest_of, digest_texts, engine_digest
from .config import Config, portable_repr
from .errors import Location, SiteError, located
from .growth import Growth, plan_growth
from .macros import TRACKED_CONFIG
from .model import Asset, NavItem, PageInfo, SiteView, UrlMap
from .output import UNHASHED
from .paths import Found
from .render import make_site_view
from .sources import Project, source_text


@dataclass(frozen=True, slots=True)
class Site:
    """The site as a whole, before any page is rendered.

    `urls` maps every source to its URL, those that failed to load too (their own error is the
    one to fix, so links to them are not reported as well); `digest` covers everything every
    output depends on but page texts, data and the config values in `macros.TRACKED_CONFIG`:
    the engine, the rest of the config, templates, assets and this index. `inputs`: each data file's and config value's hash (`read_inputs`), for the keys of
    the pages that read it.
    `growth`: the sections and the files they add (list pages, feeds, redirect pages);
    `extras_digest` the key of the generated files: `digest`, plus the texts of the pages a
    full feed carries.
    """

    pages: tuple[PageInfo, ...]
    urls: UrlMap
    nav: tuple[NavItem, ...]
    view: SiteView
    digest: str
    growth: Growth = field(default_factory=Growth)
    extras_digest: str = ""
    inputs: Mapping[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()  # each page's output path, in the order of `pages`
    place: Mapping[str, int] = field(default_factory=dict)  # each page's index in `pages`


PAGE = operator.attrgetter("page")


@dataclass(frozen=True, slots=True)
class Index:
    """A site index and what it was made from, so a long-running process (the dev server) can
    skip indexing when an edit changed no page's front matter, only texts: then every page's
    title, URL, order and description, the nav, the sections and the `site` view are what they
    were. `structure` is the digest of the view and the URL map, the costly part of `digest`."""

    config: Config
    pages: tuple[PageInfo, ...]  # every source's page, drafts too, in walk order
    failed: Mapping[str, str]
    assets: tuple[tuple[str, str], ...]
    site: Site
    structure: str
    errors: tuple[SiteError, ...] = ()
    others: tuple[Found, ...] = ()  # the content folder's other files (`Project.others`)

    def fits(self, config: Config, project: Project) -> bool:
        """Whether this index is the one `project` would give. Sources read again but unchanged
        are the very objects of the last build, so most pages compare by identity."""
        if len(self.pages) != len(project.parsed) or self.config != config:
            return False
        if self.failed != project.failed or self.assets != asset_names(project):
            return False
        now = list(map(PAGE, project.parsed.values()))
        same = list(map(operator.is_, now, self.pages))
        return all(now[i] == self.pages[i] for i in differing(same))


def differing(same: list[bool]) -> Iterator[int]:
    """The positions of False in `same`, found at C speed (most of thousands are True)."""
    at = -1
    with contextlib.suppress(ValueError):
        while True:
            at = same.index(False, at + 1)
            yield at


def asset_names(project: Project) -> tuple[tuple[str, str], ...]:
    """Static files and the content folder's own files, which the index checks pages against."""
    files = [*project.assets.values(), *project.files.values()]
    return tuple((asset.logical, asset.output) for asset in files)


def index_site(
    config: Config, project: Project, last: Index | None = None
) -> tuple[Site, list[SiteError], Index]:
    """The published pages (drafts only with `drafts`), their URLs, nav and sections; the
    problems; and the index to pass as `last` to the next build (which reuses it if it fits)."""
    if last is not None and last.fits(config, project):
        digest = site_digest(config, project, last.structure)
        site = with_inputs(replace(last.site, digest=digest), config, project)
        return site, list(last.errors), replace(last, site=site)
    pages = [e.page for e in project.parsed.values() if config.drafts or not e.page.meta.draft]
    errors = check_unique_urls(pages, config)
    errors += file_collisions(pages, project.assets.values(), project.files, config)
    assets = [*project.assets.values(), *project.files.values()]
    errors += output_collisions(pages, assets, config)
    urls = UrlMap({**project.failed, **{page.source: page.url for page in pages}})
    nav, problems = resolve_nav(config, urls)
    errors += problems
    # Sites that grow (growth.py): sections, list pages 2..n, feeds, redirect pages.
    growth, problems = plan_growth(config, pages, output_owners(pages, assets, config))
    errors += problems
    view = make_site_view(config, pages, nav, growth.sections)
    # Data and the config values pages read one by one are not in the digest: a page's key
    # has those it read (`cache.data_key`).
    structure = digest_of(
        replace(view, title="", description="", author="", extra={}),
        {page.source: page.url for page in pages},
    )
    digest = site_digest(config, project, structure)
    outputs = tuple(page.output_path for page in pages)
    place = {page.source: number for number, page in enumerate(pages)}
    site = Site(tuple(pages), urls, tuple(nav), view, digest, growth, "", {}, outputs, place)
    site = with_inputs(site, config, project)
    every = tuple(entry.page for entry in project.parsed.values())
    names = asset_names(project)
    index = Index(
        config, every, project.failed, names, site, structure, tuple(errors), project.others
    )
    return site, errors, index


def with_inputs(site: Site, config: Config, project: Project) -> Site:
    """The site with what changes with data, config values and the texts of full feeds: the
    generated files' key and the values pages read one by one (`read_inputs`)."""
    bodies = [(source, project.parsed[source].digest) for source in site.growth.full_sources]
    extras = digest_of(site.digest, portable_repr(config), digest_texts(project.data_files), bodies)
    return replace(site, extras_digest=extras, inputs=read_inputs(config, project.data_files))


def site_digest(config: Config, project: Project, structure: str) -> str:
    """What every output depends on but page texts, data and the config values pages read:
    the engine, the rest of the config, templates, assets, files and the index's `structure`."""
    return digest_of(
        engine_digest(),
        portable_repr(replace(config, title="", description="", author="", extra={})),
        digest_texts(project.templates),
        sorted((a.logical, a.digest) for a in project.assets.values()),
        # Coarse but sure: a page's HTML depends on the files it shows (their hashed names, sizes
        # and variants), so any change among them renders every page again, as for static files.
        sorted((f.logical, f.digest) for f in project.files.values()),
        structure,
    )


def read_inputs(config: Config, files: Mapping[str, bytes]) -> dict[str, str]:
    """The hash of each value a page may read one by one, by the name `macros` records it
    under: `data.NAME` for data/NAME.yml, `site.title`, `site.extra.KEY`..."""
    inputs = {
        "data." + PurePath(name).stem: digest_bytes(raw)
        for name, raw in files.items()
        if PurePath(name).suffix in (".yml", ".yaml")
    }
    for name in TRACKED_CONFIG:
        if name != "extra":
            inputs["site." + name] = digest_of(getattr(config, name))
    inputs.update({f"site.extra.{key}": digest_of(value) for key, value in config.extra.items()})
    return inputs


def check_unique_urls(pages: Sequence[PageInfo], config: Config) -> list[SiteError]:
    """Two sources may not claim the same URL; the error names both, at the slug that did it."""
    seen: dict[str, PageInfo] = {}
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
    pages: Sequence[PageInfo], assets: Iterable[Asset], config: Config
) -> list[SiteError]:
    """Pages whose output file, or one of its folders, is already another output's file: a
    generated file, a static file, or another page's index.html (say, for `slug: index.html`).

    Without this check one would silently replace the other, or the write would fail half-way.
    """
    owners = output_owners(pages, assets, config)
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


def file_collisions(
    pages: Sequence[PageInfo],
    assets: Iterable[Asset],
    files: Mapping[str, Asset],
    config: Config,
) -> list[SiteError]:
    """Files of the content folder that would be published where a page, a static file or a
    generated file is (say content/index.html beside content/index.md): one would silently
    replace the other."""
    owners = output_owners(pages, assets, config)
    content_root = config.content_dir.relative_to(config.root).as_posix()
    errors = []
    for name, file in sorted(files.items()):
        parts = file.output.split("/")
        clash = next(
            (
                path
                for path in ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
                if path in owners
            ),
            None,
        )
        if clash == "CNAME" and not config.cname:
            continue  # a CNAME file in the content folder, as GitHub Pages and MkDocs read it
        if clash is not None:
            errors.append(
                SiteError(
                    f"this file would be published as {clash}, which is the {owners[clash]}",
                    Location(f"{content_root}/{name}"),
                    "Rename or move the file: files beside the pages are published at their "
                    "own path under the site.",
                )
            )
    return errors


def output_owners(
    pages: Sequence[PageInfo], assets: Iterable[Asset], config: Config
) -> dict[str, str]:
    """Every output path a page, static file, content file or generated file takes, and what
    takes it."""
    owners = reserved_names(config.calendar)
    owners.update({asset.output: _file_kind(asset, config) for asset in assets})
    owners.update({page.output_path: f"page {page.source}" for page in pages})
    return owners


def _file_kind(asset: Asset, config: Config) -> str:
    if asset.output == asset.logical and asset.logical not in UNHASHED:
        return f"file {config.content_dir.relative_to(config.root).as_posix()}/{asset.logical}"
    return f"static file {asset.logical}"


def url_problem(
    config: Config, page: PageInfo, message: str, hint: str, slug: str | None
) -> SiteError:
    """An error about where a page lands: at its slug line when the slug put it there, else at
    the file, whose name did."""
    line = page.meta.lines.get("slug") if slug is not None else None
    if line is None:
        return SiteError(message, Location(page.source), hint)
    return located(message, page.source, source_text(config, page.source), line, 1, hint)


def resolve_nav(config: Config, urls: Mapping[str, str]) -> tuple[list[NavItem], list[SiteError]]:
    """Turn config nav entries into titles and URLs; a page that does not exist is an error."""
    content_root = config.content_dir.relative_to(config.root).as_posix()
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
