"""YAML for front matter, data files and site.yml: one loader of plain values, checked as read,
and `parse_yaml`, which turns every way a document can fail into a located SiteError.

PyYAML's safe loader still lets through what a static site must not take: tags whose value does
not fit (`!!bool yes please` ends in a KeyError), sets (whose order changes with the hash seed, so
output would differ between runs), alias bombs (a few lines that stand for billions of values) and
repeated keys below the top level (the last one silently wins). Each is refused here as a
`RefusedYAML` at the place it is written; `parse_yaml` turns it into a located SiteError.

The checks run in the composer, on the parser's events, under either parser: libyaml's
(`FastLoader`, used first: the pure-Python parser was most of the cost of a page's front matter)
or PyYAML's own (`Loader`), which reads again any document that fails, so that messages and
places are the ones users know whichever parser found the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import yaml

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = object  # type: ignore[assignment,misc]

from .errors import SiteError, located

# Aliases may stand for this many values in one file, in all. Each alias counts the whole value
# it repeats, so nested aliases multiply: the limit stops a billion-laughs file after reading it
# once, without building what it expands to.
ALIAS_VALUE_LIMIT = 100_000

YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(
    YAML_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
ALLOWED_TAGS: MappingProxyType[type, frozenset[str]] = MappingProxyType(
    {
        yaml.ScalarEvent: SCALAR_TAGS,
        yaml.SequenceStartEvent: frozenset({YAML_TAG + "seq"}),
        yaml.MappingStartEvent: frozenset({YAML_TAG + "map"}),
    }
)
KNOWN_TAGS = frozenset().union(*ALLOWED_TAGS.values())
KINDS: MappingProxyType[type, str] = MappingProxyType(
    {
        yaml.ScalarEvent: "a value",
        yaml.SequenceStartEvent: "a list",
        yaml.MappingStartEvent: "a mapping",
    }
)
MERGE_TAG = YAML_TAG + "merge"
# libyaml, when PyYAML was built with it (its wheels are); otherwise every document is read by
# the pure-Python parser, with the same checks and results.
FAST_LOADER = getattr(yaml, "__with_libyaml__", False)
TAG_HINT = (
    "Remove the tag and write a plain value, list or mapping (quote text that reads as a number, "
    "date or yes/no). Tags allowed: !!str, !!int, !!float, !!bool, !!null, !!timestamp, !!seq, !!map."
)


class RefusedYAML(yaml.MarkedYAMLError):
    """YAML that parses but is not taken; `problem` reads on from "front matter", "the data file"."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


def short_tag(tag: str) -> str:
    return "!!" + tag[len(YAML_TAG) :] if tag.startswith(YAML_TAG) else tag


def _checked_scalar(construct: Callable[[Any, yaml.Node], Any]) -> Callable[[Any, yaml.Node], Any]:
    """A scalar constructor whose invalid values (the date 2025-13-45) become located errors."""

    def checked(loader: Any, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError) as exc:
            raise RefusedYAML(
                f"has a value YAML cannot read: {exc}",
                node.start_mark,
                "Quote it to keep it as text, or fix the value (dates are YYYY-MM-DD).",
            ) from None

    return checked


def _constructors() -> MappingProxyType[Any, Callable[[Any, yaml.Node], Any]]:
    """SafeLoader's constructors for the allowed tags; anything else is refused while composing.

    A plain `=` or `<<` used as a value (not as a merge key) is text, not an error.
    """
    safe = yaml.SafeLoader.yaml_constructors
    table: dict[Any, Callable[[Any, yaml.Node], Any]] = {
        tag: _checked_scalar(safe[tag]) for tag in SCALAR_TAGS
    }
    table[YAML_TAG + "seq"] = safe[YAML_TAG + "seq"]
    table[YAML_TAG + "map"] = safe[YAML_TAG + "map"]
    table[YAML_TAG + "value"] = table[MERGE_TAG] = safe[YAML_TAG + "str"]
    table[None] = safe[None]
    return MappingProxyType(table)


