"""Markdown to HTML with markdown-it-py: CommonMark plus GitHub's habits (tables, task lists,
autolinks, alerts), footnotes, definition lists, attributes, heading anchors, typographic quotes and
Pygments highlighting; links to .md sources become site URLs, and images and links to files
their published files (`files.py`); an image alone in its paragraph with a title is a figure.

`render_markdown` is pure: the same page and URL map always give the same HTML.
"""

from __future__ import annotations

import difflib
import functools
import html
import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.replacements import RARE_RE, SCOPED_ABBR_RE
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .errors import BROKEN_LINK, SiteError, located
from .files import PageFiles, SiteFiles, figures
from .links import LineText, scan_html
from .model import Heading, Link, Page, RenderedBody, UrlMap

# markdown-it's own rules that CommonMark leaves off, switched on per page.
BUILT_IN = ("strikethrough", "replacements", "smartquotes")
HEADING_ATTRS = re.compile(r"\s*\{((?:\s*[#.][\w:-]+)+)\s*\}\s*$")
# With raw_html off, `{...}` attributes may only name classes and plain ids: a style, an event
# handler or an href could restyle, overlay or redirect the page. A clash with a template's id is
# caught by the link checker's duplicate-id check.
UNTRUSTED_ATTRS = ("class", "id")
SAFE_ID = re.compile(r"[\w:-]+")
# `**term**{ #id }` or `{: .class }` right after emphasis, as Python-Markdown's attr_list (MkDocs)
# writes an anchor on a term: ids and classes only, so it is as safe as `{#id}` on a heading.
EMPHASIS_ATTRS = re.compile(r"\{:?\s*((?:[#.][\w:-]+\s*)+)\}")


# What GitHub's bare links start from: `www.`, `http(s)://`, and an `@` for an email address
# (with or without `mailto:` / `xmpp:`).
AUTOLINK_HINTS = ("www.", "://", "@")
# The same in parsed text, where the typographer has already made `www...` into `www…`.
TOKEN_HINTS = (*AUTOLINK_HINTS, "www…")
# The syntaxes a page may leave out of its parser (`Parsers`): each one's rules can only match
# where the page's text holds what `syntaxes_in` looks for.
SYNTAXES = frozenset(
    {
        "footnotes",  # [^1], ^[inline]
        "attrs",  # {#id .class} after links, images, code, emphasis, headings and above blocks
        "deflist",  # a term, then `: definition` on the next line
        "strikethrough",  # ~~gone~~
        "tasklists",  # - [ ] / - [x]
        "replacements",  # (c) +- ... -- and the like
        "smartquotes",  # ' and "
        "figures",  # ![alt](src "caption") alone in a paragraph
        "alerts",  # > [!NOTE]
        "autolinks",  # www.example.com, https://..., a@b.co
    }
)
# A definition's marker opens a line, after any indentation and blockquote markers (a lazy
# continuation line has none). Searched for after a newline, in "\n" + text: a `^` in multiline
# mode is tried at every character, a literal newline is found at C speed (7x faster).
DEFINITION_MARKER = re.compile(r"\n[ \t>]*[:~][ \t]")
TASK_BOX = re.compile(r"\[[ xX]\]")


def syntaxes_in(text: str) -> frozenset[str]:
    """The optional syntaxes `text` may use, bare links apart (see `Parsers.parse`).

    A rule left out must be one that could match nothing: its trigger characters are not in the
    text. Text tokens are pieces of the source (attributes and task boxes are only ever cut off
    their ends), so a typographic replacement can only find in a token what the source holds."""
    found = set()
    if "[^" in text or "^[" in text:
        found.add("footnotes")
    if "{" in text:
        found.add("attrs")
    if DEFINITION_MARKER.search("\n" + text):
        found.add("deflist")
    if "~~" in text:
        found.add("strikethrough")
    if TASK_BOX.search(text):
        found.add("tasklists")
    if RARE_RE.search(text) or SCOPED_ABBR_RE.search(text):
        found.add("replacements")
    if "'" in text or '"' in text:
        found.add("smartquotes")
    if "![" in text:
        found.add("figures")
    if "[!" in text:
        found.add("alerts")
    return frozenset(found)


