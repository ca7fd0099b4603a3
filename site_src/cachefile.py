"""The cache file: JSON, every value checked on the way in.

A cache must never be able to run code (so not pickle), and a damaged, foreign or stale one only
costs a full build: every value is checked for its type as it is read, and anything unexpected
raises, which `cache.BuildCache.load` turns into an empty cache and a note saying why.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gc
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import Location, SiteError
from .links import PageScan
from .model import FileRecord, FrontMatter, Link, PageInfo, Parsed, ParsedData

if TYPE_CHECKING:
    from .cache import BuildCache

FORMAT = 10
# Free-form front matter is saved only up to this size; a bigger value (a YAML alias bomb, say)
# is parsed again by the next build instead of being expanded into the cache file.
VALUE_NODES = 10_000
VALUE_DEPTH = 50
# The folder, beside the cache file, that holds each data file's value in a file of its own.
DATA_FOLDER = "data"
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
DATA_FILE = re.compile(r"[0-9a-f]{1,16}-[0-9a-f]{64}\.json")

Decoded = tuple[
    dict[str, Parsed],
    dict[str, FileRecord],
    dict[str, PageScan],
    str,
    dict[str, ParsedData],
    str,
]


class _Unfit(ValueError):
    """The cache file (or a value to save in it) is not what this format holds."""


class Foreign(Exception):
    """The cache file is sound but not for this build: it says whose it is."""


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Loading a large cache makes a million small objects and no cycles; the cyclic garbage
    collector would walk them over and over as they are made (more than half the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_own_file(path: Path) -> bytes:
    """The bytes of a regular file of ours: not a link, a device or another user's file."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise Foreign("not a file of this user's")
        return stream.read()


def encode(cache: BuildCache, data: Mapping[str, str]) -> dict[str, Any]:
    """The cache document; `data` names each data file's digest (`save_data` saved the values)."""
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
        "data": dict(data),
    }


def decode(document: Any, engine: str, folder: Path) -> Decoded:
    """What a cache document in `folder` holds (parsed sources, file records, scans, output
    folder, parsed data files, the project folder it was made in), if it is this format's and
    was made by this engine (else raise `Foreign`)."""
    if document["format"] != FORMAT:
        raise Foreign("written in another format")
    if document["engine"] != engine:
        raise Foreign("made by other engine code or libraries")
    return (
        {_str(name): _decode_parsed(row) for name, row in _dict(document["parsed"]).items()},
        {_str(name): _decode_record(row) for name, row in _dict(document["files"]).items()},
        {_str(name): _decode_scan(row) for name, row in _dict(document["scans"]).items()},
        _str(document["output_dir"]),
        {
            _str(name): ParsedData(digest, stored=str(data_path(folder, engine, digest)))
            for name, digest in _dict(document["data"]).items()
            if HEX_DIGEST.fullmatch(_str(digest))
        },
        _str(document["project"]),
    )


def data_entry(digest: str, value: object, size: int) -> ParsedData | None:
    """A parsed data file as a cache entry; None if its value is not one to cache (too deep, or
    more values than its `size` in bytes can write without aliases: it is parsed again instead)."""
    try:
        return ParsedData(digest, encode_value(value, VALUE_NODES + size))
    except _Unfit:
        return None


def data_value(entry: ParsedData) -> tuple[bool, Any]:
    """(True, the value) a data file's cache entry stands for, read from its own file if it is
    `stored`; (False, None) if the entry or the file is not one this format can have made."""
    try:
        if not entry.stored:
            return True, decode_value(entry.encoded)
        with collector_paused():
            document = json.loads(read_own_file(Path(entry.stored)))
        if document["format"] != FORMAT or document["digest"] != entry.digest:
            return False, None
        return True, decode_value(document["value"])
    except (OSError, Foreign, _Unfit, ValueError, TypeError, KeyError, RecursionError):
        return False, None


def data_path(folder: Path, engine: str, digest: str) -> Path:
    """Where the cache in `folder` keeps the value of the data file with these bytes; named for
    the engine too, as another engine's parser may have made another value of them."""
    return folder / DATA_FOLDER / f"{engine[:16]}-{digest}.json"


def save_data(folder: Path, engine: str, entries: Mapping[str, ParsedData]) -> dict[str, str]:
    """Give each data file's value its file in the cache `folder` (written if this process
    parsed it, else already there); return the data files' digests by name, leaving out any
    whose value is stored elsewhere or gone (the next build parses it again)."""
    saved = {}
    for name, entry in entries.items():
        path = data_path(folder, engine, entry.digest)
        if not entry.stored:
            document = {"format": FORMAT, "digest": entry.digest, "value": entry.encoded}
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, json.dumps(document, separators=(",", ":")).encode("ascii"))
        elif entry.stored != str(path) or not path.is_file():
            continue
        saved[name] = entry.digest
    return saved


