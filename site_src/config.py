"""The site's configuration: one YAML file (site.yml), typed and strict, with defaults that work.

Precedence for the base URL: command line, then the SITE_BASE_URL environment variable, then the file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import (
    BuildFailed,
    Location,
    Severity,
    SiteError,
    decode_text,
    located,
    project_path,
    short_repr,
)
from .paths import read_regular
from .urls import WEB_SCHEMES, BadURL, clean_url, redact
from .yamlfile import parse_yaml

CONFIG_FILE = "site.yml"
BASE_URL_ENV = "SITE_BASE_URL"


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A nav entry as written in the config: a title and either a content page or a site path."""

    title: str
    page: str | None = None
    url: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """Settings for one build. Paths are absolute; `base_path` is derived from `base_url`."""

    root: Path
    title: str = "Untitled site"
    description: str = ""
    language: str = "en"
    base_url: str = "/"
    author: str = ""
    nav: tuple[NavEntry, ...] = ()
    content_dir: Path = Path("content")
    templates_dir: Path = Path("templates")
    static_dir: Path = Path("static")
    data_dir: Path = Path("data")
    output_dir: Path = Path("_site")
    cache_dir: Path = Path(".site_cache")
    cname: str | None = None
    calendar: str | None = None
    drafts: bool = False
    raw_html: bool = True
    broken_links: Severity = "error"
    macros: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    search: bool = False
    source: str = CONFIG_FILE
    base_url_origin: Location | None = None
    search_origin: Location | None = None

    @property
    def base_path(self) -> str:
        """The path part of base_url, always with slashes at both ends: / or /REPO/."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def has_host(self) -> bool:
        return bool(urlsplit(self.base_url).netloc)


# key -> (type, what it means); the README documents the same keys.
SCHEMA: dict[str, tuple[type | tuple[type, ...], str]] = {
    "title": (str, "the site's name, used in page titles"),
    "description": (str, "default meta description"),
    "language": (str, "the lang attribute, e.g. en"),
    "base_url": (str, "where the site is published, e.g. https://USER.github.io/REPO/"),
    "author": (str, "who publishes the site"),
    "nav": (list, "navigation entries: {title, page} or {title, url}"),
    "content_dir": (str, "folder of Markdown pages"),
    "templates_dir": (str, "folder of Jinja templates"),
    "static_dir": (str, "folder of static assets"),
    "data_dir": (str, "folder of YAML data files"),
    "output_dir": (str, "folder the site is written to"),
    "cache_dir": (str, "folder for the incremental build cache"),
    "cname": (str, "custom domain written to CNAME"),
    "calendar": (str, "data file (without .yml) describing an event for an .ics file"),
    "drafts": (bool, "include pages marked draft"),
    "raw_html": (bool, "allow raw HTML in Markdown"),
    "broken_links": (str, "what a link to a missing page, file or #id is: error (default) or warn"),
    "macros": (bool, "evaluate {{ ... }} and {% ... %} in Markdown (data, components)"),
    "extra": (dict, "free-form values for templates as site.extra"),
    "timezone": (str, "the time zone of dates in front matter, e.g. Asia/Shanghai (default UTC)"),
    "search": (bool, "index the built site with Pagefind and show a search box (default false)"),
}
SOURCE_FOLDERS = ("content_dir", "templates_dir", "static_dir", "data_dir")
HOST_PATTERN = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
DEFAULT_FOLDERS = {
    "content_dir": "content",
    "templates_dir": "templates",
    "static_dir": "static",
    "data_dir": "data",
    "output_dir": "_site",
    "cache_dir": ".site_cache",
}


def load_config(
    root: Path,
    config_file: str = CONFIG_FILE,
    *,
    base_url: str | None = None,
    output_dir: str | None = None,
    drafts: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read and validate the config file (optional), then apply environment and CLI overrides.

    Every problem found is reported together (BuildFailed), each at its line of the config file,
    or naming the command line option or environment variable it came from.
    """
    root = root.resolve()
    values, raw = _read(root, config_file)
    origins = {key: raw.at(key) for key in values}
    env = os.environ if environ is None else environ
    for key, value, origin in (
        ("base_url", env.get(BASE_URL_ENV) or None, f"the {BASE_URL_ENV} environment variable"),
        ("base_url", base_url, "--base-url"),
        ("output_dir", output_dir, "--output"),
        ("drafts", drafts, "--drafts"),
    ):
        if value is not None:
            values[key], origins[key] = value, Location(origin)
    errors: list[SiteError] = []
    values["base_url"] = _collect(errors, _normalise_base_url, values.get("base_url", "/"), origins)
    values["nav"] = _collect(errors, _nav, values.get("nav", []), raw) or ()
    for key in ("cname", "calendar"):
        _collect(errors, _check_name, key, values.get(key), raw)
    _collect(errors, _check_timezone, values.get("timezone"), raw)
    if "broken_links" in values:
        values["broken_links"] = _collect(errors, _broken_links, values["broken_links"], raw)
    written = {key: str(values.get(key, default)) for key, default in DEFAULT_FOLDERS.items()}
    for key, default in DEFAULT_FOLDERS.items():
        values[key] = _collect(errors, _folder, root, key, written[key], origins) or root / default
    if errors:
        raise BuildFailed(errors)
    where = origins.get("base_url")
    config = Config(
        root=root,
        source=config_file,
        base_url_origin=where,
        search_origin=origins.get("search"),
        **values,
    )
    _check_folders(config, written, origins)
    return config


