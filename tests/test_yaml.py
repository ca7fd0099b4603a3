"""YAML in its three places (front matter, data files, site.yml) is read by one checked loader.

The located messages for each kind of refused YAML are in tests/bad_inputs/; these tests cover
what a golden file cannot: that refusing is fast however much a file would expand, that the
checks take every place YAML is read, and what the loader still accepts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from site_src.config import load_config
from site_src.content import parse_page
from site_src.datafiles import Unloaded, load_data
from site_src.errors import SiteError
from site_src.model import Source
from site_src.yamlfile import (
    ALIAS_VALUE_LIMIT,
    FAST_LOADER,
    FastLoader,
    Loader,
    parse_yaml,
)
from site_src.yamlfile import load_document as load_with

from .conftest import REPO


def laughs(levels: int, indent: str = "") -> str:
    """A billion-laughs mapping: each level is ten aliases of the one before, 10**levels in all."""
    lines = [f"{indent}l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"{indent}l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def front_matter_problem(yaml_text: str, tmp_path: Path) -> SiteError:
    with pytest.raises(SiteError) as caught:
        parse_page(Source("content/a.md", f"---\ntitle: T\n{yaml_text}---\n"), "content")
    return caught.value


def data_problem(yaml_text: str, tmp_path: Path) -> SiteError:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.yml").write_text(yaml_text, encoding="utf-8")
    data, errors = load_data(load_config(tmp_path, environ={}))
    assert list(data) == ["a"] and isinstance(data["a"], Unloaded)
    (error,) = errors
    return error


def config_problem(yaml_text: str, tmp_path: Path) -> SiteError:
    (tmp_path / "site.yml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        load_config(tmp_path, environ={})
    return caught.value


PLACES: dict[str, Callable[[str, Path], SiteError]] = {
    "front matter": front_matter_problem,
    "data": data_problem,
    "config": config_problem,
}


@pytest.mark.parametrize("place", PLACES)
def test_an_alias_bomb_is_refused_at_once_without_expanding_it(place: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    error = PLACES[place](f"extra:\n{laughs(40, '  ')}", tmp_path)
    assert time.perf_counter() - started < 5, "the check must not expand 10**40 values"
    assert error.where is not None and error.where.line is not None
    assert f"aliases that stand for more than {ALIAS_VALUE_LIMIT:,} values" in error.message


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        ("extra: {a: !!bool yes please}\n", "tags 'yes please' as !!bool"),
        ("extra: {a: !!timestamp next tuesday}\n", "tags 'next tuesday' as !!timestamp"),
        ("extra: {a: !!set {x, y}}\n", "uses the tag !!set, which is not allowed"),
        ("extra: {a: !!binary aGVsbG8=}\n", "uses the tag !!binary, which is not allowed"),
        ("extra: {a: !!python/tuple [1]}\n", "uses the tag !!python/tuple, which is not allowed"),
        ("extra: {a: !x 1}\n", "uses the tag !x, which is not allowed"),
        ("extra: {a: [{b: 1, b: 2}]}\n", "has the key 'b' twice"),
        ("extra: {a: &a [1, *a]}\n", "has the alias *a inside the value it stands for"),
        ("extra: {a: 2025-02-30}\n", "has a value YAML cannot read: day is out of range"),
    ],
)
@pytest.mark.parametrize("place", PLACES)
def test_every_place_yaml_is_read_refuses_the_same_yaml(
    place: str, yaml_text: str, problem: str, tmp_path: Path
) -> None:
    error = PLACES[place](yaml_text, tmp_path)
    assert problem in error.message
    assert error.where is not None and error.where.column is not None


def parse(yaml_text: str) -> object:
    return parse_yaml(yaml_text, "data/a.yml", yaml_text, 0, "the data file")[1]


def test_aliases_and_merge_keys_within_the_limit_are_read() -> None:
    anchor = "defaults: &d {" + ", ".join(f"k{i}: {i}" for i in range(20)) + "}\n"
    uses = "".join(f"item{i}: {{<<: *d, k0: {i}}}\n" for i in range(1000))
    data = parse(anchor + uses)
    assert isinstance(data, dict) and len(data) == 1001
    assert data["item7"] == {**{f"k{i}": i for i in range(20)}, "k0": 7}


def test_plain_values_that_once_needed_a_constructor_are_text() -> None:
    assert parse("a: =\nb: <<\nc: !!str 12\nd: !!float 1\ne: !!int '7'\n") == {
        "a": "=",
        "b": "<<",
        "c": "12",
        "d": 1.0,
        "e": 7,
    }


@pytest.mark.parametrize(
    ("yaml_text", "where"),
    [
        ("1: a\n0x1: b\n", "data/a.yml:2:1"),
        ("yes: a\ntrue: b\n", "data/a.yml:2:1"),
        ("k: [{a: 1}, {a: 2, b: {c: 1, c: 2}}]\n", "data/a.yml:1:30"),
    ],
)
def test_keys_that_read_alike_are_repeated_keys(yaml_text: str, where: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse(yaml_text)
    assert str(caught.value.where) == where and "twice" in caught.value.message


REFUSED = [
    "extra: {a: !!bool yes please}\n",
    "extra: {a: !!set {x, y}}\n",
    "extra: {a: !x 1}\n",
    "a: 1\nb:\n  c: [{d: 1, d: 2}]\n",
    "1: a\n0x1: b\n",
    "extra: {a: &a [1, *a]}\n",
    "extra: {a: 2025-02-30}\n",
    "extra:\n" + laughs(40, "  "),
    "a: b: c\n",  # not YAML at all
    "a: [1, 2\n",
]


def refusal(loader: type[Loader] | type[FastLoader], yaml_text: str) -> tuple[str, int, int]:
    with pytest.raises(yaml.YAMLError) as caught:
        load_with(loader(yaml_text))
    mark = caught.value.problem_mark  # type: ignore[attr-defined]
    return type(caught.value).__name__, mark.line, mark.column


@pytest.mark.skipif(not FAST_LOADER, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("yaml_text", REFUSED, ids=range(len(REFUSED)))
def test_the_fast_loader_refuses_what_the_checking_loader_refuses(yaml_text: str) -> None:
    """Each check holds on libyaml's events as on PyYAML's, at the same place; only the wording
    of syntax errors differs, which is why a failed document is read again by `Loader`."""
    slow, fast = refusal(Loader, yaml_text), refusal(FastLoader, yaml_text)
    assert slow[0] == fast[0]
    if slow[0] == "RefusedYAML":
        assert slow == fast


def marks(node: yaml.Node) -> list[tuple[str, int, int, int, int]]:
    """Every node's tag and where it starts and ends, depth first."""
    start, end = node.start_mark, node.end_mark
    found = [(node.tag, start.line, start.column, end.line, end.column)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += marks(key) + marks(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += marks(item)
    return found


def documents() -> list[str]:
    """Every YAML document of the flagship site: site.yml, data files, front matter."""
    texts = [(REPO / "site.yml").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "data").glob("*.yml"))]
    for page in sorted((REPO / "content").rglob("*.md")):
        head = page.read_text(encoding="utf-8").split("---\n")
        if len(head) > 2 and head[0] == "":
            texts.append(head[1])
    texts.append("a: &d {x: 1, y: [2, 3]}\nb: {<<: *d, x: 4}\nc: 2025-09-24 09:30:00+08:00\n")
    return texts


