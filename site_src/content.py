"""Content sources: finding the Markdown files, and turning each into a `Page` (front matter + URL).

`find_sources` and `load_data` are the only readers of content and data files; `parse_page` is pure.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .config import Config
from .errors import (
    Location,
    SiteError,
    decode_text,
    located,
    parse_yaml,
    project_path,
    short_repr,
)
from .model import FrontMatter, Page, Source
from .paths import (
    UNSAFE_NAME_CHARS,
    Sources,
    check_source_name,
    check_target,
    read_regular,
    source_files,
)

FRONT_MATTER_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "description": (str,),
    "slug": (str,),
    "template": (str,),
    "order": (int,),
    "draft": (bool,),
    "date": (datetime.date,),
    "extra": (dict,),
    "updated": (datetime.date,),
    "feed": (bool, str),
    "aliases": (list,),
    "paginate": (int,),
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


def find_sources(config: Config) -> tuple[list[Source], list[SiteError]]:
    """Read every .md file under the content folder, in a stable order."""
    sources: list[Source] = []
    problem = content_folder_problem(config)
    if problem is not None:
        return sources, [problem]
    found, errors = source_files(config.content_dir, Sources.of(config))
    for _parts, file in found:
        if not file.endswith(".md"):
            continue
        path = Path(file)
        name = project_path(file, str(config.root))
        try:
            sources.append(Source(name, decode(read_source_bytes(config, path, name), name)))
        except SiteError as error:
            errors.append(error)
    return sources, errors


def content_folder_problem(config: Config) -> SiteError | None:
    """A missing content folder is one clear error, not an empty site."""
    if config.content_dir.is_dir():
        return None
    folder = project_path(str(config.content_dir), str(config.root))
    hint = "Run the command in the project folder, pass --root, or create the folder."
    return SiteError(f"there is no content folder {folder}/", None, hint)


def read_source_bytes(config: Config, path: Path, name: str) -> bytes:
    """The bytes of one content file, once its name and place are known to be safe.

    Every reader of content files goes through here: a name that cannot be a URL, a link that
    `paths.Sources` refuses, a pipe or device, or a file that cannot be read is a SiteError naming
    the file.
    """
    check_source_name(path.relative_to(config.content_dir), name)
    check_target(path, Sources.of(config), config.content_dir)
    return read_regular(path, name)


def decode(raw: bytes, name: str) -> str:
    """Decode UTF-8 (a BOM is dropped) and normalise line endings to LF."""
    return decode_text(raw, name)


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


def load_data(config: Config) -> tuple[dict[str, Any], list[SiteError]]:
    """Read data/*.yml into a mapping from file stem to its parsed value (`Unloaded` if it failed)."""
    data: dict[str, Any] = {}
    if not config.data_dir.is_dir():
        return data, []
    found, errors = source_files(config.data_dir, Sources.of(config), recursive=False)
    files = sorted(Path(file) for _parts, file in found if file.endswith((".yml", ".yaml")))
    for path in files:
        name = project_path(str(path), str(config.root))
        try:
            if path.stem in data:
                raise SiteError(
                    f"two data files are named '{path.stem}' (.yml and .yaml)",
                    Location(name),
                    f"Keep one of them: templates know both as data.{path.stem}.",
                )
            text = decode_text(read_regular(path, name), name)
            data[path.stem] = parse_yaml(text, name, text, 0, "the data file")[1]
        except SiteError as error:
            errors.append(error)
            data.setdefault(path.stem, Unloaded(error))
    return data, errors


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
    if "aliases" in known:
        known["aliases"] = tuple(known["aliases"])
    return FrontMatter(**known, lines=dict(lines))


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
