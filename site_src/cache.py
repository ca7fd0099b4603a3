"""The incremental build cache: what the last successful build read, made and checked.

Every output file has a key, the hash of everything its bytes depend on; a later build reuses a
file whose key is unchanged and whose bytes on disk are still the ones the cache recorded. Keys:

- a page: its source bytes + the site digest (engine and library versions, config, templates,
  data, static asset hashes, and the site index: every page's title, URL, order and the nav,
  which any template may show);
- the generated files (404, sitemap, robots, ...): the site digest alone.

The cache also keeps each source's parsed front matter (by source hash, so a no-op build parses
no YAML) and each page's link scan (ids + refs, so the link check stays complete when only one
page is rendered again). It lives in `config.cache_dir`, or in memory in a long-running process:

    cache = BuildCache.load(config.cache_dir)   # empty if missing, corrupt or from another engine
    result = build_site(config, cache=cache)    # updates `cache` only if the build succeeds
    cache.save(config.cache_dir)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import metadata
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import SiteError
from .links import PageScan
from .model import FrontMatter, Link, Page

CACHE_FILE = "build-cache.pickle"
LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "mdit-py-plugins", "pygments", "pyyaml")


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

    @classmethod
    def load(cls, folder: Path) -> BuildCache:
        """The cache saved in `folder`; an empty one if it is missing, unreadable or stale."""
        try:
            with (folder / CACHE_FILE).open("rb") as stream:
                loaded = pickle.load(stream)
        except Exception:  # missing, truncated, from other code: any damage means start afresh
            return cls(engine_digest())
        if not isinstance(loaded, cls) or loaded.engine != engine_digest():
            return cls(engine_digest())
        return loaded

    def save(self, folder: Path) -> None:
        """Write the cache atomically (a half-written cache must never be read back)."""
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".cache-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = FAST_PICKLING
                pickler.dump(self)
            os.replace(temporary, folder / CACHE_FILE)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def replace(self, other: BuildCache) -> None:
        """Take over another cache's state (the state of the build that just succeeded)."""
        self.engine, self.parsed, self.files = other.engine, other.parsed, other.files
        self.scans, self.output_dir = other.scans, other.output_dir


def _by_position(kind: type) -> Callable[[Any], tuple[Any, Any]]:
    """Pickle a frozen dataclass as a constructor call: several times faster to load than the
    default state dict, which matters when the cache holds thousands of pages."""
    names = [f.name for f in fields(kind)]
    values = attrgetter(*names)
    return lambda value: (kind, values(value))


FAST_PICKLING: Mapping[type, Any] = MappingProxyType(
    {kind: _by_position(kind) for kind in (Parsed, FileRecord, PageScan, Page, FrontMatter, Link)}
)


def engine_digest() -> str:
    """The engine and library versions: a different one invalidates every cached output."""
    from . import __version__

    versions = [__version__, sys.version]
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=?")
    return digest_of(versions)


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