class Parsers:
    """The Markdown parsers of one process: for each set of optional syntaxes a page uses, a
    parser with only their rules, built on first use.

    Every rule tried at every character costs time whether or not it matches; on a page of
    plain prose the optional rules are about a sixth of the parse. A page parsed without the rules it
    cannot use gives the same tokens, so the same HTML (`tests/test_markdown.py` checks this
    against the full parser)."""

    def __init__(self, raw_html: bool = True) -> None:
        self.raw_html = raw_html
        self.built: dict[frozenset[str], MarkdownIt] = {}

    @property
    def full(self) -> MarkdownIt:
        """The parser with every syntax (for reading a page's code regions, say)."""
        return self.get(SYNTAXES)

    def get(self, syntaxes: frozenset[str]) -> MarkdownIt:
        md = self.built.get(syntaxes)
        if md is None:
            md = self.built[syntaxes] = make_markdown(self.raw_html, syntaxes)
        return md

    def parse(self, text: str) -> tuple[MarkdownIt, list[Token], dict[str, object]]:
        """The page's parser, its tokens and environment (for `md.renderer.render`).

        Bare links are found by parsing without their rules first: they stop the text scanner
        at every `w`, a tenth or more of a light page's parse, and most pages have none. They
        only ever claim characters that would otherwise be plain text, so when no text token
        holds what a bare link starts with, the tokens are the same."""
        syntaxes = syntaxes_in(text)
        md, env = self.get(syntaxes), dict[str, object]()
        tokens = md.parse(text, env)
        if any(hint in text for hint in AUTOLINK_HINTS) and _text_holds_hint(tokens):
            md, env = self.get(syntaxes | {"autolinks"}), {}
            tokens = md.parse(text, env)
        return md, tokens, env


def _text_holds_hint(tokens: list[Token]) -> bool:
    for token in tokens:
        if token.type == "text" and any(hint in token.content for hint in TOKEN_HINTS):
            return True
        if token.children and _text_holds_hint(token.children):
            return True
    return False


def make_markdown(raw_html: bool = True, syntaxes: frozenset[str] = SYNTAXES) -> MarkdownIt:
    """Build a Markdown parser for pages, with the optional `syntaxes` named (all by default;
    pages get theirs from `Parsers`). Its options are part of the cache key."""
    md = MarkdownIt(
        "commonmark",
        {"typographer": True, "html": raw_html, "highlight": make_highlighter(), "alerts": True},
    )
    md.enable(["table", *(name for name in BUILT_IN if name in syntaxes)])
    allowed = None if raw_html else UNTRUSTED_ATTRS
    if "footnotes" in syntaxes:
        md.use(footnote_plugin)
    if "attrs" in syntaxes:
        md.use(attrs_plugin, allowed=allowed).use(attrs_block_plugin, allowed=allowed)
    if "deflist" in syntaxes:
        md.use(deflist_plugin)
    if "autolinks" in syntaxes:
        md.use(gfm_autolink_plugin)
    if "tasklists" in syntaxes:
        md.use(tasklists_plugin, label=True)
    if "attrs" in syntaxes:
        md.core.ruler.push("heading_attrs", _heading_attrs)
        md.core.ruler.push("emphasis_attrs", _emphasis_attrs)
    if not raw_html:
        md.core.ruler.push("untrusted_ids", _untrusted_ids)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.use(anchors_plugin, min_level=1, max_level=6, permalink=True, permalinkSymbol="#")
    md.core.ruler.push("anchor_labels", _anchor_labels)
    if "alerts" in syntaxes:
        md.core.ruler.push("alert_roles", _alert_roles)
    if "figures" in syntaxes:
        md.core.ruler.push("figures", figures)
    return md


def make_highlighter() -> Callable[[str, str, str], str]:
    """`highlight_code` with one formatter for every block (making one per block costs more than
    highlighting most blocks)."""
    formatter = HtmlFormatter(nowrap=True)

    def highlight(code: str, language: str, attrs: str) -> str:
        return highlight_code(code, language, attrs, formatter)

    return highlight


def highlight_code(
    code: str, language: str, _attrs: str, formatter: HtmlFormatter[str] | None = None
) -> str:
    """Highlight fenced code with Pygments at build time, so pages need no JavaScript. The block
    takes keyboard focus because a long line makes it scroll sideways, which a keyboard user can
    only do from inside it."""
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    body = highlight(code, lexer, formatter or HtmlFormatter(nowrap=True))
    lang = html.escape(language, quote=True)
    return (
        f'<pre class="highlight" tabindex="0"><code class="language-{lang}">{body}</code></pre>\n'
    )


def _heading_attrs(state: StateCore) -> None:
    """Take a trailing `{#id .class}` off a heading's text, as Pandoc and Hugo allow."""
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[index + 1]
        children = inline.children or []
        if not children or children[-1].type != "text":
            continue
        match = HEADING_ATTRS.search(children[-1].content)
        if not match:
            continue
        children[-1].content = children[-1].content[: match.start()]
        for item in match.group(1).split():
            if item.startswith("#"):
                token.attrSet("id", item[1:])
            else:
                classes = str(token.attrGet("class") or "")
                token.attrSet("class", f"{classes} {item[1:]}".strip())


