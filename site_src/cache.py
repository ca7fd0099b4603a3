"""The incremental build cache: what the last successful build read, made and checked.

Every output file has a key, the hash of everything its bytes depend on; a later build reuses a
file whose key is unchanged and whose bytes on disk are still the ones the cache recorded. Keys:

- a page: its source bytes + the site digest (the engine's own code, Python and library
  versions, config, templates, data, static asset hashes, and the site index: every page's
  title, URL, order and the nav, which any template may show);
- the generated files (404, sitemap, robots, ...): the site digest alone.

The cache also keeps each source's parsed front matter (by source hash, so a no-op build parses
no YAML) and each page's link scan (ids + refs, so the link check stays complete when only one
page is rendered again). It lives in `config.cache_dir`, or in memory in a long-running process:

    cache = BuildCache.load(config.cache_dir, config.root)  # empty if missing, damaged or stale
    result = build_site(config, cache=cache)    # updates `cache` only if the build succeeds
    cache.save(config.cache_dir)
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import gc
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import Location, SiteError
from .links import PageScan
from .model import FrontMatter, Link, Page

CACHE_FILE = "build-cache.json"
# Caches of earlier versions: never read (a pickle can run code when loaded), removed on save.
OLD_CACHE_FILES = ("build-cache.pickle",)
FORMAT = 3
LIBRARIES = (
    "jinja2",
    "markupsafe",
    "markdown-it-py",
    "mdit-py-plugins",
    "pygments",
    "pyyaml",
    "icalendar",
    "babel",
    "tzdata",
)
# Free-form front matter is saved only up to this size; a bigger value (a YAML alias bomb, say)
# is parsed again by the next build instead of being expanded into the cache file.
VALUE_NODES = 10_000
VALUE_DEPTH = 50


@dataclass(frozen=True, slots=True)
class Parsed:
    """A source's front matter as parsed once: the page without its text, and its warnings.

    `size` and `mtime_ns` let a later build skip reading the file when `stat` still says the
    same (as git's index does); `mtime_ns` is -1 when the file was written too recently for its
    time stamp to prove anything, so it is read again next time."""

    digest: str
    page: Page
    warnings: tuple[SiteError, ...]
    size: int = -1
    mtime_ns: int = -1


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One output file: the key it was made from and what `stat` said right after writing it."""

    key: str
    digest: str
    size: int
    mtime_ns: int
    inode: int


@dataclass(slots=True)
class BuildCache:
    """State carried from one successful build to the next; mutable on purpose, replaced whole.

    `build_site` reads it and, only after a successful build, swaps in the new state with
    `replace`, so a failed build leaves the cache describing the output folder that is still there.
    """

    engine: str = ""
    parsed: dict[str, Parsed] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    scans: dict[str, PageScan] = field(default_factory=dict)
    output_dir: str = ""
    project: str = ""
    # Why the saved cache was not used (for --verbose); never saved.
    note: str = ""

    @classmethod
    def load(cls, folder: Path, project: Path) -> BuildCache:
        """The cache saved in `folder` for `project`; an empty one if it is missing, damaged,
        not ours, or made by other engine code or for another project. The file is JSON: a
        cache must never be able to run code, and a bad one only costs a full build."""
        fresh = cls(engine_digest(), project=str(project))
        try:
            with _collector_paused():
                return _decode(json.loads(_read_own_file(folder / CACHE_FILE)), fresh)
        except FileNotFoundError:
            return fresh
        except _Foreign as reason:
            fresh.note = f"The saved cache was not used: it was {reason}."
        except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
            fresh.note = "The saved cache was not used: it was damaged."
        return fresh

    def save(self, folder: Path) -> None:
        """Write the cache atomically (a half-written cache must never be read back)."""
        folder.mkdir(parents=True, exist_ok=True)
        with _collector_paused():
            raw = json.dumps(_encode(self), separators=(",", ":")).encode("ascii")
        handle, temporary = tempfile.mkstemp(prefix=".cache-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(raw)
            os.replace(temporary, folder / CACHE_FILE)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for name in OLD_CACHE_FILES:
            (folder / name).unlink(missing_ok=True)

    def replace(self, other: BuildCache) -> None:
        """Take over another cache's state (the state of the build that just succeeded)."""
        self.engine, self.parsed, self.files = other.engine, other.parsed, other.files
        self.scans, self.output_dir = other.scans, other.output_dir
        self.project = other.project


@functools.cache
def engine_digest() -> str:
    """The engine's own bytes and the library versions: a different one invalidates every
    cached output, so an edited module counts even when the version number did not change.
    Once per process: a process keeps running the code it imported."""
    hasher = hashlib.sha256(f"{sys.version}\0".encode())
    for name in LIBRARIES:
        try:
            hasher.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            hasher.update(f"{name}=?\0".encode())
    package = Path(__file__).parent
    for path in _package_files(package):
        data = path.read_bytes()
        hasher.update(f"{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
        hasher.update(data)
    return hasher.hexdigest()


def _package_files(package: Path) -> list[Path]:
    """Every file of the engine's package (modules and any data), compiled files left out."""
    found = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        found += [Path(folder, name) for name in names if not name.endswith((".pyc", ".pyo"))]
    return sorted(found)


def digest_of(*parts: object) -> str:
    """A stable hash of plain values (their repr; every value we hash has a deterministic one)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def digest_bytes(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def digest_texts(texts: Mapping[str, str | bytes]) -> str:
    """One hash for a set of named files (templates, data)."""
    hasher = hashlib.sha256()
    for name in sorted(texts):
        value = texts[name]
        hasher.update(name.encode("utf-8") + b"\0")
        hasher.update(value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value)
        hasher.update(b"\0")
    return hasher.hexdigest()


def page_key(site_digest: str, source_digest: str) -> str:
    return digest_of(site_digest, source_digest)


def record_of(path: Path, key: str, digest: str) -> FileRecord:
    """Stat a file just written (or linked) so a later build can tell whether it was touched."""
    info = os.stat(path)
    return FileRecord(key, digest, info.st_size, info.st_mtime_ns, info.st_ino)


def scan_output(out_dir: Path) -> dict[str, os.stat_result]:
    """Every file in the output folder with its stat, by path relative to the folder."""
    found: dict[str, os.stat_result] = {}
    stack = [("", str(out_dir))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((name + "/", entry.path))
            else:
                found[name] = entry.stat(follow_symlinks=False)
    return found


def trusted_files(cache: BuildCache, out_dir: Path) -> tuple[set[str], bool]:
    """Output files whose bytes are still what the cache recorded, and whether the folder holds
    nothing else (no stray, edited or missing files): only then may a build leave it as it is."""
    if cache.output_dir != str(out_dir):
        return set(), False
    on_disk = scan_output(out_dir)
    trusted = {
        name
        for name, info in on_disk.items()
        if (record := cache.files.get(name)) is not None
        and (record.size, record.mtime_ns, record.inode)
        == (info.st_size, info.st_mtime_ns, info.st_ino)
    }
    exact = len(trusted) == len(on_disk) == len(cache.files)
    return trusted, exact


def changed_paths(old: Mapping[str, FileRecord], new: Mapping[str, FileRecord]) -> list[str]:
    """Output paths whose bytes differ between two builds (added, removed or changed)."""
    names: Iterable[str] = set(old) | set(new)
    return sorted(
        name
        for name in names
        if name not in old or name not in new or old[name].digest != new[name].digest
    )


# --- The cache file: JSON, every value checked on the way in ------------------------------


class _Unfit(ValueError):
    """The cache file (or a value to save in it) is not what this format holds."""


class _Foreign(Exception):
    """The cache file is sound but not for this build: it says whose it is."""


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading a large cache makes a million small objects and no cycles; the cyclic garbage
    collector would walk them over and over as they are made (more than half the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_own_file(path: Path) -> bytes:
    """The bytes of a regular file of ours: not a link, a device or another user's file."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise _Foreign("not a file of this user's")
        return stream.read()


def _encode(cache: BuildCache) -> dict[str, Any]:
    parsed = {}
    for name, entry in cache.parsed.items():
        with contextlib.suppress(_Unfit):  # else parsed again by the next build
            parsed[name] = _encode_parsed(entry)
    return {
        "format": FORMAT,
        "engine": cache.engine,
        "project": cache.project,
        "output_dir": cache.output_dir,
        "parsed": parsed,
        "files": {name: list(_record_fields(r)) for name, r in cache.files.items()},
        "scans": {name: _encode_scan(scan) for name, scan in cache.scans.items()},
    }


def _decode(document: Any, fresh: BuildCache) -> BuildCache:
    """The cache a document describes, if it is this format, engine and project's (else raise)."""
    if document["format"] != FORMAT:
        raise _Foreign("written in another format")
    if document["engine"] != fresh.engine:
        raise _Foreign("made by other engine code or libraries")
    if document["project"] != fresh.project:
        raise _Foreign("made for another project folder")
    return BuildCache(
        fresh.engine,
        {_str(name): _decode_parsed(row) for name, row in _dict(document["parsed"]).items()},
        {_str(name): _decode_record(row) for name, row in _dict(document["files"]).items()},
        {_str(name): _decode_scan(row) for name, row in _dict(document["scans"]).items()},
        _str(document["output_dir"]),
        fresh.project,
    )


def _record_fields(record: FileRecord) -> tuple[str, str, int, int, int]:
    return (record.key, record.digest, record.size, record.mtime_ns, record.inode)


def _decode_record(row: Any) -> FileRecord:
    key, digest, size, mtime_ns, inode = row
    return FileRecord(_str(key), _str(digest), _int(size), _int(mtime_ns), _int(inode))


def _encode_parsed(entry: Parsed) -> list[Any]:
    page, meta = entry.page, entry.page.meta
    return [
        entry.digest,
        entry.size,
        entry.mtime_ns,
        [page.source, page.url, page.markdown, page.body_line, page.text],
        [
            meta.title,
            meta.description,
            meta.slug,
            meta.template,
            meta.order,
            meta.draft,
            encode_value(meta.date),
            encode_value(meta.extra),
            encode_value(meta.lines),
            # Sites that grow: updated, feed, aliases, paginate.
            encode_value([meta.updated, meta.feed, list(meta.aliases), meta.paginate]),
        ],
        [_encode_error(warning) for warning in entry.warnings],
    ]


def _decode_parsed(row: Any) -> Parsed:
    digest, size, mtime_ns, (source, url, markdown, body_line, text), meta, warnings = row
    title, description, slug, template, order, draft, date, extra, lines, grown = meta
    when = decode_value(date)
    if when is not None and not isinstance(when, datetime.date):
        raise _Unfit("a date that is not a date")
    updated, feed, aliases, paginate = _list(decode_value(grown))
    if updated is not None and not isinstance(updated, datetime.date):
        raise _Unfit("a date that is not a date")
    if not isinstance(feed, bool | str):
        raise _Unfit("a feed that is neither true, false nor text")
    front = FrontMatter(
        _str(title),
        _str(description),
        None if slug is None else _str(slug),
        _str(template),
        _int(order),
        _bool(draft),
        when,
        _dict(decode_value(extra)),
        {_str(key): _int(line) for key, line in _dict(decode_value(lines)).items()},
        updated,
        feed,
        tuple(_list(aliases)),
        _int(paginate),
    )
    page = Page(_str(source), _str(url), front, _str(markdown), _int(body_line), _str(text))
    errors = tuple(_decode_error(item) for item in _list(warnings))
    return Parsed(_str(digest), page, errors, _int(size), _int(mtime_ns))


def _encode_error(error: SiteError) -> list[Any]:
    where = error.where
    place = None if where is None else [where.path, where.line, where.column]
    return [error.message, place, error.hint, error.excerpt, error.severity]


def _decode_error(row: Any) -> SiteError:
    message, place, hint, excerpt, severity = row
    where = None
    if place is not None:
        path, line, column = place
        where = Location(_str(path), _optional_int(line), _optional_int(column))
    if severity not in ("error", "warning"):
        raise _Unfit("an unknown severity")
    return SiteError(
        _str(message),
        where,
        None if hint is None else _str(hint),
        excerpt=None if excerpt is None else _str(excerpt),
        severity=severity,
    )


def _encode_scan(scan: PageScan) -> list[Any]:
    """Column-wise: thousands of pages hold tens of links each, and whole columns are checked
    and turned into values in single calls (much faster than one call per link)."""
    links = scan.body_links
    return [
        scan.url,
        scan.origin,
        list(scan.ids),
        [text for text, _ in scan.refs],
        [line for _, line in scan.refs],
        [text for text, _ in scan.duplicate_ids],
        [line for _, line in scan.duplicate_ids],
        [link.href for link in links],
        [link.line for link in links],
        [link.column for link in links],
        list(scan.reported),
        [_encode_error(warning) for warning in scan.warnings],
    ]


def _decode_scan(row: Any) -> PageScan:
    url, origin, ids, refs, ref_lines, duplicates, duplicate_lines = row[:7]
    hrefs, lines, columns, reported, warnings = row[7:]
    if len(hrefs) != len(lines) or len(hrefs) != len(columns):
        raise _Unfit("links of different lengths")
    return PageScan(
        _str(url),
        _str(origin),
        frozenset(_column(ids, str)),
        tuple(zip(_column(refs, str), _column(ref_lines, int), strict=True)),
        tuple(zip(_column(duplicates, str), _column(duplicate_lines, int), strict=True)),
        tuple(map(Link, _column(hrefs, str), _column(lines, int), _column(columns, int, None))),
        frozenset(_column(reported, str)),
        tuple(_decode_error(item) for item in _list(warnings)),
    )


def _column(values: Any, *kinds: type | None) -> list[Any]:
    """A list whose items are all of the given types (None for null)."""
    allowed = {type(None) if kind is None else kind for kind in kinds}
    if type(values) is not list or not set(map(type, values)) <= allowed:
        raise _Unfit("a list of the wrong items")
    return values


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Unfit("expected text")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise _Unfit("expected a whole number")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Unfit("expected true or false")
    return value


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise _Unfit("expected a list")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise _Unfit("expected a mapping")
    return value


# Free-form values (what YAML's safe loader makes) as JSON. A mapping whose keys are all text
# not starting with "$" is a JSON object; anything else JSON has no word for is an object with
# one "$"-key naming its type, so a value always comes back as the same type.
_SCALARS = (str, int, float, bool, type(None))


def encode_value(value: object) -> Any:
    """A free-form value as JSON data; `_Unfit` for a type, size or depth this format refuses."""
    left = VALUE_NODES

    def encode(item: object, depth: int) -> Any:
        nonlocal left
        left -= 1
        if left < 0 or depth > VALUE_DEPTH:
            raise _Unfit("a value too large or deep to cache")
        kind, deeper = type(item), depth + 1
        if kind in _SCALARS:
            return item
        if isinstance(item, list) and kind is list:
            return [encode(x, deeper) for x in item]
        if isinstance(item, dict) and kind is dict:
            if all(type(k) is str and not k.startswith("$") for k in item):
                return {k: encode(v, deeper) for k, v in item.items()}
            return {"$map": [[encode(k, deeper), encode(v, deeper)] for k, v in item.items()]}
        if isinstance(item, tuple | set | frozenset) and kind in (tuple, set, frozenset):
            return {f"${kind.__name__}": [encode(x, deeper) for x in item]}
        if isinstance(item, datetime.date) and kind in (datetime.date, datetime.datetime):
            return {f"${kind.__name__}": item.isoformat()}
        if isinstance(item, bytes) and kind is bytes:
            return {"$bytes": base64.b64encode(item).decode("ascii")}
        raise _Unfit(f"a value of type {kind.__name__} cannot be cached")

    return encode(value, 0)


def decode_value(data: Any) -> Any:
    """The value `encode_value` made `data` from (raises on anything it cannot have made)."""
    kind = type(data)
    if kind is list:
        return [decode_value(item) for item in data]
    if kind is dict:
        if len(data) == 1:
            ((tag, inner),) = data.items()
            if tag.startswith("$"):
                return _TAGGED[tag](inner)
        return {key: decode_value(item) for key, item in data.items()}
    if kind in _SCALARS:
        return data
    raise _Unfit("not JSON data")


def _decode_map(rows: Any) -> dict[Any, Any]:
    return {decode_value(key): decode_value(item) for key, item in _list(rows)}


_TAGGED: Mapping[str, Callable[[Any], Any]] = MappingProxyType(
    {
        "$map": _decode_map,
        "$tuple": lambda rows: tuple(decode_value(item) for item in _list(rows)),
        "$set": lambda rows: {decode_value(item) for item in _list(rows)},
        "$frozenset": lambda rows: frozenset(decode_value(item) for item in _list(rows)),
        "$date": lambda text: datetime.date.fromisoformat(_str(text)),
        "$datetime": lambda text: datetime.datetime.fromisoformat(_str(text)),
        "$bytes": lambda text: base64.b64decode(_str(text), validate=True),
    }
)