def _read(root: Path, config_file: str) -> tuple[dict[str, Any], ConfigText]:
    """The config file's values, each of a known key and the right type (or BuildFailed)."""
    if not (root / config_file).exists():
        if config_file != CONFIG_FILE:  # asked for by name: its absence is a mistake
            raise SiteError(
                f"there is no config file {config_file}",
                Location("--config"),
                f"Config files are named relative to the project folder ({root}).",
            )
        return {}, ConfigText(config_file, "", {})
    text = decode_text(read_regular(root / config_file, config_file), config_file)
    values, lines = _parse(text, config_file)
    raw = ConfigText(config_file, text, lines)
    problems = [_check_key(key, value, raw) for key, value in values.items()]
    errors = [problem for problem in problems if problem is not None]
    if errors:
        raise BuildFailed(errors)
    return values, raw


@dataclass(frozen=True, slots=True)
class ConfigText:
    """The config file's name and text, and the line of each top-level key (and nav entry)."""

    name: str
    text: str
    lines: Mapping[str, int]

    def at(self, key: str) -> Location:
        return Location(self.name, self.lines.get(key), 1 if key in self.lines else None)

    def error(self, message: str, key: str, hint: str | None = None) -> SiteError:
        return located(message, self.name, self.text or None, self.lines.get(key), 1, hint)


def _collect(errors: list[SiteError], check: Callable[..., Any], *args: Any) -> Any:
    """Run one check; keep its error for the joint report instead of stopping at it."""
    try:
        return check(*args)
    except SiteError as error:
        errors.append(error)
        return None


def _parse(text: str, name: str) -> tuple[dict[str, Any], dict[str, int]]:
    node, data = parse_yaml(text, name, text, 0, "the config file")
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise located("the config file must be a mapping of keys to values", name, text, 1, 1)
    lines = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[str(key.value)] = key.start_mark.line + 1
            if str(key.value) == "nav" and isinstance(value, yaml.SequenceNode):
                for index, item in enumerate(value.value):
                    lines[f"nav[{index}]"] = item.start_mark.line + 1
    return {str(k): v for k, v in data.items()}, lines


def _check_key(key: str, value: Any, raw: ConfigText) -> SiteError | None:
    if key not in SCHEMA:
        close = difflib.get_close_matches(key, SCHEMA, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(SCHEMA)}"
        return raw.error(f"unknown config key '{key}'", key, hint)
    expected, meaning = SCHEMA[key]
    if value is None and key in ("cname", "calendar"):
        return None
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        kind = expected.__name__ if isinstance(expected, type) else "value"
        return raw.error(
            f"config key '{key}' must be a {_type_word(kind)}, not {_describe(value)}",
            key,
            f"'{key}' is {meaning}",
        )
    return None


def _type_word(kind: str) -> str:
    return {"str": "string", "bool": "true/false", "list": "list", "dict": "mapping"}.get(
        kind, kind
    )


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {short_repr(value)}"