def _emphasis_attrs(state: StateCore) -> None:
    """Move a `{ #id .class }` written right after `**strong**` or `*emphasis*` onto it (the
    attrs plugin only knows links, images, code and spans)."""
    for token in state.tokens:
        children = token.children or []
        for index, child in enumerate(children[1:], start=1):
            closing = children[index - 1]
            if child.type != "text" or closing.type not in ("strong_close", "em_close"):
                continue
            match = EMPHASIS_ATTRS.match(child.content)
            if match is None:
                continue
            opening = _opening(children, index - 1)
            if opening is None:
                continue
            child.content = child.content[match.end() :]
            for item in match.group(1).split():
                if item.startswith("#"):
                    opening.attrSet("id", item[1:])
                else:
                    classes = str(opening.attrGet("class") or "")
                    opening.attrSet("class", f"{classes} {item[1:]}".strip())


def _opening(children: Sequence[Token], closing: int) -> Token | None:
    """The token that opens the one at `closing` (nested emphasis of the same kind counted)."""
    kind, depth = children[closing].type.removesuffix("_close"), 0
    for child in reversed(children[:closing]):
        if child.type == f"{kind}_close":
            depth += 1
        elif child.type == f"{kind}_open":
            if depth == 0:
                return child
            depth -= 1
    return None


def heading_slug(text: str) -> str:
    """GitHub's rule, so an anchor copied from a GitHub preview works here: lowercase, drop what is
    not a letter, mark, number, underscore, hyphen or space, and make each space a hyphen."""
    kept = (
        char for char in text.lower() if char in " -_" or unicodedata.category(char)[0] in "LMN"
    )
    return "".join(kept).replace(" ", "-")


@functools.cache
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["strikethrough"])


def heading_text(source: str) -> str:
    """A heading's Markdown as plain text, for a title: `# The *best* `code` {#x}` -> `The best
    code`."""
    match = HEADING_ATTRS.search(source)
    if match:
        source = source[: match.start()]
    tokens = _inline_parser().parseInline(source)
    return " ".join(_plain_text(tokens[0].children or []).split()) if tokens else ""


def _heading_ids(state: StateCore) -> None:
    """Give every heading without a `{#id}` its slug; repeats get -1, -2 as on GitHub.

    `next_suffix` remembers where each slug's numbering stopped, so a page with many equal
    headings costs one lookup per heading rather than a rescan; an id written with `{#id}` is
    never taken by a generated one."""
    headings = [
        (token, state.tokens[index + 1].children or [])
        for index, token in enumerate(state.tokens)
        if token.type == "heading_open"
    ]
    used = {str(token.attrGet("id")) for token, _ in headings if token.attrGet("id")}
    next_suffix: dict[str, int] = {}
    for token, children in headings:
        if token.attrGet("id"):
            continue
        slug = heading_slug(_plain_text(children)) or "section"
        unique = slug
        if unique in used:
            suffix = next_suffix.get(slug, 1)
            while f"{slug}-{suffix}" in used:
                suffix += 1
            unique = f"{slug}-{suffix}"
            next_suffix[slug] = suffix + 1
        used.add(unique)
        token.attrSet("id", unique)


def _alert_roles(state: StateCore) -> None:
    """Mark GitHub alerts (`> [!NOTE]`) as notes, so assistive technology announces them apart."""
    for token in state.tokens:
        if token.type == "alert_open":
            token.attrSet("role", "note")


def _untrusted_ids(state: StateCore) -> None:
    """Drop an id that is not a plain name (before heading anchors are made from ids), keeping it
    with the other dropped attributes for `_dropped_attrs` to report."""
    for token in state.tokens:
        for item in [token, *(token.children or [])]:
            value = item.attrGet("id")
            if value is not None and not SAFE_ID.fullmatch(str(value)):
                del item.attrs["id"]
                item.meta["insecure_attrs"] = {**item.meta.get("insecure_attrs", {}), "id": value}


