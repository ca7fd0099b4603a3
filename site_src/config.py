"""The site's configuration: one YAML file (site.yml), typed and strict, with defaults that work.

Precedence for the base URL: command line, then the SITE_BASE_URL environment variable, then the file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import BuildFailed, Location, SiteError, from_yaml_error, located

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
    extra: Mapping[str, Any] = field(default_factory=dict)
    source: str = CONFIG_FILE

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
    "extra": (dict, "free-form values for templates as site.extra"),
}
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
    """Read and validate the config file (optional), then apply environment and CLI overrides."""
    root = root.resolve()
    path = root / config_file
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    text = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        values, lines = _parse(text, config_file)
    errors = [_check_key(key, value, config_file, text, lines) for key, value in values.items()]
    problems = [e for e in errors if e is not None]
    if problems:
        raise problems[0] if len(problems) == 1 else BuildFailed(problems)
    env = os.environ if environ is None else environ
    if env.get(BASE_URL_ENV):
        values["base_url"] = env[BASE_URL_ENV]
    if base_url is not None:
        values["base_url"] = base_url
    if output_dir is not None:
        values["output_dir"] = output_dir
    if drafts is not None:
        values["drafts"] = drafts
    values["base_url"] = _normalise_base_url(values.get("base_url", "/"), config_file, lines)
    values["nav"] = _nav(values.get("nav", []), config_file, text, lines)
    for key, default in DEFAULT_FOLDERS.items():
        values[key] = (root / values.get(key, default)).resolve()
    config = Config(root=root, source=config_file, **values)
    _check_folders(config, text, lines)
    return config


def _parse(text: str, name: str) -> tuple[dict[str, Any], dict[str, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        raise from_yaml_error(exc, name, text, 0, "the config file") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise located("the config file must be a mapping of keys to values", name, text, 1, 1)
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return {str(k): v for k, v in data.items()}, lines


def _check_key(
    key: str, value: Any, name: str, text: str, lines: Mapping[str, int]
) -> SiteError | None:
    line = lines.get(key)
    if key not in SCHEMA:
        close = difflib.get_close_matches(key, SCHEMA, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(SCHEMA)}"
        return located(f"unknown config key '{key}'", name, text, line, 1, hint)
    expected, meaning = SCHEMA[key]
    if value is None and key in ("cname", "calendar"):
        return None
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        kind = expected.__name__ if isinstance(expected, type) else "value"
        return located(
            f"config key '{key}' must be a {_type_word(kind)}, not {_describe(value)}",
            name,
            text,
            line,
            1,
            f"'{key}' is {meaning}",
        )
    return None


def _type_word(kind: str) -> str:
    return {"str": "string", "bool": "true/false", "list": "list", "dict": "mapping"}.get(
        kind, kind
    )


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _normalise_base_url(value: str, name: str, lines: Mapping[str, int]) -> str:
    parts = urlsplit(value)
    bad = (parts.scheme and parts.scheme not in ("http", "https")) or parts.query or parts.fragment
    if (
        bad
        or (parts.scheme and not parts.netloc)
        or (not parts.scheme and not value.startswith("/"))
    ):
        raise SiteError(
            f"base_url {value!r} is not a URL or an absolute path",
            Location(name, lines.get("base_url")),
            "Use https://USER.github.io/REPO/ for a project site, or / for a site at the root.",
        )
    return value if value.endswith("/") else value + "/"


def _nav(
    entries: list[Any], name: str, text: str, lines: Mapping[str, int]
) -> tuple[NavEntry, ...]:
    line = lines.get("nav")
    result = []
    for index, entry in enumerate(entries):
        ok = isinstance(entry, dict) and isinstance(entry.get("title"), str)
        target = [k for k in ("page", "url") if isinstance(entry, dict) and k in entry]
        if not ok or len(target) != 1 or set(entry) - {"title", "page", "url"}:
            raise located(
                f"nav entry {index + 1} must have a title and exactly one of 'page' or 'url'",
                name,
                text,
                line,
                1,
                "Example:  - {title: Keynote, page: keynote.md}",
            )
        result.append(NavEntry(entry["title"], entry.get("page"), entry.get("url"), line))
    return tuple(result)


def _check_folders(config: Config, text: str, lines: Mapping[str, int]) -> None:
    """Refuse output or cache folders whose replacement would destroy something else."""
    protected = {config.root, config.content_dir, config.templates_dir, config.static_dir}
    protected.add(config.data_dir)
    for key in ("output_dir", "cache_dir"):
        folder: Path = getattr(config, key)
        dangerous = (
            folder in protected
            or folder == Path(folder.anchor)
            or folder == Path.home()
            or folder in config.root.parents
            or any(folder in p.parents or p in folder.parents for p in protected - {config.root})
        )
        if dangerous:
            raise located(
                f"{key} {str(folder)!r} would overwrite the project, its sources or a folder above them",
                config.source,
                text or None,
                lines.get(key),
                1,
                "Use a folder of its own, such as _site.",
            )
