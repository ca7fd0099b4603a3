"""One error type for every mistake a user can make, and its two renderings (terminal and browser).

Engine code raises or collects `SiteError`; only the CLI and the dev server decide how to show it.
Every message names a file (and, where known, line and column, 1-based) so editors can jump to it.
"""

from __future__ import annotations

import html
import os
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import jinja2
import yaml

Severity = Literal["error", "warning"]


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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.excerpt = excerpt
        self.severity: Severity = severity

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.severity}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling between build processes.
        return (_rebuild_error, (self.message, self.where, self.hint, self.excerpt, self.severity))


def _rebuild_error(
    message: str, where: Location | None, hint: str | None, excerpt: str | None, severity: Severity
) -> SiteError:
    return SiteError(message, where, hint, excerpt=excerpt, severity=severity)


class BuildFailed(Exception):
    """Raised when a build found errors; it carries all of them, not just the first."""

    def __init__(self, errors: Sequence[SiteError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = tuple(errors)


def located(
    message: str,
    path: str,
    text: str | None,
    line: int | None,
    column: int | None = None,
    hint: str | None = None,
    severity: Severity = "error",
) -> SiteError:
    """Build a SiteError with an excerpt of the offending lines when the source text is known."""
    snippet = excerpt(text, line, column) if text is not None and line is not None else None
    return SiteError(
        message, Location(path, line, column), hint, excerpt=snippet, severity=severity
    )


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


def from_yaml_error(
    exc: yaml.YAMLError, path: str, text: str, line_offset: int, what: str
) -> SiteError:
    """Translate a PyYAML error, shifting its position by where the YAML starts in the file."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"{what} is not valid YAML: {problem}" + (f" ({context})" if context else "")
    line = mark.line + 1 + line_offset if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    hint = "Check indentation, quote values that contain ': ' or start with a special character."
    return located(message, path, text, line, column, hint)


def from_jinja_error(exc: Exception, root: str, fallback: Location) -> SiteError:
    """Translate a Jinja error into the template file and line that caused it."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = _relative(exc.filename, root) if exc.filename else fallback.path
        text = exc.source if exc.source is not None else None
        return located(
            f"template syntax error: {exc.message}",
            path,
            text,
            exc.lineno,
            hint="Check that every {% block %}, {% if %} and {% for %} is closed.",
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return SiteError(
            f"template not found: {exc.name}",
            fallback,
            "Create it under templates/, or fix the name in front matter or config.",
        )
    where = _template_frame(exc, root) or fallback
    hint = None
    if isinstance(exc, jinja2.UndefinedError):
        hint = "Define the variable, or guard it with `is defined` or the `default` filter."
    return SiteError(f"template error: {_friendly(str(exc))}", where, hint)


def _friendly(message: str) -> str:
    """Name template variables as templates know them, not by their Python class."""
    for cls, name in (("PageView", "page"), ("SiteView", "site")):
        message = message.replace(f"'site_src.model.{cls} object'", f"'{name}'")
        message = message.replace(f"'site_src.render.{cls} object'", f"'{name}'")
    return message


def _template_frame(exc: BaseException, root: str) -> Location | None:
    """Find the innermost traceback frame that belongs to a template file."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2", ".jinja")):
            found = Location(_relative(frame.filename, root), frame.lineno)
    return found


def _relative(filename: str, root: str) -> str:
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
            lines.append(f"  hint: {problem.hint}")
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