def _dropped_attrs(tokens: Sequence[Token], page: Page) -> list[SiteError]:
    """A warning for each `{...}` attribute that untrusted content may not set, at its line."""
    warnings = []
    text = LineText(page.text)
    lines = text.lines
    columns = _Columns(text)
    for token in tokens:
        offset = token.map[0] if token.map else 0
        line = page.line_at(offset)
        found = [(name, value, _attr_line(lines, line, name)) for name, value in _dropped(token)]
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                offset += 1
            found += [(name, value, page.line_at(offset)) for name, value in _dropped(child)]
        for name, value, at in found:
            why = (
                f"id {str(value)!r} is not a plain name (letters, digits, '-', '_', ':')"
                if name == "id"
                else "with raw_html: false only class and id are allowed"
            )
            warnings.append(
                located(
                    f"attribute '{name}' was dropped: {why}",
                    page.source,
                    text,
                    at,
                    columns.of(at, f"{name}="),
                    "Untrusted content may not style, script or redirect the page; "
                    "use a class the stylesheet defines.",
                    severity="warning",
                )
            )
    return warnings


def _dropped(token: Token) -> list[tuple[str, object]]:
    return list(token.meta.get("insecure_attrs", {}).items())


def _attr_line(lines: Sequence[str], line: int, name: str) -> int:
    """The line of a block's `{...}` attribute: one of the attribute lines just above the block."""
    above = line - 1
    while 1 <= above <= len(lines) and lines[above - 1].lstrip("> \t").startswith("{"):
        if f"{name}=" in lines[above - 1]:
            return above
        above -= 1
    return line


def _anchor_labels(state: StateCore) -> None:
    """Give each heading's permalink an accessible name; a bare '#' says nothing to a screen reader."""
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        children = state.tokens[index + 1].children or []
        title = _plain_text(children)
        for child in children:
            if child.type == "link_open" and child.attrGet("class") == "header-anchor":
                child.attrSet("aria-label", f"Permalink to {title}")


def _plain_text(children: Sequence[Token]) -> str:
    depth, words = 0, []
    for child in children:
        if child.type == "link_open" and child.attrGet("class") == "header-anchor":
            depth += 1
        elif child.type == "link_close" and depth:
            depth -= 1
        elif not depth and child.type in ("text", "code_inline"):
            words.append(child.content)
    return "".join(words).strip()


def render_markdown(
    parsers: Parsers,
    page: Page,
    urls: UrlMap,
    base_path: str,
    files: SiteFiles | None = None,
) -> tuple[RenderedBody, list[SiteError]]:
    """Render a page body; rewrite .md and root-relative links; report .md links that go nowhere.

    With the site's `files`, images and links to files are written as their published URLs
    (`files.PageFiles`), and a missing one is reported here, where its line is known."""
    md, tokens, env = parsers.parse(page.markdown)
    links: list[Link] = []
    errors: list[SiteError] = []
    toc: list[Heading] = []
    columns = _Columns(LineText(page.text))
    shown = None if files is None else PageFiles(files, page, base_path, columns.text)
    for index, token in enumerate(tokens):
        first = token.map[0] if token.map else 0
        if token.type == "heading_open" and token.attrGet("id"):
            title = _plain_text(tokens[index + 1].children or [])
            toc.append(Heading(int(token.tag[1]), str(token.attrGet("id")), title))
        elif token.type == "inline":
            _inline_links(token, first, page, urls, base_path, links, errors, columns, shown)
        elif token.type == "html_block":
            links.extend(
                Link(href, page.line_at(first + offset))
                for href, offset in raw_html_links(token.content)
            )
    if not md.options["html"]:
        errors += _dropped_attrs(tokens, page)
    html_text = md.renderer.render(tokens, md.options, env)
    unresolved = frozenset(
        link.href for link in links if link.href.endswith(".md") or ".md#" in link.href
    )
    if shown is not None:
        errors += shown.problems
        unresolved |= shown.missing
    return RenderedBody(page.source, html_text, tuple(toc), tuple(links), unresolved), errors


def _inline_links(
    inline: Token,
    offset: int,
    page: Page,
    urls: UrlMap,
    base_path: str,
    links: list[Link],
    errors: list[SiteError],
    columns: _Columns,
    shown: PageFiles | None = None,
) -> None:
    """Rewrite and record the links of one inline token; `offset` is its first line in the
    body (`page.line_at` gives the file's line)."""
    for child in inline.children or []:
        kind = child.type
        if kind == "text":
            continue
        if kind == "softbreak" or kind == "hardbreak":
            offset += 1
        elif kind == "link_open" or kind == "image":
            line = page.line_at(offset)
            attr = "href" if kind == "link_open" else "src"
            href = str(child.attrGet(attr) or "")
            column = columns.of(line, href)
            new = None if shown is None else shown.resolve(child, href, line, column)
            if new is None:
                new = rewrite_link(href, page.source, urls, base_path, page.url)
            if new is None:
                errors.append(_missing_source(href, page, columns.text, line, column, urls))
            child.attrSet(attr, href if new is None else new)
            written = href if new is not None and new != href else ""
            links.append(Link(href if new is None else new, line, column, written))
        elif kind == "html_inline":
            links.extend(
                Link(href, page.line_at(offset + extra))
                for href, extra in raw_html_links(child.content)
            )


