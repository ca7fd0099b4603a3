"""Jinja in Markdown: `{{ data.figures.capex }}`, `{% for s in data.stages %}`, `{{ component("x") }}`.

A page's Markdown is a Jinja template evaluated before it is parsed, so a figure kept in `data/`
is written once and every page that states it says the same. What Jinja must never see is left
as written: code blocks and inline code (found with the Markdown parser itself, so `{{ x }}` in
code stays an example), `{#id}` heading attributes, and anything inside `{% raw %}`. Each is
swapped for an expression that gives back its text, with its newlines inside the tag, so every
line of the template is the same line of the file and an error is reported where it was written.

Values are inserted as Markdown text: with `raw_html: false`, HTML in a data value is escaped
like any other HTML in the page. Components are the site's own templates (trusted): their HTML
is put in after the Markdown is rendered, through a placeholder no author can type.

`DataReads` and `SiteReads` record which data files (`data.event`) and config values
(`site.title`, `site.extra.short_title`) a page reads, in its Markdown and in its template, so the
incremental build re-renders a page only when one of those changed (`cache.data_key`).
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import hashlib
import itertools
import re
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jinja2
from markdown_it import MarkdownIt

from .errors import ENGINE_OBJECT, TEMPLATE_NAMES, Location, SiteError, from_jinja_error, located
from .model import Page, RenderedBody, SiteView
from .render import TemplateTimeout, TimeLimit, deadline

# `{#` starts a Jinja comment, but in Markdown it is a heading's `{#id}`: never a comment here.
LITERAL_MARKS = re.compile(r"\{#")
USER_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.DOTALL)
BACKTICKS = re.compile(r"`+")
TAG_LINE = re.compile(r"^([ \t]*)((?:\{%(?!\s*(?:raw|endraw)\b).*?%\}[ \t]*)+)\n", re.MULTILINE)
UNCLOSED = re.compile(r"block that needs to be closed is '(\w+)'")
TAG = re.compile(r"\{[{%].*?(?:[}%]\}|$)")
LITERALS = "_site_src_literal"
# Private-use characters: Markdown passes them through as text, and nobody types them.
PLACEHOLDER = "\ue000{}:{}\ue001"
LITERAL_HINT = (
    "To write {{ or {% as text, put it in `code`, or write {{ '{{' }}; or leave this page's "
    "Markdown as written with 'macros: false' in its front matter ('macros: false' in site.yml "
    "does it for every page)."
)
# The config values a page's key holds only when it reads them (`SiteReads`); the rest of the
# config (base_url, language...) shapes every page and is in every key.
TRACKED_CONFIG = ("title", "description", "author", "extra")
# How far ahead `line_map` looks for a line of the file in what Jinja made of it.
SYNC_WINDOW = 200


def uses_macros(markdown: str) -> bool:
    """Whether the text has anything for Jinja to do (most pages have not: they cost nothing)."""
    return "{{" in markdown or "{%" in markdown


class DataReads(Mapping[str, Any]):
    """A mapping that records the names read from it into `names`, as `prefix` + name (the
    `data` of one page's render: `data.event`). A lookup of a name that does not exist counts
    too (a file added later changes the page); anything that lists the names (a loop over
    `data`, `data|length`, `{{ data }}`) records `prefix` + "*": all of them."""

    def __init__(self, values: Mapping[str, Any], names: set[str], prefix: str = "data.") -> None:
        self._values = values
        self._prefix = prefix
        self.names = names

    def __getitem__(self, name: str) -> Any:
        self.names.add(self._prefix + name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        self.names.add(self._prefix + str(name))
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        self.names.add(self._prefix + "*")
        return iter(self._values)

    def __len__(self) -> int:
        self.names.add(self._prefix + "*")
        return len(self._values)

    def __repr__(self) -> str:  # `{{ data }}` shows every value, as the plain mapping would
        self.names.add(self._prefix + "*")
        return repr(self._values)

    def available(self) -> list[str]:
        """The names, without counting as a read (for an error's did-you-mean)."""
        return list(self._values)


class SiteReads:
    """The `site` of one page's render, recording the config values read from it
    (`TRACKED_CONFIG`: `site.title`; `site.extra` key by key); the rest is passed through."""

    __slots__ = ("_names", "_site")

    def __init__(self, site: SiteView, names: set[str]) -> None:
        self._site = site
        self._names = names

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._site, name)
        if name == "extra":
            return DataReads(value, self._names, "site.extra.")
        if name in TRACKED_CONFIG:
            self._names.add("site." + name)
        return value

    def __repr__(self) -> str:
        self._names.update(("site.title", "site.description", "site.author", "site.extra.*"))
        return repr(self._site)

    def available(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self._site)]


