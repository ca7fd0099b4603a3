"""The data folder: each data/*.yml parsed once, and its value loaded only where a page reads it.

A data file's parsed value is cached by the hash of its bytes, in a file of its own in the cache
folder (`cachefile.save_data`). A later build with the same bytes neither parses nor loads the
value until a template asks for it (`DataValues`), so megabytes of data cost a no-op build, or
an edit to a page that does not use them, no more than hashing their bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import digest_bytes
from .cachefile import data_entry, data_value
from .config import Config
from .errors import Location, SiteError, decode_text, project_path
from .model import ParsedData
from .paths import Sources, read_regular, source_files
from .yamlfile import parse_yaml


class Unloaded(Mapping[str, Any]):
    """Stands in for a data file that failed to load: any use of it raises that file's error again.

    The report shows an error once, so a broken data file is one error, not one more for every
    template or calendar that reads it. A Mapping, so that checks for one do not fail first."""

    __slots__ = ("error",)

    def __init__(self, error: SiteError) -> None:
        self.error = error

    def __reduce__(self) -> tuple[object, ...]:
        return (Unloaded, (self.error,))

    def _again(self) -> SiteError:
        error = self.error
        return SiteError(
            error.message, error.where, error.hint, excerpt=error.excerpt, severity=error.severity
        )

    def __getattr__(self, name: str) -> Any:
        raise self._again()

    def __getitem__(self, key: str) -> Any:
        raise self._again()

    def __iter__(self) -> Iterator[str]:
        raise self._again()

    def __len__(self) -> int:
        raise self._again()

    def __str__(self) -> str:
        raise self._again()

    def __bool__(self) -> bool:
        raise self._again()


@dataclass(frozen=True, slots=True)
class Cached:
    """A data file whose value the cache holds for these very bytes, not yet loaded. The bytes
    come along: if the cached value turns out to be unusable (a damaged cache file), they are
    parsed again, which cannot fail, as they parsed before."""

    entry: ParsedData
    raw: bytes
    name: str

    def load(self) -> Any:
        usable, value = data_value(self.entry)
        if usable:
            return value
        return parse_text(self.raw, self.name)


class DataValues(Mapping[str, Any]):
    """The `data` of one build, by file stem: cached values are loaded on first read.

    Each build makes its own, and a value is loaded afresh for it, so what one build's templates
    do to a value cannot reach the next build of a dev server that keeps its cache in memory."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, name: str) -> Any:
        value = self._values[name]
        if type(value) is Cached:
            value = self._values[name] = value.load()
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


def read_data(
    config: Config, known: Mapping[str, ParsedData] | None = None
) -> tuple[DataValues, dict[str, bytes], dict[str, ParsedData], list[SiteError]]:
    """The data folder, read once: each data/*.yml's value by file stem (`Unloaded` if it
    failed), the bytes of every file there (for the cache key), the parsed data files by file
    name (for the next build's cache), and the problems.

    `known`: the previous build's parsed data files; one whose bytes hash the same is not parsed
    again. A file that failed to load has no entry, so its error is reported by every build."""
    data: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    parsed: dict[str, ParsedData] = {}
    if not config.data_dir.is_dir():
        return DataValues(data), files, parsed, []
    found, errors = source_files(config.data_dir, Sources.of(config), recursive=False)
    for parts, file in found:
        path, name = Path(file), project_path(file, str(config.root))
        is_data = path.suffix in (".yml", ".yaml")
        try:
            if is_data and path.stem in data:
                raise SiteError(
                    f"two data files are named '{path.stem}' (.yml and .yaml)",
                    Location(name),
                    f"Keep one of them: templates know both as data.{path.stem}.",
                )
            files[parts[-1]] = raw = read_regular(path, name)
            if is_data:
                data[path.stem], entry = parse_data(raw, name, (known or {}).get(parts[-1]))
                if entry is not None:
                    parsed[parts[-1]] = entry
        except SiteError as error:
            if is_data:
                errors.append(error)
                data.setdefault(path.stem, Unloaded(error))
    return DataValues(data), files, parsed, errors


def parse_data(raw: bytes, name: str, known: ParsedData | None) -> tuple[Any, ParsedData | None]:
    """A data file's value (`Cached` if `known` was parsed from these very bytes) with its cache
    entry (None if the value is not one to cache). Raises the file's SiteError."""
    digest = digest_bytes(raw)
    if known is not None and known.digest == digest:
        return Cached(known, raw, name), known
    value = parse_text(raw, name)
    return value, data_entry(digest, value, len(raw))


def parse_text(raw: bytes, name: str) -> Any:
    text = decode_text(raw, name)
    return parse_yaml(text, name, text, 0, "the data file")[1]


def load_data(config: Config) -> tuple[DataValues, list[SiteError]]:
    """Read data/*.yml into a mapping from file stem to its value (`Unloaded` if it failed)."""
    data, _files, _parsed, errors = read_data(config)
    return data, errors