def rewrite_link(
    href: str, source: str, urls: UrlMap, base_path: str, page_url: str | None = None
) -> str | None:
    """Turn `other.md#x` into the other page's URL and `/x/` into base-path form; None if missing.

    A link to a page without its trailing slash (`/keynote`, `/asi-stages#stage-2`, or
    `keynote` relative to `page_url`) is written as the page's URL, slash included."""
    try:
        parts = urlsplit(href)
    except ValueError:  # e.g. an unclosed IPv6 host; the link checker reports it
        return href
    if parts.scheme or parts.netloc or not parts.path:
        return href
    suffix = ("?" + parts.query if parts.query else "") + (
        "#" + parts.fragment if parts.fragment else ""
    )
    if parts.path.endswith(".md"):
        target = _source_target(parts.path, source)
        if target not in urls:
            return None
        return base_path + urls[target].lstrip("/") + suffix
    path = parts.path
    if not path.endswith("/") and _is_page_without_slash(path, urls, base_path, page_url):
        path += "/"
    if path.startswith("/") and not path.startswith(base_path):
        return base_path + path.lstrip("/") + suffix
    return path + suffix if path != parts.path else href


def _source_target(path: str, source: str) -> str:
    """The source file a `.md` link names: relative to the linking file, or from the content
    folder for `/x.md`."""
    if path.startswith("/"):
        return posixpath.normpath(posixpath.join(source.split("/")[0], path.lstrip("/")))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), path))


def _is_page_without_slash(path: str, urls: UrlMap, base_path: str, page_url: str | None) -> bool:
    """Whether `path` names a page's URL without its trailing slash (a root-relative one with or
    without the base path, or one relative to the page's URL as a browser reads it)."""
    if path.startswith("/"):
        if base_path != "/" and path.startswith(base_path):
            path = "/" + path[len(base_path) :]
    elif page_url is not None:
        path = posixpath.normpath(posixpath.join(page_url, path))
    else:
        return False
    return unquote(path).rstrip("/") + "/" in urls.urls


def _missing_source(
    href: str, page: Page, text: str, line: int, column: int | None, urls: Mapping[str, str]
) -> SiteError:
    path, hash_sign, fragment = href.partition("#")
    folder = page.source.split("/")[0] + "/"
    target = _source_target(path, page.source).removeprefix(folder).removesuffix(".md")
    # Compared below the content folder and without `.md`, which every name shares.
    candidates = {
        name.removeprefix(folder).removesuffix(".md"): name
        for name in urls
        if name.startswith(folder)
    }
    close = difflib.get_close_matches(target, candidates, n=1, cutoff=0.75)
    hint = "Link to a .md file under content/, relative to this file (e.g. keynote.md#section)."
    if close:
        name = candidates[close[0]]
        if path.startswith("/"):
            nearest = "/" + name.removeprefix(folder)
        else:
            nearest = posixpath.relpath(name, posixpath.dirname(page.source))
        hint = f"Did you mean {nearest}{hash_sign}{fragment}? {hint}"
    return located(
        f"link to a page that does not exist: {href}",
        page.source,
        text,
        line,
        column,
        hint,
        code=BROKEN_LINK,
    )


class _Columns:
    """The column where each link's URL is written on its line.

    Links come in the order they are written, so each line is searched on from the end of the
    last URL found on it; a URL not written there as it is (a reference link, an autolink) is
    looked for once per line from the line's start. A page of many links costs about one pass
    over its text, not one pass per link."""

    def __init__(self, text: LineText) -> None:
        self.text = text
        self._after: dict[int, int] = {}
        self._elsewhere: dict[tuple[int, str], int] = {}

    def of(self, line: int, needle: str) -> int | None:
        lines = self.text.lines
        if not 1 <= line <= len(lines):
            return None
        line_text = lines[line - 1]
        found = self._elsewhere.get((line, needle))
        if found is None:
            found = line_text.find(needle, self._after.get(line, 0))
            if found >= 0:
                self._after[line] = found + len(needle)
            else:
                found = self._elsewhere[line, needle] = line_text.find(needle)
        return found + 1 if found >= 0 else None


def raw_html_links(fragment: str) -> list[tuple[str, int]]:
    """Links in raw HTML, with their line offset inside the fragment: the link checker's own
    scanner, so the links recorded here are exactly the ones it will look up."""
    return [(href, line - 1) for href, line in scan_html(fragment, "/", "").refs]