def recorders(site: SiteView, data: Mapping[str, Any]) -> tuple[Any, DataReads, set[str]]:
    """`site` and `data` for one page's render, and the set of what they record it read."""
    names: set[str] = set()
    return SiteReads(site, names), DataReads(data, names), names


class MissingValue(jinja2.UndefinedError):
    """An undefined value, with its name and the names that do exist where it was looked up."""

    def __init__(self, message: str, name: str | None, known: Sequence[str]) -> None:
        super().__init__(message)
        self.name = name
        self.known = tuple(known)


class MarkdownUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose error knows the keys it could have meant."""

    __slots__ = ()

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = jinja2.utils.missing,
        name: str | None = None,
        exc: type[jinja2.TemplateRuntimeError] = jinja2.UndefinedError,
    ) -> None:
        def missing(message: str) -> MissingValue:
            return MissingValue(message, name, _names_of(obj))

        super().__init__(hint, obj, name, missing)  # type: ignore[arg-type]


def _names_of(owner: object) -> list[str]:
    if isinstance(owner, DataReads | SiteReads):
        return owner.available()
    if isinstance(owner, Mapping):
        return [str(key) for key in owner]
    if dataclasses.is_dataclass(owner):
        return [f.name for f in dataclasses.fields(owner)]
    return []


def markdown_environment(env: jinja2.Environment) -> jinja2.Environment:
    """The project's environment for Markdown: a page's own text is not HTML-escaped (it is
    Markdown), templates it includes still are; undefined values name their neighbours. Only a
    line of nothing but `{% %}` tags disappears whole (`protect`): the project's trim_blocks
    would also join a paragraph ending in a tag to the next one."""
    return env.overlay(
        autoescape=_named, undefined=MarkdownUndefined, trim_blocks=False, lstrip_blocks=False
    )


def _named(name: str | None) -> bool:
    return name is not None


@dataclass(frozen=True, slots=True)
class Expanded:
    """A page whose Markdown went through Jinja, and the components' HTML to put back."""

    page: Page
    components: tuple[str, ...]
    nonce: str

    def restore(self, body: RenderedBody) -> RenderedBody:
        """Put each component's HTML where its placeholder is; one alone in a paragraph takes
        the paragraph's place (a block element may not sit in a <p>)."""
        if not self.components:
            return body
        html = body.html
        for index, component in enumerate(self.components):
            mark, component_html = PLACEHOLDER.format(self.nonce, index), component.rstrip("\n")
            html = html.replace(f"<p>{mark}</p>\n", component_html + "\n")
            html = html.replace(mark, component_html)
        return replace(body, html=html)


