"""The incremental build cache: what the last successful build read, made and checked.

Every output file has a key, the hash of everything its bytes depend on; a later build reuses a
file whose key is unchanged and whose bytes on disk are still the ones the cache recorded. Keys:

- a page: its source bytes + the site digest (the engine's own code, Python and library
  versions, config, templates, static asset hashes, and the site index: every page's
  title, URL, order and the nav, which any template may show) + the data files and the config
  values (title, description, author, extra) it read when it was last rendered (`data_key`);
- the generated files (404, sitemap, robots, ...): the site digest, the whole config and every
  data file.

The cache also keeps each source's parsed front matter and each data file's parsed value (by
the hash of their bytes, so a no-op build parses no YAML; each value in a file of its own, read
only when a page uses it) and each page's link scan (ids + refs, so the link check stays
complete when only one page is rendered again). It lives in `config.cache_dir`, or in memory in
a long-running process:

    cache = BuildCache.load(config.cache_dir, config.root)  # empty if missing, damaged or stale
    result = build_site(config, cache=cache)    # updates `cache` only if the build succeeds
    cache.save(config.cache_dir)
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING

from .cachefile import (
    Foreign,
    collector_paused,
    decode,
    encode,
    prune_data,
    read_own_file,
    save_data,
    write_atomically,
)
from .links import PageScan
from .model import FileRecord, Parsed, ParsedData

if TYPE_CHECKING:
    from .index import Index

CACHE_FILE = "build-cache.json"
# Caches of earlier versions: never read (a pickle can run code when loaded), removed on save.
OLD_CACHE_FILES = ("build-cache.pickle",)
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
    "pillow",
)


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
    data: dict[str, ParsedData] = field(default_factory=dict)
    # Why the saved cache was not used (for --verbose); never saved.
    note: str = ""
    # The site index of the build this cache describes, kept by a process that builds again
    # (the dev server), so an edit that changes no front matter skips indexing; never saved.
    index: Index | None = None

    @classmethod
    def load(cls, folder: Path, project: Path) -> BuildCache:
        """The cache saved in `folder` for `project`; an empty one if it is missing, damaged,
        not ours, or made by other engine code. The file is JSON: a cache must never be able to
        run code, and a bad one only costs a full build. A cache made in another folder (a CI
        runner's restored cache, a moved project) is `relocated`: kept, its stats distrusted."""
        fresh = cls(engine_digest(), project=str(project))
        try:
            with collector_paused():
                document = json.loads(read_own_file(folder / CACHE_FILE))
                parsed, files, scans, output_dir, data, made_in = decode(
                    document, fresh.engine, folder
                )
            loaded = cls(fresh.engine, parsed, files, scans, output_dir, fresh.project, data)
            return loaded if made_in == fresh.project else relocated(loaded, Path(made_in))
        except FileNotFoundError:
            return fresh
        except Foreign as reason:
            fresh.note = f"The saved cache was not used: it was {reason}."
        except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
            fresh.note = "The saved cache was not used: it was damaged."
        return fresh

    def save(self, folder: Path) -> None:
        """Write the cache atomically (a half-written cache must never be read back), the data
        values it names first."""
        folder.mkdir(parents=True, exist_ok=True)
        data = save_data(folder, self.engine, self.data)
        with collector_paused():
            raw = json.dumps(encode(self, data), separators=(",", ":")).encode("ascii")
        write_atomically(folder / CACHE_FILE, raw)
        prune_data(folder, self.engine, data.values())
        for name in OLD_CACHE_FILES:
            (folder / name).unlink(missing_ok=True)

    def replace(self, other: BuildCache) -> None:
        """Take over another cache's state (the state of the build that just succeeded)."""
        self.engine, self.parsed, self.files = other.engine, other.parsed, other.files
        self.scans, self.output_dir = other.scans, other.output_dir
        self.project, self.data = other.project, other.data


def relocated(cache: BuildCache, made_in: Path) -> BuildCache:
    """A cache made in the folder `made_in`, for use in `cache.project`: its output folder moved
    along with the project, and every `stat` it recorded forgotten. Sizes and times of files in
    another folder prove nothing (a fresh checkout dates every file to the checkout), so each
    source is hashed before its parsed entry is used, and each output file before it is kept."""
    output_dir = Path(cache.output_dir)
    if output_dir.is_relative_to(made_in):
        output_dir = Path(cache.project) / output_dir.relative_to(made_in)
    return BuildCache(
        cache.engine,
        {name: replace(entry, mtime_ns=-1) for name, entry in cache.parsed.items()},
        {name: replace(record, mtime_ns=-1, inode=-1) for name, record in cache.files.items()},
        cache.scans,
        str(output_dir),
        cache.project,
        cache.data,
        f"The saved cache was made in {made_in}: every file it names is checked by its content.",
    )


def verified_output(cache: BuildCache, out_dir: Path) -> BuildCache:
    """`cache` with the records of output files whose `stat` changed but whose bytes did not
    (a folder restored from a CI cache, a copy) brought up to date, so they are kept rather than
    rendered again; the same object when there are none. Files are hashed only when their size
    is the recorded one, so an edited folder costs little more than the stat calls."""
    if cache.output_dir != str(out_dir) or not cache.files:
        return cache
    refreshed = {}
    for name, info in scan_output(out_dir).items():
        record = cache.files.get(name)
        if record is None or record.size != info.st_size:
            continue
        if (record.mtime_ns, record.inode) == (info.st_mtime_ns, info.st_ino):
            continue
        if _file_digest(out_dir / name) == record.digest:
            refreshed[name] = replace(record, mtime_ns=info.st_mtime_ns, inode=info.st_ino)
    if not refreshed:
        return cache
    return replace(cache, files={**cache.files, **refreshed})


def _file_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError:
        return None


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


def data_key(key: str, reads: Iterable[str], inputs: Mapping[str, str]) -> str:
    """A page's key with the data files and config values it read (`data.event`, `site.title`):
    `key` (`page_key`) and the hash of each, "absent" for a name that has none; a name ending
    in "*" stands for every name it starts (`data.*`: every data file). Recorded with the page
    (`FileRecord.reads`): if none of them changed, the page reads the same ones again and
    comes out the same, so it is kept."""
    names: set[str] = set()
    for name in reads:
        if name.endswith("*"):
            names.update(other for other in inputs if other.startswith(name[:-1]))
        names.add(name)
    if not names:
        return key
    return digest_of(key, [(name, inputs.get(name, "absent")) for name in sorted(names)])


def record_of(path: Path, key: str, digest: str, reads: tuple[str, ...] = ()) -> FileRecord:
    """Stat a file just written (or linked) so a later build can tell whether it was touched."""
    info = os.stat(path)
    return FileRecord(key, digest, info.st_size, info.st_mtime_ns, info.st_ino, reads)


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
    # Thousands of files kept as they were are the same records: passed over at C speed.
    written = compress(new.items(), map(operator.is_not, new.values(), map(old.get, new)))
    found = [
        name
        for name, record in written
        if (was := old.get(name)) is None or was.digest != record.digest
    ]
    return sorted(found + [name for name in old.keys() - new.keys()])
