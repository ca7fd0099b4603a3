"""One error type for every mistake a user can make, and its two renderings (terminal and browser).

Engine code raises or collects `SiteError`; only the CLI and the dev server decide how to show it.
Every message names a file (and, where known, line and column, 1-based) so editors can jump to it.
"""

from __future__ import annotations

import html
import os
import re
import reprlib
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import jinja2

Severity = Literal["error", "warning"]
# The `code` of a link to a page, file or #id that does not exist: the one kind of problem that
# `broken_links: warn` (and the dev server) lets a site publish with.
BROKEN_LINK = "broken-link"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file; line and column are 1-based."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class SiteError(Exception):
    """A problem in the user's input: where it is, what is wrong, and what to do about it."""

    def __init__(
        self,
        message: str,
        where: Location | None = None,
        hint: str | None = None,
        *,
        excerpt: str | None = None,
        severity: Severity = "error",
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.excerpt = excerpt
        self.severity: Severity = severity
        self.code = code

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.severity}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling between build processes.
        fields = (self.message, self.where, self.hint, self.excerpt, self.severity, self.code)
        return (_rebuild_error, fields)


def _rebuild_error(
    message: str,
    where: Location | None,
    hint: str | None,
    excerpt: str | None,
    severity: Severity,
    code: str = "",
) -> SiteError:
    return SiteError(message, where, hint, excerpt=excerpt, severity=severity, code=code)


def broken_links_as(problems: Iterable[SiteError], severity: Severity) -> list[SiteError]:
    """The problems with every broken link given `severity` (config `broken_links`), so one
    setting decides, wherever a link is checked, whether a broken link stops the build."""
    return [
        SiteError(p.message, p.where, p.hint, excerpt=p.excerpt, severity=severity, code=p.code)
        if p.code == BROKEN_LINK and p.severity != severity
        else p
        for p in problems
    ]