def expand_page(
    md: MarkdownIt,
    env: jinja2.Environment,
    base_env: jinja2.Environment,
    page: Page,
    context: Mapping[str, Any],
    root: str,
    time_limit: float = 0,
) -> Expanded:
    """Evaluate the page's Markdown as a Jinja template with `context` (site, page, data);
    a mistake is a SiteError at the page's own line."""
    nonce = hashlib.sha256(page.text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    source, literals = protect(md, page.markdown)
    components: list[str] = []

    def component(name: str, **values: Any) -> str:
        """The HTML of a template (`components/NAME.html`, or a template path), rendered with
        the page's context and `values`, put in after the Markdown is rendered."""
        path = name if name.endswith(".html") else f"components/{name}.html"
        html = base_env.get_template(path).render({**context, **values})
        components.append(html)
        return PLACEHOLDER.format(nonce, len(components) - 1)

    try:
        template = env.from_string(source)
        with deadline(time_limit):
            text = template.render({**context, "component": component, LITERALS: literals})
    except SiteError:
        raise
    except Exception as exc:  # a mistake in the page's Jinja, whatever Python error it raised
        raise markdown_error(exc, page, source, root, time_limit, context) from None
    lines = line_map(page.markdown, text)
    return Expanded(replace(page, markdown=text, lines=lines), tuple(components), nonce)


def protect(md: MarkdownIt, markdown: str) -> tuple[str, list[str]]:
    """The Markdown with every region Jinja must not read replaced by `{{ _site_src_literal[i]
    }}` (keeping its newlines inside the tag), and the texts those expressions give back."""
    starts = _line_starts(markdown)
    regions: list[tuple[int, int]] = []
    for token in md.parse(markdown):
        if token.map is None:
            continue
        first, last = starts[token.map[0]], starts[min(token.map[1], len(starts) - 1)]
        if token.type in ("fence", "code_block"):
            regions.append((first, last))
        elif token.type == "inline":
            regions += _code_spans(markdown, first, last)
    regions += [(m.start(), m.end()) for m in LITERAL_MARKS.finditer(markdown)]
    kept = [(m.start(), m.end()) for m in USER_RAW.finditer(markdown)]
    regions = [r for r in regions if not any(a <= r[0] < b for a, b in kept)]
    parts: list[str] = []
    literals: list[str] = []
    at = 0
    for start, end in sorted(regions):
        if start < at:  # inside a region already taken (a `{#` in code)
            continue
        text = markdown[start:end]
        parts.append(markdown[at:start])
        parts.append(f"{{{{ {LITERALS}[{len(literals)}]{chr(10) * text.count(chr(10))} }}}}")
        literals.append(text)
        at = end
    parts.append(markdown[at:])
    return TAG_LINE.sub(_tag_line, "".join(parts)), literals


def _tag_line(match: re.Match[str]) -> str:
    """A line of nothing but `{% %}` tags leaves nothing, not even its newline: the newline
    goes inside the last tag, so the template keeps its line numbers."""
    tags = match.group(2).rstrip()
    end = 3 if tags.endswith(("-%}", "+%}")) else 2
    return tags[:-end] + "\n" + tags[-end:]


def _line_starts(text: str) -> list[int]:
    """The offset of each line's start, and one past the end."""
    starts = [0]
    starts += [match.end() for match in re.finditer("\n", text)]
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def _code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Inline code in text[start:end] as CommonMark finds it: a run of backticks up to the next
    run of the same length (an escaped backtick opens nothing)."""
    spans = []
    runs = list(BACKTICKS.finditer(text, start, end))
    index = 0
    while index < len(runs):
        opening = runs[index]
        if opening.start() > 0 and text[opening.start() - 1] == "\\":
            index += 1
            continue
        size = len(opening.group())
        close = next((j for j in range(index + 1, len(runs)) if len(runs[j].group()) == size), None)
        if close is None:
            index += 1
            continue
        spans.append((opening.start(), runs[close].end()))
        index = close + 1
    return spans


def line_map(before: str, after: str) -> tuple[int, ...]:
    """For each line of `after`, the line of `before` it came from (0-based); empty when they
    have as many lines (then each line is its own).

    Lines written the same in both are matched in order (looking at most SYNC_WINDOW lines
    ahead, so a page costs one pass); the lines between two matches, made by tags, come from
    the lines between, counted back from the next match (a tag line above them left nothing)."""
    old, new = before.split("\n"), after.split("\n")
    if len(old) == len(new):
        return ()
    where: dict[str, list[int]] = {}
    for number, line in enumerate(old):
        where.setdefault(line, []).append(number)
    matches: list[tuple[int, int]] = [(-1, -1)]
    for j, line in enumerate(new):
        after_last = matches[-1][0] + 1
        places = where.get(line, [])
        index = bisect.bisect_left(places, after_last)
        if index < len(places) and places[index] - after_last <= SYNC_WINDOW:
            matches.append((places[index], j))
    matches.append((len(old), len(new)))
    mapped = [0] * len(new)
    for (i1, j1), (i2, j2) in itertools.pairwise(matches):
        if j1 >= 0:
            mapped[j1] = i1
        for j in range(j1 + 1, j2):
            mapped[j] = min(max(i1 + 1, i2 - (j2 - j)), len(old) - 1)
    return tuple(mapped)


def markdown_error(
    exc: BaseException,
    page: Page,
    source: str,
    root: str,
    time_limit: float,
    context: Mapping[str, Any],
) -> SiteError:
    """A Jinja mistake in Markdown as a SiteError at the page's line and column; a mistake
    inside a component's template at that template's line, reached from the page's.

    `source` is the template the Markdown became (`protect`), line for line the same."""
    line = _template_line(exc)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        line = _opening_line(source, exc)
    at = page.body_line + (line or 1) - 1
    lines = page.text.split("\n")
    written = lines[at - 1] if 1 <= at <= len(lines) else ""
    if isinstance(exc, TimeLimit):
        found = located(
            f"the page's Markdown was still being evaluated after {time_limit:g} s",
            page.source,
            page.text,
            at,
            _column(written, None),
            "Look for a loop here that does not end (or makes far too much).",
        )
        # The build stops: the next page would most likely take as long.
        return TemplateTimeout(found.message, found.where, found.hint, excerpt=found.excerpt)
    if _in_template_file(exc):
        error = from_jinja_error(exc, root, Location(page.source, at))
        hint = f"{error.hint} " if error.hint else ""
        return SiteError(error.message, error.where, f"{hint}(reached from {page.source}:{at})")
    if isinstance(exc, MissingValue):
        return _missing(exc, page, at, written, context)
    if isinstance(exc, jinja2.TemplateNotFound):
        return located(
            f"template not found: {exc.name}",
            page.source,
            page.text,
            at,
            _column(written, "component"),
            "component('NAME') renders templates/components/NAME.html; "
            "component('partials/x.html') names any template.",
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return located(
            f"template syntax error in Markdown: {exc.message}",
            page.source,
            page.text,
            at,
            _column(written, None),
            LITERAL_HINT,
        )
    detail = str(exc) or type(exc).__name__
    kind = "" if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: "
    return located(
        f"template error in Markdown: {kind}{detail}",
        page.source,
        page.text,
        at,
        _column(written, None),
        LITERAL_HINT,
    )


def _missing(
    exc: MissingValue, page: Page, at: int, written: str, context: Mapping[str, Any]
) -> SiteError:
    """An undefined value, with the nearest name that is defined where it was looked up."""
    known = list(exc.known) or [*context, "component"]
    close = difflib.get_close_matches(exc.name or "", known, n=1, cutoff=0.6)
    listed = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
    hint = f"Did you mean '{close[0]}'? " if close else ""
    hint += f"Defined here: {listed}. " if known else ""
    return located(
        f"undefined value in Markdown: {ENGINE_OBJECT.sub(_engine_name, exc.message or '')}",
        page.source,
        page.text,
        at,
        _column(written, exc.name),
        hint + LITERAL_HINT,
    )


def _engine_name(match: re.Match[str]) -> str:
    return TEMPLATE_NAMES.get(match.group(1), match.group(1))


def _column(line: str, name: str | None) -> int | None:
    """Where on its line the mistake is: the name inside a tag, else the line's first tag."""
    tags = list(TAG.finditer(line))
    if name:
        word = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")
        for tag in tags:
            found = word.search(line, tag.start(), tag.end())
            if found:
                return found.start() + 1
    return tags[0].start() + 1 if tags else None


def _opening_line(source: str, exc: jinja2.TemplateSyntaxError) -> int:
    """Where a syntax error started: Jinja reports where it gave up (the end of the page, for
    an unclosed `{{` or `{% for %}`), the author needs the tag that opened it."""
    lines = source.split("\n")
    block = UNCLOSED.search(exc.message or "")
    opening = re.compile(rf"\{{%-?\s*{block.group(1)}\b" if block else r"\{[{%]")
    for number in range(min(exc.lineno, len(lines)), 0, -1):
        if opening.search(lines[number - 1]):
            return number
    return exc.lineno


def _template_line(exc: BaseException) -> int | None:
    """The line of the Markdown template the error happened on (its innermost frame there)."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [frame.lineno for frame in frames if frame.filename == "<template>"]
    return lines[-1] if lines else None


def _in_template_file(exc: BaseException) -> bool:
    """Whether the error happened inside one of the site's template files (a component)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename not in (None, "<template>")
    frames = [
        frame.filename
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename == "<template>"
        or not (frame.filename.startswith("<") or frame.filename.endswith(".py"))
    ]
    return bool(frames) and frames[-1] != "<template>"
