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
from .markdown import heading_text
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
    "lang": (str,),
    "updated": (datetime.date,),
    "feed": (bool, str),
    "aliases": (list,),
    "paginate": (int,),
    "search": (bool,),
    "macros": (bool,),
}
# A BCP 47 language tag as <html lang> takes it: en, zh-Hans, pt-BR, de-CH-1996.
LANG_PATTERN = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# How alike a key must be to a known one to be taken for a typo of it (difflib's ratio):
# `titel` and `descripton` are, `section` (0.67 to description) is a key of its own.
TYPO_RATIO = 0.8
# The lines that can start a level-1 heading (ATX `# Title`, or the `===` under a setext one),
# and those that open or close a fenced code block, whose lines are never headings.
ATX_H1 = re.compile(r"^ {0,3}#(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
# A line that could make a level-1 heading, searched for in "\n" + the text (a literal "\n" is
# ten times quicker to search for than a multi-line "^"): most pages have none, and then no line
# scan is needed.
MAYBE_H1 = re.compile(r"\n {0,3}(?:#(?:[ \t]|\n|\Z)|=+[ \t]*(?:\n|\Z))")
CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
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
    """Split front matter from body, validate it and work out the page's URL; return warnings.

    Front matter is optional: without a `title`, the body's first level-1 heading is the title
    (and `title_in_content` tells templates not to print it again)."""
    text = source.text
    if not text.strip():
        raise located(
            "the file is empty",
            source.path,
            None,
            1,
            1,
            "Start it with a heading such as '# A title', its title, or with front matter:"
            "\n---\ntitle: A title\n---",
        )
    yaml_text, body_line = _split(source)
    mapping, lines = _load_front_matter(yaml_text, source) if body_line > 1 else ({}, {})
    warnings = _unknown_keys(mapping, lines, source)
    markdown = "\n".join(text.split("\n")[body_line - 1 :])
    meta = _front_matter(mapping, lines, source, first_heading(markdown), body_line)
    if meta.description == DESCRIPTION_PLACEHOLDER:
        warnings.append(_placeholder_description(lines.get("description"), source))
    url = page_url(source.path, content_root, meta.slug)
    return Page(source.path, url, meta, markdown, body_line, text), warnings


def _split(source: Source) -> tuple[str, int]:
    """The front matter's YAML and the line the body starts on (1: there is no front matter)."""
    lines = source.text.split("\n")
    if lines[0].rstrip() != FENCE:
        return "", 1
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


def first_heading(markdown: str) -> str | None:
    """The text of the first level-1 heading (`# Title` or `Title` over `===`) outside code
    blocks, as plain text; None if there is none. A line scan: no Markdown parse per page."""
    if not MAYBE_H1.search("\n" + markdown):
        return None
    fence = ""
    previous = ""
    for line in markdown.split("\n"):
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        opening = CODE_FENCE.match(line)
        if opening:
            fence = opening.group(1)
            previous = ""
            continue
        atx = ATX_H1.match(line)
        if atx:
            title = heading_text(atx.group(1) or "")
            if title:
                return title
        elif SETEXT_H1.match(line) and previous.strip() and not previous.startswith("    "):
            title = heading_text(previous.strip())
            if title:
                return title
        previous = line
    return None


def _load_front_matter(yaml_text: str, source: Source) -> tuple[dict[str, Any], dict[str, int]]:
    node, data = parse_yaml(yaml_text, source.path, source.text, 1, "front matter")
    if data is None and not yaml_text.strip():
        return {}, {}
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
    """A warning for each key that looks like a typo of a known one; other keys are the page's
    own (templates read them as `page.meta.KEY`) and are kept without a word."""
    warnings = []
    for key in mapping:
        if key in FRONT_MATTER_TYPES:
            continue
        close = difflib.get_close_matches(key.lower(), FRONT_MATTER_TYPES, n=1, cutoff=TYPO_RATIO)
        if not close:
            continue
        warnings.append(
            located(
                f"unknown front matter key '{key}': did you mean '{close[0]}'?",
                source.path,
                source.text,
                lines.get(key),
                1,
                f"Rename it to '{close[0]}'. (Templates still see it as page.meta['{key}'].)",
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
    mapping: Mapping[str, Any],
    lines: Mapping[str, int],
    source: Source,
    heading: str | None,
    body_line: int,
) -> FrontMatter:
    for key, types in FRONT_MATTER_TYPES.items():
        if key not in mapping:
            continue
        value = mapping[key]
        wrong_bool = bool not in types and isinstance(value, bool)
        dated = key in ("date", "updated") and _is_datetime(value)
        if not isinstance(value, types) or wrong_bool or dated:
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
    written = title.strip() if isinstance(title, str) else ""
    if not written and heading is None:
        raise _no_title(title, lines, source, body_line)
    known = {k: v for k, v in mapping.items() if k in FRONT_MATTER_TYPES}
    if "slug" in known:
        _check_slug(known["slug"], lines.get("slug"), source)
    if "template" in known:
        _check_template(known["template"], lines.get("template"), source)
    if "lang" in known:
        _check_lang(known["lang"], lines.get("lang"), source)
    known["title"] = written or heading
    if "aliases" in known:
        known["aliases"] = tuple(known["aliases"])
    return FrontMatter(
        **known,
        lines=dict(lines),
        written=dict(mapping),
        title_in_content=heading is not None and known["title"] == heading,
    )


def _no_title(title: object, lines: Mapping[str, int], source: Source, body_line: int) -> SiteError:
    heading = "or start the text with a heading such as '# My page'"
    if body_line == 1:
        return located(
            "the page has no title: no front matter and no '# heading'",
            source.path,
            source.text,
            1,
            1,
            "Start the page with a heading such as '# My page' (its title), or with front "
            "matter:\n---\ntitle: My page\n---",
        )
    return located(
        "front matter has no title" if title is None else "the title is empty",
        source.path,
        source.text,
        lines.get("title", 2),
        1,
        f"Add a line such as 'title: My page' to the front matter, {heading}.",
    )


def _check_lang(lang: str, line: int | None, source: Source) -> None:
    if not LANG_PATTERN.fullmatch(lang):
        raise located(
            f"lang {lang!r} is not a language tag",
            source.path,
            source.text,
            line,
            1,
            "Write a BCP 47 language tag, as <html lang> takes it: en, de, zh-Hans, pt-BR.",
        )


def _is_datetime(value: Any) -> bool:
    return isinstance(value, datetime.datetime)


def _expected(key: str) -> str:
    return {
        "order": "a whole number",
        "draft": "true or false",
        "date": "a date (YYYY-MM-DD)",
        "updated": "a date (YYYY-MM-DD)",
        "feed": "true, false, summary or full",
        "aliases": "a list of old URLs such as [/old-url/]",
        "paginate": "a whole number",
        "search": "true or false",
        "macros": "true or false",
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
    """content/keynote.md -> /keynote/, content/index.md -> /, content/a/index.md -> /a/.

    A folder's README.md is its page too, as GitHub shows it: content/a/README.md -> /a/ (a
    folder with both an index.md and a README.md has two pages at one URL, an error)."""
    relative = Path(source_path).relative_to(content_root).with_suffix("")
    parts = list(relative.parts)
    if slug is not None:
        parts[-1] = slug
    elif parts[-1] == "index" or parts[-1].lower() == "readme":
        parts.pop()
    return "/" + "".join(f"{part}/" for part in parts)
