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

from site_src.config import load_config
from site_src.content import parse_page
from site_src.errors import SiteError
from site_src.model import Source
from site_src.sources import Unloaded, load_data
from site_src.yamlfile import ALIAS_VALUE_LIMIT, parse_yaml


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