def _normalise_base_url(value: str, origins: Mapping[str, Location]) -> str:
    """Accept http(s)://host/path/ or /path/, encoded (spaces, non-ASCII, an IDN host); refuse
    anything a link could not start with, and a user name or password, which would be published."""
    hint = "Use https://USER.github.io/REPO/ for a project site, or / for a site at the root."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("bad:")
    segments = parts.path.split("/")
    bad = (
        (parts.scheme and parts.scheme not in ("http", "https"))
        or parts.query
        or parts.fragment
        or (parts.scheme and not parts.netloc)
        or (parts.netloc and not parts.scheme)
        or (not parts.scheme and not value.startswith("/"))
        or "." in segments
        or ".." in segments
        or any(ch in value for ch in '\\"<>')
    )
    if bad:
        raise SiteError(
            f"base_url {value!r} is not a URL or an absolute path", origins.get("base_url"), hint
        )
    try:
        cleaned = clean_url(value, WEB_SCHEMES)
    except BadURL as problem:
        where = origins.get("base_url")
        shown = redact(value)
        raise SiteError(f"base_url {shown!r} {problem}", where, problem.hint or hint) from None
    return cleaned if cleaned.endswith("/") else cleaned + "/"


def portable_repr(config: Config) -> str:
    """The config as the cache keys see it: its folders inside the project named from the
    project root, so a project built in another folder (a fresh checkout on a CI runner, a
    moved folder) keeps its cache; what a page renders never depends on where the project is."""
    moved: dict[str, Any] = {"root": Path(".")}
    for item in fields(config):
        value = getattr(config, item.name)
        if isinstance(value, Path) and value.is_relative_to(config.root) and item.name != "root":
            moved[item.name] = value.relative_to(config.root)
    return repr(replace(config, **moved))


def absolute_base_problem(config: Config, deploying: bool = False) -> SiteError | None:
    """Sitemaps, robots.txt, canonical and Open Graph URLs must be absolute: a base_url without
    a host (the default /) makes them relative, which search engines and link previews ignore.
    A build is only warned; a deploy, which publishes them, is refused."""
    if config.has_host:
        return None
    if deploying:
        message = (
            f"deploy needs a base_url with a host, not {config.base_url!r}: a published site's "
            "canonical, Open Graph and sitemap URLs must be absolute"
        )
    else:
        message = (
            f"base_url {config.base_url!r} has no host, so canonical and Open Graph URLs are "
            "relative and no sitemap.xml is written"
        )
    return SiteError(
        message,
        config.base_url_origin or Location(config.source),
        "Set base_url in site.yml to where the site is published, or pass "
        "--base-url https://USER.github.io/REPO/",
        severity="error" if deploying else "warning",
    )


def _nav(entries: list[Any], raw: ConfigText) -> tuple[NavEntry, ...]:
    result = []
    for index, entry in enumerate(entries):
        key = f"nav[{index}]" if f"nav[{index}]" in raw.lines else "nav"
        ok = isinstance(entry, dict) and isinstance(entry.get("title"), str)
        target = [k for k in ("page", "url") if isinstance(entry, dict) and k in entry]
        if ok and len(target) == 1 and not set(entry) - {"title", "page", "url"}:
            ok = isinstance(entry[target[0]], str) and bool(entry[target[0]].strip())
        else:
            ok = False
        if not ok:
            raise raw.error(
                f"nav entry {index + 1} must have a title and exactly one of 'page' or 'url' "
                "(both text)",
                key,
                "Example:  - {title: Keynote, page: keynote.md}",
            )
        url = entry.get("url")
        if url is not None:
            try:
                url = clean_url(url)
            except BadURL as problem:
                raise raw.error(
                    f"nav entry {index + 1} has a url {redact(url)!r} that {problem}",
                    key,
                    problem.hint or "Use a site path such as /about/ or an https:// address.",
                ) from None
        line = raw.lines.get(key)
        result.append(NavEntry(entry["title"], entry.get("page"), url, line))
    return tuple(result)


def _check_name(key: str, value: str | None, raw: ConfigText) -> None:
    """cname is a host name and calendar a data file name: neither may hold a path or a newline."""
    if value is None:
        return
    allowed = HOST_PATTERN if key == "cname" else NAME_PATTERN
    if not allowed.fullmatch(value.strip() if key == "cname" else value):
        what = "a domain name such as example.com" if key == "cname" else "a data file name"
        raise raw.error(f"config key '{key}' must be {what}, not {value!r}", key)


def _check_timezone(value: str | None, raw: ConfigText) -> None:
    """An IANA time zone name (Asia/Shanghai, Europe/Paris, UTC); the build's own time zone
    is never used, so two machines build the same bytes."""
    if value is None:
        return
    from .dates import zone

    try:
        zone(value)
    except ValueError:
        raise raw.error(
            f"config key 'timezone' must be a time zone name, not {value!r}",
            "timezone",
            "Use a name from the tz database such as UTC, Europe/Paris or Asia/Shanghai.",
        ) from None