@pytest.mark.skipif(not FAST_LOADER, reason="PyYAML was built without libyaml")
def test_both_loaders_make_the_same_values_with_the_same_marks() -> None:
    texts = documents()
    assert len(texts) > 5
    for text in texts:
        slow_node, slow_value = load_with(Loader(text))
        fast_node, fast_value = load_with(FastLoader(text))
        assert fast_value == slow_value
        assert slow_node is not None and fast_node is not None
        assert marks(fast_node) == marks(slow_node)


@pytest.mark.skipif(not FAST_LOADER, reason="PyYAML was built without libyaml")
def test_front_matter_is_read_by_the_c_parser() -> None:
    """CPU time, generous: libyaml makes the whole read about 10x faster here."""
    text = "title: A page\ndescription: What it is about, in a sentence.\norder: 3\n"
    text += "date: 2025-09-27\ntags: [one, two, three]\nextra: {a: 1, b: [x, y]}\n"

    def cost(read: Callable[[], object]) -> float:
        started = time.process_time()
        for _ in range(300):
            read()
        return time.process_time() - started

    slow = cost(lambda: load_with(Loader(text)))
    fast = cost(lambda: parse_yaml(text, "content/a.md", text, 1, "front matter"))
    assert fast < slow / 3, (fast, slow)