def prune_data(folder: Path, engine: str, digests: Iterable[str]) -> None:
    """Remove the data values of the cache in `folder` that it no longer names (only files
    named as `data_path` names them: nothing else there is ours to remove)."""
    kept = {data_path(folder, engine, digest).name for digest in digests}
    with contextlib.suppress(FileNotFoundError):
        for path in (folder / DATA_FOLDER).iterdir():
            if DATA_FILE.fullmatch(path.name) and path.name not in kept:
                path.unlink(missing_ok=True)


def write_atomically(path: Path, raw: bytes) -> None:
    """A half-written cache file must never be read back: write aside, then rename."""
    handle, temporary = tempfile.mkstemp(prefix=".cache-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(raw)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _record_fields(record: FileRecord) -> tuple[str, str, int, int, int, list[str]]:
    fields = (record.key, record.digest, record.size, record.mtime_ns, record.inode)
    return (*fields, list(record.reads))


def _decode_record(row: Any) -> FileRecord:
    key, digest, size, mtime_ns, inode, reads = row
    names = tuple(_str(name) for name in _list(reads))
    return FileRecord(_str(key), _str(digest), _int(size), _int(mtime_ns), _int(inode), names)


def _encode_parsed(entry: Parsed) -> list[Any]:
    page, meta = entry.page, entry.page.meta
    return [
        entry.digest,
        entry.size,
        entry.mtime_ns,
        [page.source, page.url, page.body_line],
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
            meta.lang,
            encode_value(meta.written),
            meta.title_in_content,
            # Sites that grow: updated, feed, aliases, paginate, search.
            encode_value(meta.updated),
            meta.feed,
            encode_value(list(meta.aliases)),
            meta.paginate,
            meta.search,
            meta.macros,
        ],
        [_encode_error(warning) for warning in entry.warnings],
    ]


def _decode_parsed(row: Any) -> Parsed:
    digest, size, mtime_ns, (source, url, body_line), meta, warnings = row
    title, description, slug, template, order, draft, date, extra, lines = meta[:9]
    lang, written, title_in_content, updated, feed, aliases, paginate, search, macros = meta[9:]
    when, changed = decode_value(date), decode_value(updated)
    for day in (when, changed):
        if day is not None and not isinstance(day, datetime.date):
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
        None if lang is None else _str(lang),
        _dict(decode_value(written)),
        _bool(title_in_content),
        changed,
        feed,
        tuple(_list(decode_value(aliases))),
        _int(paginate),
        _bool(search),
        _bool(macros),
    )
    page = PageInfo(_str(source), _str(url), front, _int(body_line))
    errors = tuple(_decode_error(item) for item in _list(warnings))
    return Parsed(_str(digest), page, errors, _int(size), _int(mtime_ns))


def _encode_error(error: SiteError) -> list[Any]:
    where = error.where
    place = None if where is None else [where.path, where.line, where.column]
    return [error.message, place, error.hint, error.excerpt, error.severity, error.code]


def _decode_error(row: Any) -> SiteError:
    message, place, hint, excerpt, severity, code = row
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
        code=_str(code),
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
        [link.written for link in links],
        [_encode_error(warning) for warning in scan.warnings],
        [_encode_error(warning) for warning in scan.linked],
    ]


def _decode_scan(row: Any) -> PageScan:
    url, origin, ids, refs, ref_lines, duplicates, duplicate_lines = row[:7]
    hrefs, lines, columns, reported, written, warnings, linked = row[7:]
    if not len(hrefs) == len(lines) == len(columns) == len(written):
        raise _Unfit("links of different lengths")
    return PageScan(
        _str(url),
        _str(origin),
        frozenset(_column(ids, str)),
        tuple(zip(_column(refs, str), _column(ref_lines, int), strict=True)),
        tuple(zip(_column(duplicates, str), _column(duplicate_lines, int), strict=True)),
        tuple(
            map(
                Link,
                _column(hrefs, str),
                _column(lines, int),
                _column(columns, int, None),
                _column(written, str),
            )
        ),
        frozenset(_column(reported, str)),
        tuple(_decode_error(item) for item in _list(warnings)),
        tuple(_decode_error(item) for item in _list(linked)),
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


def encode_value(value: object, nodes: int = VALUE_NODES) -> Any:
    """A free-form value as JSON data; `_Unfit` for a type, size (more than `nodes` values) or
    depth this format refuses."""
    left = nodes

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