BROKEN_LINKS = {"error": "error", "warn": "warning"}


def _broken_links(value: str, raw: ConfigText) -> Severity:
    """`error` (a broken link fails the build) or `warn` (the site is published, the links
    listed as warnings): the severity broken links get."""
    if value in BROKEN_LINKS:
        return "error" if value == "error" else "warning"
    close = difflib.get_close_matches(value, [*BROKEN_LINKS, "warning"], n=1, cutoff=0.5)
    guess = f"did you mean '{'warn' if close == ['warning'] else close[0]}'? " if close else ""
    raise raw.error(
        f"config key 'broken_links' must be error or warn, not {value!r}",
        "broken_links",
        f"{guess}error stops the build at a broken link; warn publishes the site and lists them.",
    )


def _folder(root: Path, key: str, value: str, origins: Mapping[str, Location]) -> Path:
    """Resolve a folder setting (following links); '~' and NUL are refused, not guessed at."""
    if value.startswith("~") or "\x00" in value or not value.strip():
        raise SiteError(
            f"{key} {value!r} is not a folder name",
            origins.get(key),
            "Write a path relative to the project folder ('~' is not expanded), such as _site.",
        )
    try:
        return (root / value).resolve()
    except (OSError, RuntimeError) as exc:
        raise SiteError(f"{key} {value!r} cannot be resolved: {exc}", origins.get(key)) from None


def _check_folders(
    config: Config, written: Mapping[str, str], origins: Mapping[str, Location]
) -> None:
    """Sources live in the project; output and cache may destroy nothing when replaced."""
    errors = []
    sources = [config.content_dir, config.templates_dir, config.static_dir, config.data_dir]
    for key, folder in zip(SOURCE_FOLDERS, sources, strict=True):
        if folder != config.root and config.root not in folder.parents:
            errors.append(
                SiteError(
                    f"{key} {written[key]!r} is outside the project folder",
                    origins.get(key),
                    "Keep content, templates, static files and data inside the project.",
                )
            )
        git = config.root / ".git"
        if folder == git or git in folder.parents:
            errors.append(
                SiteError(
                    f"{key} {written[key]!r} is inside the project's git repository",
                    origins.get(key),
                    "Point it at a folder of its own: everything in .git stays private.",
                )
            )
    flagged = set()
    for key in ("output_dir", "cache_dir"):
        reason = _danger(
            getattr(config, key), config.root, [s for s in sources if s != config.root]
        )
        if reason:
            flagged.add(key)
            hint = CACHE_HINT if key == "cache_dir" else HINT
            errors.append(SiteError(f"{key} {written[key]!r} {reason}", origins.get(key), hint))
    if "cache_dir" not in flagged and config.root not in config.cache_dir.parents:
        # The cache decides what a build may skip: a folder others can write to could lie to it.
        flagged.add("cache_dir")
        message = f"cache_dir {written['cache_dir']!r} is outside the project folder"
        errors.append(SiteError(message, origins.get("cache_dir"), CACHE_HINT))
    out, cache = config.output_dir, config.cache_dir
    if not flagged and (out == cache or out in cache.parents or cache in out.parents):
        errors.append(
            SiteError(
                f"output_dir {written['output_dir']!r} and cache_dir {written['cache_dir']!r} "
                "overlap: each build replaces the whole output folder",
                origins.get("output_dir") or origins.get("cache_dir"),
                HINT,
            )
        )
    if errors:
        raise BuildFailed(errors)


HINT = "Use a folder of its own inside or beside the project, such as _site."
CACHE_HINT = "Keep the cache in a folder of its own inside the project, such as .site_cache."


def _danger(folder: Path, root: Path, protected: list[Path]) -> str | None:
    """Why replacing `folder` wholesale could destroy something that is not ours, or None."""
    home = Path.home()
    if folder == Path(folder.anchor) or folder == home or folder in home.parents:
        return "is a system or home folder"
    if folder == root or folder in root.parents:
        return "would replace the project folder itself or a folder above it"
    if folder == root / ".git" or root / ".git" in folder.parents:
        return "is inside the project's git repository"
    for item in protected:
        if folder == item or folder in item.parents or item in folder.parents:
            shown = project_path(str(item), str(root))
            return f"overlaps {shown}/, which the build reads"
    return None
