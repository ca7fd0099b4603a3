"""Every read of a build: the content folder (walked once), each page source, the data files
(`datafiles`), the templates and the static files. Nothing else in the engine opens a source
file (site.yml is read by `config`, which every stage is given).

Each file goes through `paths` (a name that can be a URL, a link that stays among the sources, a
regular file, never a pipe) and `errors.decode_text` (UTF-8, LF line endings), so a hostile or
broken file is a SiteError naming it. A build reads front matter only where a source's hash is
new; page texts are not kept (`read_page_text` reads a page again where it is rendered), so
memory stays flat as sites grow.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePath

import jinja2
from jinja2.loaders import split_template_path

from .cache import BuildCache, digest_bytes
from .config import Config
from .content import FENCE, PLAIN_SLUG_LINE, page_url, parse_page
from .datafiles import DataValues, read_data
from .errors import Location, SiteError, decode_text, project_path
from .files import image_info
from .model import Asset, Parsed, ParsedData, Source
from .output import hashed_name
from .parallel import map_in_chunks
from .paths import Found, Sources, check_source_name, check_target, read_regular, source_files
from .theme import with_theme_assets

# Files editors write beside the one being saved (backups, swap, temp files, vim's probe, as the
# dev server's watcher knows them): never published from the content folder, where they would
# come and go under a build.
EDITOR_FILES = re.compile(
    r"~$|^#.*#$|\.(swp|swo|swx|swpx|tmp|temp|bak|orig|rej|part|crdownload)$"
    r"|\.___jb_(tmp|old|bak)___$|^4913$|^sed[A-Za-z0-9]{6}$"
)
# A source modified less than this long before a build is read again by the next build, even
# if its size and time stamp look the same (time stamps are only as fine as the kernel's clock).
SETTLED_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class Project:
    """Everything a build read, before any rendering.

    `parsed`: each source's front matter, by path from the project root, in walk order.
    `failed` maps each source that failed to load to its probable URL: the page exists, so links
    and nav entries naming it are not reported too (its own error is the one to fix).
    `data_files`: the data folder's bytes, for the cache key of every page.
    `parsed_data`: each data file that loaded, parsed, by file name (for the next build's cache).
    `files`: the other files of the content folder (images, downloads), by path there; each is
    published at that path."""

    parsed: dict[str, Parsed]
    failed: dict[str, str]
    data: DataValues
    data_files: dict[str, bytes]
    parsed_data: dict[str, ParsedData]
    assets: dict[str, Asset]
    templates: dict[str, str]
    warnings: tuple[SiteError, ...]
    files: dict[str, Asset] = field(default_factory=dict)
    others: tuple[Found, ...] = ()  # the walk's files that are not pages, as `files` came from


def read_project(
    config: Config, store: BuildCache, processes: int, edited: frozenset[Path] | None = None
) -> tuple[Project, list[SiteError]]:
    """Read every source the build depends on; return it and every problem found reading it."""
    parsed, errors, failed_sources, others = read_sources(config, store, processes, edited)
    files, problems = read_content_files(config, others)
    errors += problems
    failed = {name: probable_url(config, name) for name in failed_sources}
    data, data_files, parsed_data, problems = read_data(config, store.data)
    errors += problems
    assets, problems = read_assets(config)
    errors += problems
    templates, problems = read_templates(config)
    errors += problems
    warnings = tuple(warning for entry in parsed.values() for warning in entry.warnings)
    project = Project(
        parsed,
        failed,
        data,
        data_files,
        parsed_data,
        assets,
        templates,
        warnings,
        files,
        tuple(others),
    )
    return project, errors


# --- Pages ---------------------------------------------------------------------------------


def content_folder_problem(config: Config) -> SiteError | None:
    """A missing content folder is one clear error, not an empty site."""
    if config.content_dir.is_dir():
        return None
    folder = project_path(str(config.content_dir), str(config.root))
    hint = "Run the command in the project folder, pass --root, or create the folder."
    return SiteError(f"there is no content folder {folder}/", None, hint)


def content_files(config: Config) -> tuple[list[str], list[SiteError]]:
    """Paths (from the project root, sorted) of the content folder's .md files, dot-names
    skipped; and the entries there that `paths` refuses (pipes, links out, loops)."""
    names, _others, errors = walk_content(config)
    return names, errors


def walk_content(config: Config) -> tuple[list[str], list[Found], list[SiteError]]:
    """The one walk of the content folder: its .md files (as `content_files`), its other files
    (path parts under the folder, path on disk), and the entries that `paths` refuses."""
    problem = content_folder_problem(config)
    if problem is not None:
        return [], [], [problem]
    prefix = config.content_dir.relative_to(config.root).as_posix()
    found, errors = source_files(config.content_dir, Sources.of(config))
    names = ["/".join((prefix, *parts)) for parts, _ in found if parts[-1].endswith(".md")]
    others = [
        (parts, file)
        for parts, file in found
        if not parts[-1].endswith(".md")
        and not EDITOR_FILES.search(parts[-1])
        and not _other_source(config, parts)
    ]
    return names, others, errors


def _other_source(config: Config, parts: tuple[str, ...]) -> bool:
    """Whether a file under the content folder is the config file or in another source folder
    (with `content_dir: .`): those are read for what they are, never published as they are."""
    path = config.content_dir.joinpath(*parts)
    folders = (config.templates_dir, config.static_dir, config.data_dir)
    return path == config.root / config.source or any(f in path.parents for f in folders)


def find_sources(config: Config) -> tuple[list[Source], list[SiteError]]:
    """Every .md file under the content folder with its text, in a stable order."""
    names, errors = content_files(config)
    sources: list[Source] = []
    for name in names:
        try:
            raw = read_source_bytes(config, config.root / name, name)
            sources.append(Source(name, decode_text(raw, name)))
        except SiteError as error:
            errors.append(error)
    return sources, errors


def read_sources(
    config: Config, store: BuildCache, processes: int, edited: frozenset[Path] | None = None
) -> tuple[dict[str, Parsed], list[SiteError], list[str], list[Found]]:
    """Hash every .md file under the content folder; parse front matter the cache has not seen.

    Also returns the sources that failed to load, and the folder's other files."""
    changed = None if edited is None else project_names(config, edited)
    if changed is not None and same_sources(config, store, changed):
        return read_changed(config, store, changed)
    names, others, errors = walk_content(config)
    settled = time.time_ns() - SETTLED_NS
    pending: list[tuple[str, Parsed | None]] = []
    results: list[tuple[str, Parsed | SiteError | None]] = []
    reader = partial(read_pending, config, settled)
    order = {name: index for index, name in enumerate(names)}
    for name in names:
        known = store.parsed.get(name)
        if known is None:
            pending.append((name, None))
        elif (changed is not None and name not in changed) or unchanged(config.root / name, known):
            results.append((name, known))
        else:  # most likely the same bytes again: read and hash here, parse only if changed
            results.append((name, reader((name, known))))
    # Sources the cache has never seen are parsed on every core (YAML is slow: seconds at 10,000).
    results += zip([n for n, _ in pending], map_in_chunks(reader, pending, processes), strict=True)
    parsed: dict[str, Parsed] = {}
    failed: list[str] = []
    for name, entry in sorted(results, key=lambda item: order[item[0]]):
        if isinstance(entry, SiteError):
            errors.append(entry)
            failed.append(name)
        elif entry is not None:
            parsed[name] = entry
    return parsed, errors, failed, others


def project_names(config: Config, paths: frozenset[Path]) -> set[str] | None:
    """The paths as names from the project root (`content/a.md`), None if one is outside it."""
    names = set()
    for path in paths:
        if not path.is_relative_to(config.root):
            return None
        names.add(path.relative_to(config.root).as_posix())
    return names


def same_sources(config: Config, store: BuildCache, changed: set[str]) -> bool:
    """Whether the content folder holds the pages the cache holds, for a caller that names every
    path changed since the cache's build (the dev server, whose cache is that of its own last
    build): so when each changed path in the content folder is a page the cache holds and still
    a file, no page can have appeared, vanished or been renamed, and no walk is needed."""
    if store.index is None or not store.parsed or config.source in changed:
        return False
    folder = config.content_dir.relative_to(config.root).as_posix()
    prefix = "" if folder == "." else folder + "/"
    return folder not in changed and all(
        name in store.parsed and os.path.isfile(config.root / name)
        for name in changed
        if name.startswith(prefix)
    )


def read_changed(
    config: Config, store: BuildCache, changed: set[str]
) -> tuple[dict[str, Parsed], list[SiteError], list[str], list[Found]]:
    """`read_sources` when `same_sources` holds: the cache's entries, the changed ones read
    again (in the walk's order, which the cache keeps), and the other files the last walk
    found (kept with the last index)."""
    others = list(store.index.others) if store.index is not None else []
    parsed = dict(store.parsed)
    errors: list[SiteError] = []
    failed: list[str] = []
    reader = partial(read_pending, config, time.time_ns() - SETTLED_NS)
    for name in sorted(changed & parsed.keys()):
        entry = reader((name, parsed[name]))
        if isinstance(entry, SiteError):
            errors.append(entry)
            failed.append(name)
        if isinstance(entry, Parsed):
            parsed[name] = entry
        else:
            del parsed[name]
    return parsed, errors, failed, others


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
        return read_source(config, known, name, settled)
    except SiteError as error:
        return error


def read_source(config: Config, known: Parsed | None, name: str, settled: int) -> Parsed | None:
    """One source, parsed; the cached entry if `stat` or the hash says it has not changed.

    None for a folder named like a page."""
    path = config.root / name
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
    page, warnings = parse_page(Source(name, decode_text(raw, name)), content_root)
    return Parsed(digest, page.info, tuple(warnings), info.st_size, mtime)


def read_source_bytes(config: Config, path: Path, name: str) -> bytes:
    """The bytes of one content file, once its name and place are known to be safe.

    Every read of a content file goes through here: a name that cannot be a URL, a link that
    `paths.Sources` refuses, a pipe or device, or a file that cannot be read is a SiteError naming
    the file.
    """
    check_source_name(path.relative_to(config.content_dir), name)
    check_target(path, Sources.of(config), config.content_dir)
    return read_regular(path, name)


def read_page_text(config: Config, source: str, expected: str) -> str:
    """A page's text, as long as it is still the file the build was planned with.

    The file's name and place were checked when it was read for planning (`read_source_bytes`);
    bytes that hash to what was read then are those bytes, wherever a link now leads, so this
    second read only refuses what could block (`read_regular`) and checks the hash."""
    raw = read_regular(config.root / source, source)
    if digest_bytes(raw) != expected:
        raise SiteError(
            "the file changed while the site was being built",
            Location(source),
            "Build again once your editor has saved it.",
        )
    return decode_text(raw, source)


def source_text(config: Config, source: str) -> str:
    """A source's text for the excerpt of a message about it (undecodable bytes replaced)."""
    return (config.root / source).read_text(encoding="utf-8", errors="replace")


def probable_url(config: Config, source_path: str) -> str:
    """The URL of a page whose source failed to load, as far as it can be told: from its path
    and from a plain `slug:` line of its front matter, if it has one."""
    content_root = project_path(str(config.content_dir), str(config.root))
    try:
        raw = (config.root / source_path).read_bytes()
    except OSError:
        raw = b""
    head, fence, _ = raw.decode("utf-8", errors="replace").partition(f"\n{FENCE}")
    found = PLAIN_SLUG_LINE.search(head) if fence else None
    slug = found.group(2) if found and ".." not in found.group(2) else None
    return page_url(source_path, content_root, slug)


# --- Data, templates, static files ---------------------------------------------------------


def read_templates(config: Config) -> tuple[dict[str, str], list[SiteError]]:
    """Template sources by project path, so problems found in rendered HTML can point at a line;
    and the templates folder's entries that `paths` refuses (Jinja is never let near them)."""
    folder = config.templates_dir
    if not folder.is_dir():
        return {}, []
    found, errors = source_files(folder, Sources.of(config))
    result = {}
    for _parts, file in found:
        name = project_path(file, str(config.root))
        try:
            result[name] = read_regular(Path(file), name).decode("utf-8", errors="replace")
        except SiteError:
            continue
    return result, errors


def read_assets(config: Config) -> tuple[dict[str, Asset], list[SiteError]]:
    """The project's static files and the theme's it does not replace, named by content hash."""
    own, errors = collect_assets(config.static_dir, Sources.of(config))
    return with_theme_assets(own), errors


def read_content_files(
    config: Config, found: list[Found]
) -> tuple[dict[str, Asset], list[SiteError]]:
    """The content folder's files other than pages (images, PDFs, raw HTML pages), each to be
    published at its own path, as Hugo's page bundles and Jekyll's files are: a page shows or
    links to them by a path relative to its .md file, and raw HTML or a download link reaches
    them at the same place."""
    files: dict[str, Asset] = {}
    errors: list[SiteError] = []
    for logical, raw in read_each(found, str(config.root), errors):
        files[logical] = Asset(logical, logical, digest_bytes(raw), image_info(logical, raw))
    return files, errors


def read_each(
    found: list[Found], root: str, errors: list[SiteError]
) -> Iterator[tuple[str, bytes]]:
    """Each file's path in its folder and its bytes; a name that cannot be a URL, or an entry
    `paths` refuses, goes to `errors` and the others are still read."""
    for parts, file in found:
        name = project_path(file, root)
        try:
            check_source_name(PurePath(*parts), name)
            raw = read_regular(Path(file), name)
        except SiteError as error:
            errors.append(error)
            continue
        yield "/".join(parts), raw


def collect_assets(static_dir: Path, sources: Sources) -> tuple[dict[str, Asset], list[SiteError]]:
    """Every file under the static folder, keyed by its path there, named with its content hash.

    A file whose name cannot be a URL, or an entry that `paths` refuses (a pipe, a link out of the
    source folders), is an error: either would otherwise reach the published site or stop the
    build. The other files are still collected, so links to them are checked as usual.
    """
    assets: dict[str, Asset] = {}
    if not static_dir.is_dir():
        return assets, []
    found, errors = source_files(static_dir, sources)
    for logical, raw in read_each(found, str(sources.root), errors):
        digest = digest_bytes(raw)
        image = image_info(logical, raw)
        assets[logical] = Asset(logical, hashed_name(logical, digest), digest, image)
    return assets, errors


class TemplateLoader(jinja2.BaseLoader):
    """Templates from the templates folder, checked like every source before they are opened:
    Jinja's own loader would block forever on a named pipe and follow any link. A byte that is
    not UTF-8 is a SiteError at its own file, line and column, even in an included or extended
    file (Jinja's loader raises a bare UnicodeDecodeError at the outermost template)."""

    def __init__(self, folder: Path, sources: Sources) -> None:
        self.folder = folder
        self.sources = sources

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        _target, info = check_target(path, self.sources, self.folder)
        if stat.S_ISDIR(info.st_mode):
            raise jinja2.TemplateNotFound(template)
        name = self.sources.name(path)
        text = decode_text(read_regular(path, name), name)

        def uptodate() -> bool:
            try:
                return os.stat(path).st_mtime_ns == info.st_mtime_ns
            except OSError:
                return False

        return text, str(path), uptodate