class Checks(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """The checks on tags, aliases and keys, made while the node tree is built from the parser's
    events; the same for both loaders below, so both refuse exactly the same documents."""

    yaml_constructors = _constructors()  # type: ignore[assignment]
    peek_event: Callable[[], yaml.Event]  # the parser's, below this class in each loader

    def start_checks(self) -> None:
        self.open_anchors: list[str] = []
        self.sizes: dict[int, int] = {}
        self.alias_values = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._alias(parent, index, event)
        self._check_tag(event)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.append(anchor)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self.open_anchors.pop()
        if isinstance(node, yaml.MappingNode):
            self._refuse_repeated_keys(node)
        return node

    def _alias(self, parent: yaml.Node | None, index: Any, event: yaml.AliasEvent) -> yaml.Node:
        """An alias is its anchor's node again; count what it stands for before anyone expands it."""
        if event.anchor in self.open_anchors:
            raise RefusedYAML(
                f"has the alias *{event.anchor} inside the value it stands for",
                event.start_mark,
                "A value cannot contain itself: write the inner part out.",
            )
        node = super().compose_node(parent, index)
        assert node is not None
        self.alias_values += self._size(node)
        if self.alias_values > ALIAS_VALUE_LIMIT:
            raise RefusedYAML(
                f"has aliases that stand for more than {ALIAS_VALUE_LIMIT:,} values",
                event.start_mark,
                "Each *alias repeats its whole &anchor value, and aliases inside it multiply; "
                "write the values out or use fewer aliases.",
            )
        return node

    def _size(self, node: yaml.Node) -> int:
        """How many values a finished node stands for with its aliases expanded (memoised)."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._size(key) + self._size(value) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._size(item) for item in node.value)
        else:
            size = 1
        self.sizes[id(node)] = size
        return size

    def _check_tag(self, event: yaml.Event) -> None:
        tag = getattr(event, "tag", None)
        if tag is None or tag == "!":
            return
        if tag not in ALLOWED_TAGS.get(type(event), frozenset()):
            if tag in KNOWN_TAGS:
                problem = (
                    f"uses the tag {short_tag(tag)} on {KINDS[type(event)]}, which it does not fit"
                )
            else:
                problem = f"uses the tag {short_tag(tag)}, which is not allowed"
            raise RefusedYAML(problem, event.start_mark, TAG_HINT)
        if isinstance(event, yaml.ScalarEvent) and not self._fits(tag, event.value):
            value = event.value if len(event.value) <= 40 else event.value[:40] + "..."
            raise RefusedYAML(
                f"tags '{value}' as {short_tag(tag)}, which it is not", event.start_mark, TAG_HINT
            )

    def _fits(self, tag: str, value: str) -> bool:
        """An explicit tag must agree with what the value reads as on its own (!!float takes ints)."""
        if tag == YAML_TAG + "str":
            return True
        plain = self.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        return plain == tag or (tag == YAML_TAG + "float" and plain == YAML_TAG + "int")

    def _refuse_repeated_keys(self, node: yaml.MappingNode) -> None:
        """Keys that read as the same value (`a` twice, or `1` and `0x1`) would keep only the last."""
        seen: dict[Any, yaml.ScalarNode] = {}
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE_TAG:
                continue
            value = key.value if key.tag == YAML_TAG + "str" else self.construct_object(key)
            first = seen.get(value)
            if first is not None:
                same = (
                    ""
                    if first.value == key.value
                    else f" (YAML reads '{first.value}' and '{key.value}' alike)"
                )
                raise RefusedYAML(
                    f"has the key '{key.value}' twice{same}", key.start_mark, "Keep one of them."
                )
            seen[value] = key


class Loader(Checks, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python parser under the checks: slow, but its error messages are the ones
    users see (libyaml words some problems differently), so it reads every document that fails."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.start_checks()


class FastLoader(Checks, CParser):
    """libyaml's parser (C, ~10x faster) feeding the same checking composer and constructors:
    the node tree, its marks and the values are those `Loader` makes."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.start_checks()

    # The composer's, not CParser's own C composer, which would skip the checks.
    get_single_node = yaml.composer.Composer.get_single_node
    check_node = yaml.composer.Composer.check_node
    get_node = yaml.composer.Composer.get_node


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
    if isinstance(exc, RefusedYAML):
        message, hint = f"{what} {problem}", exc.hint
    return located(message, path, text, line, column, hint)


def parse_yaml(
    yaml_text: str, path: str, text: str, line_offset: int, what: str
) -> tuple[yaml.Node | None, Any]:
    """Parse one YAML document safely; every way it can fail becomes a located SiteError.

    Returns the node tree too, whose marks give each key's line. `line_offset` is where the YAML
    starts in `text` (the whole file), so positions point at the file, not at the snippet.
    """
    if FAST_LOADER and not yaml.reader.Reader.NON_PRINTABLE.search(yaml_text):
        try:
            return load_document(FastLoader(yaml_text))
        except (yaml.YAMLError, RecursionError):
            pass  # read again below, for the message users know and its exact place
    try:
        loader = Loader(yaml_text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, yaml_text, path, text, line_offset, what) from None
    try:
        return load_document(loader)
    except yaml.YAMLError as exc:
        raise from_yaml_error(exc, path, text, line_offset, what) from None
    except RecursionError:
        raise located(f"{what} is nested too deeply", path, text, line_offset + 1) from None


def load_document(loader: Loader | FastLoader) -> tuple[yaml.Node | None, Any]:
    """The node tree and the value of the one document `loader` reads (or its error)."""
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _reader_error(
    exc: yaml.reader.ReaderError, yaml_text: str, path: str, text: str, offset: int, what: str
) -> SiteError:
    """A character YAML refuses outright (control characters), at its line and column."""
    before = yaml_text[: exc.position]
    line = before.count("\n") + 1 + offset
    column = exc.position - (before.rfind("\n") + 1) + 1
    return located(
        f"{what} contains a character YAML does not allow (U+{exc.character:04X})",
        path,
        text,
        line,
        column,
        "Remove it, or write it as an escape such as \\t inside double quotes.",
    )
