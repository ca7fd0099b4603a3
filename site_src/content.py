"""Turning a source's text into a `Page`: front matter split off and checked, and its URL.

Pure: no I/O, no globals (`sources` reads the files).
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import (
    SiteError,
    located,
    short_repr,
)
from .model import FrontMatter, Page, Source
from .paths import (
    UNSAFE_NAME_CHARS,
)
from .yamlfile import parse_yaml

FRONT_MATTER_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "description": (str,),
    "slug": (str,),
    "template": (str,),
    "order": (int,),
    "draft": (bool,),
    "date": (datetime.date,),
    "extra": (dict,),
}
SLUG_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
FENCE = "---"
# What `new` writes as a page's description, so a build can tell one left unchanged.
DESCRIPTION_PLACEHOLDER = (
    "One sentence on what this page says, for search results and link previews."
)
PLAIN_SLUG_LINE = re.compile(
    rf"^slug:[ \t]*(['\"]?)({SLUG_PATTERN.pattern})\1[ \t]*(?:#.*)?$", re.MULTILINE
)


def parse_page(source: Source, content_root: str) -> tuple[Page, list[SiteError]]:
    """Split front matter from body, validate it and work out the page's URL; return warnings."""
    text = source.text
    if not text.strip():
        raise located(
            "the file is empty",
            source.path,
            None,
            1,
            1,
            "Start it with front matter:\n---\ntitle: A title\n---",
        )
    yaml_text, body_line = _split(source)
    mapping, lines = _load_front_matter(yaml_text, source)
    warnings = _unknown_keys(mapping, lines, source)
    meta = _front_matter(mapping, lines, source)
    if meta.description == DESCRIPTION_PLACEHOLDER:
        warnings.append(_placeholder_description(lines.get("description"), source))
    markdown = "\n".join(text.split("\n")[body_line - 1 :])
    url = page_url(source.path, content_root, meta.slug)
    return Page(source.path, url, meta, markdown, body_line, text), warnings


def _split(source: Source) -> tuple[str, int]:
    lines = source.text.split("\n")
    if lines[0].rstrip() != FENCE:
        raise located(
            "missing front matter: the file must start with a line '---'",
            source.path,
            source.text,
            1,
            1,
            "Add front matter with at least a title:\n---\ntitle: A title\n---",
        )
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in (FENCE, "..."):
            return "\n".join(lines[1:index]), index + 2
    raise located(
        "front matter is not closed: no second '---' line",
        source.path,
        source.text,
        1,
        1,
        "End the front matter with a line containing only '---'.",
    )


def _load_front_matter(yaml_text: str, source: Source) -> tuple[dict[str, Any], dict[str, int]]:
    node, data = parse_yaml(yaml_text, source.path, source.text, 1, "front matter")
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise located(
            f"front matter must be a mapping of keys to values, not {kind}",
            source.path,
            source.text,
            2,
            1,
            "Write it as 'key: value' lines, e.g. 'title: My page'.",
        )
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return {str(k): v for k, v in data.items()}, lines


def _unknown_keys(
    mapping: Mapping[str, Any], lines: Mapping[str, int], source: Source
) -> list[SiteError]:
    warnings = []
    for key in mapping:
        if key not in FRONT_MATTER_TYPES:
            close = difflib.get_close_matches(key, FRONT_MATTER_TYPES, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "put free-form values under 'extra:'"
            warnings.append(
                located(
                    f"unknown front matter key '{key}'",
                    source.path,
                    source.text,
                    lines.get(key),
                    1,
                    hint,
                    severity="warning",
                )
            )
    return warnings


def _placeholder_description(line: int | None, source: Source) -> SiteError:
    return located(
        "the description is still the placeholder that 'new' wrote",
        source.path,
        source.text,
        line,
        1,
        "Replace it with a sentence on what this page says: search results and link previews "
        "show it.",
        severity="warning",
    )


def _front_matter(
    mapping: Mapping[str, Any], lines: Mapping[str, int], source: Source
) -> FrontMatter:
    for key, types in FRONT_MATTER_TYPES.items():
        if key not in mapping:
            continue
        value = mapping[key]
        wrong_bool = bool not in types and isinstance(value, bool)
        if not isinstance(value, types) or wrong_bool or (key == "date" and _is_datetime(value)):
            raise located(
                f"front matter '{key}' must be {_expected(key)}, not {type(value).__name__} "
                f"{short_repr(value)}",
                source.path,
                source.text,
                lines.get(key),
                1,
                'Quote text values that look like numbers or dates, e.g. title: "2025"',
            )
    title = mapping.get("title")
    if not isinstance(title, str) or not title.strip():
        raise located(
            "front matter has no title" if title is None else "the title is empty",
            source.path,
            source.text,
            lines.get("title", 2),
            1,
            "Add a line such as 'title: My page' to the front matter.",
        )
    known = {k: v for k, v in mapping.items() if k in FRONT_MATTER_TYPES}
    if "slug" in known:
        _check_slug(known["slug"], lines.get("slug"), source)
    if "template" in known:
        _check_template(known["template"], lines.get("template"), source)
    known["title"] = title.strip()
    return FrontMatter(**known, lines=dict(lines))


def _is_datetime(value: Any) -> bool:
    return isinstance(value, datetime.datetime)


def _expected(key: str) -> str:
    return {
        "order": "a whole number",
        "draft": "true or false",
        "date": "a date (YYYY-MM-DD)",
        "extra": "a mapping",
    }.get(key, "text")


def _check_slug(slug: str, line: int | None, source: Source) -> None:
    if not SLUG_PATTERN.fullmatch(slug) or ".." in slug:
        raise located(
            f"slug {slug!r} is not allowed: use letters, digits, '.', '-' and '_' only",
            source.path,
            source.text,
            line,
            1,
            "A slug names one folder of the page's URL, e.g. slug: stages",
        )


def _check_template(name: str, line: int | None, source: Source) -> None:
    parts = name.split("/")
    unsafe = any(ch in UNSAFE_NAME_CHARS or ord(ch) < 32 for ch in name)
    if not name or unsafe or any(part in ("", ".", "..") for part in parts):
        raise located(
            f"template {name!r} is not a template name",
            source.path,
            source.text,
            line,
            1,
            "Name a file under the templates folder, e.g. template: page.html",
        )


def page_url(source_path: str, content_root: str, slug: str | None) -> str:
    """content/keynote.md -> /keynote/, content/index.md -> /, content/a/index.md -> /a/."""
    relative = Path(source_path).relative_to(content_root).with_suffix("")
    parts = list(relative.parts)
    if slug is not None:
        parts[-1] = slug
    elif parts[-1] == "index":
        parts.pop()
    return "/" + "".join(f"{part}/" for part in parts)