class BuildFailed(Exception):
    """Raised when a build found errors; it carries all of them (sorted by place), not just the first."""

    def __init__(self, errors: Sequence[SiteError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = sort_problems(errors)

    def __reduce__(self) -> tuple[object, ...]:
        return (BuildFailed, (self.errors,))


def sort_problems(problems: Iterable[SiteError]) -> tuple[SiteError, ...]:
    """Order problems by file, line and column (unlocated ones last), so output is stable.

    The same message at the same place is shown once (e.g. a base template's mistake, reached
    from every page).
    """
    unique: dict[tuple[str, str, str], SiteError] = {}
    for problem in problems:
        unique.setdefault((problem.severity, str(problem.where), problem.message), problem)
    return tuple(sorted(unique.values(), key=_sort_key))


def short_repr(value: object) -> str:
    """A value as Python would write it, cut short so a huge value cannot flood a message."""
    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = 60
    shortener.maxlevel = 3
    return shortener.repr(value)


def _sort_key(problem: SiteError) -> tuple[int, str, int, int, str]:
    where = problem.where
    if where is None:
        return (1, "", 0, 0, problem.message)
    return (0, where.path, where.line or 0, where.column or 0, problem.message)


def decode_text(raw: bytes, name: str) -> str:
    """Decode UTF-8 (a BOM is dropped) and normalise CRLF and CR line endings to LF.

    Line numbers stay right: one CRLF becomes one LF, so the n-th line is still the n-th line.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(bytes(exc.object), exc.start, name) from None
    return _normalise_line_ends(text)


def _normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _not_utf8(raw: bytes, start: int, name: str) -> SiteError:
    """The bad byte at the line and column an editor shows: characters, not bytes, and `raw`
    is what the decoder saw (after any BOM), so `start` counts from its beginning."""
    before = _normalise_line_ends(raw[:start].decode("utf-8"))
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    shown = _normalise_line_ends(raw.decode("utf-8", errors="replace"))
    return located(
        f"file is not UTF-8 (byte 0x{raw[start]:02x})",
        name,
        shown,
        line,
        column,
        "Save the file as UTF-8 in your editor.",
    )


def unreadable(exc: OSError, name: str) -> SiteError:
    """A source file that exists but cannot be read (permissions, a folder, a broken link)."""
    return SiteError(
        f"cannot read the file: {exc.strerror or exc}",
        Location(name),
        "Check that it is a readable file, not a folder or a broken link.",
    )


def located(
    message: str,
    path: str,
    text: str | None,
    line: int | None,
    column: int | None = None,
    hint: str | None = None,
    severity: Severity = "error",
    code: str = "",
) -> SiteError:
    """Build a SiteError with an excerpt of the offending lines when the source text is known."""
    snippet = excerpt(text, line, column) if text is not None and line is not None else None
    where = Location(path, line, column)
    return SiteError(message, where, hint, excerpt=snippet, severity=severity, code=code)


def excerpt(text: str, line: int, column: int | None = None, context: int = 1) -> str | None:
    """Return the lines around `line` with line numbers and a caret under `column`."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    first, last = max(1, line - context), min(len(lines), line + context)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        marker = ">" if number == line else " "
        out.append(f"{marker} {number:>{width}} | {lines[number - 1]}")
        if number == line and column:
            out.append(f"  {' ' * width} | {' ' * (column - 1)}^")
    return "\n".join(out)


def from_jinja_error(exc: BaseException, root: str, fallback: Location) -> SiteError:
    """Translate a Jinja error into the template file and line that caused it.

    Jinja rewrites tracebacks so that template code shows up as frames of the template files, with
    template line numbers; the innermost such frame is where the mistake is, the outer ones are the
    includes, macro calls and `extends` that led there.
    """
    if isinstance(exc, SiteError):  # the template loader refused a file: it says which
        return exc
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = project_path(exc.filename, root) if exc.filename else fallback.path
        return located(
            f"template syntax error: {exc.message}",
            path,
            exc.source,
            exc.lineno,
            hint="Check that every {% block %}, {% if %} and {% for %} is closed.",
        )
    frames = _template_frames(exc, root)
    where = frames[-1] if frames else fallback
    via = ", ".join(str(frame) for frame in reversed(frames[-6:-1]))
    if isinstance(exc, RecursionError):
        hint = "A template includes, extends or calls itself without end."
        message = "template recursion is too deep"
        where = _recursing_frame(frames) or where
        via = ""
    elif isinstance(exc, jinja2.TemplateNotFound):
        hint = "Create it under the templates folder, or fix the name in front matter or config."
        message = f"template not found: {exc.name}"
    elif isinstance(exc, jinja2.UndefinedError):
        hint = "Define the variable, or guard it with `is defined` or the `default` filter."
        message = f"template error: {ENGINE_OBJECT.sub(_object_name, str(exc))}"
    else:
        hint = None
        detail = str(exc) or type(exc).__name__
        kind = "" if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: "
        message = f"template error: {kind}{detail}"
    if via:
        hint = (hint + " " if hint else "") + f"(reached from {via})"
    return SiteError(message, where, hint)


# Jinja names objects by their Python class; templates know them by their variable names.
ENGINE_OBJECT = re.compile(r"'site_src\.\w+\.(\w+) object'")
TEMPLATE_NAMES = {
    "SiteView": "site",
    "SiteReads": "site",
    "DataReads": "'dict object'",
    "PageView": "page",
    "NavItem": "a nav item",
    "Heading": "a heading",
}


def _object_name(match: re.Match[str]) -> str:
    return TEMPLATE_NAMES.get(match.group(1), match.group(1))


def _recursing_frame(frames: list[Location]) -> Location | None:
    """The line that starts the loop again: the last frame before the outermost repeated one.

    Where Python's stack runs out inside the loop is an accident of stack sizes; this is not."""
    first_seen: dict[tuple[str, int | None], int] = {}
    for index, frame in enumerate(frames):
        key = (frame.path, frame.line)
        if key in first_seen:
            return frames[index - 1]
        first_seen[key] = index
    return None


def _template_frames(exc: BaseException, root: str) -> list[Location]:
    """Traceback frames that belong to template files under `root`, outermost first."""
    found = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".py") or frame.filename.startswith("<"):
            continue
        path = project_path(frame.filename, root)
        if not os.path.isabs(path):
            found.append(Location(path, frame.lineno))
    return found


def project_path(filename: str, root: str) -> str:
    """A path as users see it: relative to the project with '/', or absolute if outside it."""
    # The usual case, a plain path below the root, without `relpath`'s normalising (it is
    # called for every file a build reads); anything with `.` or `..` parts takes the long way.
    if os.sep == "/" and filename.startswith(root + "/") and os.path.isabs(root):
        rest = filename[len(root) + 1 :]
        if rest and "/." not in "/" + rest and "//" not in "/" + rest and rest[-1] != "/":
            return rest
    try:
        rel = os.path.relpath(filename, root)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel.replace(os.sep, "/")


def format_text(problems: Iterable[SiteError]) -> str:
    """Render problems for a terminal: compiler-style first line, excerpt, hint."""
    blocks = []
    for problem in problems:
        lines = [str(problem)]
        if problem.excerpt:
            lines.append(problem.excerpt)
        if problem.hint:
            lines.append("  hint: " + problem.hint.replace("\n", "\n        "))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_html(problems: Iterable[SiteError]) -> str:
    """Render problems as an HTML fragment for the dev server's overlay; everything escaped."""
    items = []
    for problem in problems:
        parts = [f"<p class='site-error-where'>{html.escape(str(problem.where or ''))}</p>"]
        parts.append(
            f"<p class='site-error-message'><strong>{problem.severity}:</strong> "
            f"{html.escape(problem.message)}</p>"
        )
        if problem.excerpt:
            parts.append(f"<pre class='site-error-excerpt'>{html.escape(problem.excerpt)}</pre>")
        if problem.hint:
            parts.append(f"<p class='site-error-hint'>Hint: {html.escape(problem.hint)}</p>")
        items.append("<li>" + "".join(parts) + "</li>")
    return "<ol class='site-errors'>" + "".join(items) + "</ol>"
