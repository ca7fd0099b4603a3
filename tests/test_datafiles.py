"""Data files are parsed once: a later build takes each one's value from the cache while its
bytes hash the same, parses it again when they change, and never caches one that failed."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from site_src.cache import CACHE_FILE, BuildCache
from site_src.cachefile import DATA_FOLDER, data_entry, data_value
from site_src.datafiles import read_data
from site_src.errors import BuildFailed
from site_src.pipeline import build_site
from tests.conftest import MakeProject, config_for

FILES = {
    "templates/page.html": """\
        {% extends "base.html" %}
        {% block main %}{{ data.people.name }} {{ data.people.count }}{% endblock %}
        """,
    "content/index.md": "---\ntitle: Home\n---\nHello.\n",
    "data/people.yml": "name: Ada\ncount: 1\n",
}


def records(megabytes: float) -> str:
    """YAML records, about `megabytes` MB, that no template reads."""
    lines, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        line = f"- name: Speaker {n}\n  talk: Topic {n % 31}\n  tags: [a{n % 7}, b{n % 5}]\n"
        lines.append(line)
        size += len(line)
        n += 1
    return "".join(lines)


def home(root: Path) -> str:
    return (config_for(root).output_dir / "index.html").read_text(encoding="utf-8")


def test_an_edited_data_file_changes_the_output(make_project: MakeProject) -> None:
    root = make_project(FILES)
    config = config_for(root)
    build_site(config, processes=1)
    assert "Ada 1" in home(root)
    build_site(config, processes=1)
    (root / "data" / "people.yml").write_text("name: Grace\ncount: 2\n", encoding="utf-8")
    build_site(config, processes=1)
    assert "Grace 2" in home(root) and "Ada" not in home(root)


def test_a_cached_value_is_used_only_for_the_same_bytes(make_project: MakeProject) -> None:
    root = make_project(FILES)
    config = config_for(root)
    build_site(config, processes=1)
    saved = BuildCache.load(config.cache_dir, root).data["people.yml"]
    assert data_value(saved) == (True, {"name": "Ada", "count": 1})
    planted = data_entry(saved.digest, {"name": "Planted", "count": 9}, 100)
    assert planted is not None
    data, _files, _parsed, _errors = read_data(config, {"people.yml": planted})
    assert data["people"] == {"name": "Planted", "count": 9}  # same bytes: the cache's value
    (root / "data" / "people.yml").write_text("name: Ada\ncount: 3\n", encoding="utf-8")
    data, _files, parsed, _errors = read_data(config, {"people.yml": planted})
    assert data["people"] == {"name": "Ada", "count": 3}  # other bytes: parsed again
    assert parsed["people.yml"].digest != saved.digest


def stored_files(root: Path) -> list[Path]:
    return sorted((config_for(root).cache_dir / DATA_FOLDER).iterdir())


def plant(path: Path, value: object) -> None:
    """Write another value into a stored data value file, as its own format would."""
    document = json.loads(path.read_bytes())
    path.write_text(json.dumps({**document, "value": value}), encoding="utf-8")


def test_a_cached_value_is_read_from_its_file_only_when_used(make_project: MakeProject) -> None:
    """The cache file names each data file's digest; the value lives in a file of its own, and
    is read when a template first asks for it, not when the build starts."""
    root = make_project(FILES)
    config = config_for(root)
    build_site(config, processes=1)
    assert b"Ada" not in (config.cache_dir / CACHE_FILE).read_bytes()
    [stored] = stored_files(root)
    cache = BuildCache.load(config.cache_dir, root)
    data, _files, _parsed, _errors = read_data(config, cache.data)
    assert "people" in data and list(data) == ["people"]  # no value read yet
    plant(stored, {"name": "Later", "count": 5})
    assert data["people"] == {"name": "Later", "count": 5}
    (root / "content" / "index.md").write_text("---\ntitle: Home\n---\nHi.\n", encoding="utf-8")
    build_site(config, processes=1)
    assert "Later 5" in home(root)  # a page rendered again reads the stored value


def test_a_damaged_or_missing_value_file_is_parsed_again(make_project: MakeProject) -> None:
    root = make_project(FILES)
    config = config_for(root)
    build_site(config, processes=1)
    [stored] = stored_files(root)
    for damage in ("{not json", json.dumps({"format": 0, "value": 1}), None):
        if damage is None:
            stored.unlink()
        else:
            stored.write_text(damage, encoding="utf-8")
        cache = BuildCache.load(config.cache_dir, root)
        data, _files, _parsed, _errors = read_data(config, cache.data)
        assert data["people"] == {"name": "Ada", "count": 1}, damage
    page = root / "content" / "index.md"
    for text in ("Hi.", "Hello again."):  # the first build forgets the value, the next keeps it
        page.write_text(f"---\ntitle: Home\n---\n{text}\n", encoding="utf-8")
        build_site(config, processes=1)
        assert "Ada 1" in home(root)
    assert stored_files(root) == [stored]
    assert json.loads(stored.read_bytes())["value"] == {"name": "Ada", "count": 1}


def test_only_the_values_of_current_data_files_are_kept(make_project: MakeProject) -> None:
    root = make_project({**FILES, "data/extra.yml": "a: 1\n"})
    config = config_for(root)
    build_site(config, processes=1)
    first = stored_files(root)
    assert len(first) == 2
    (root / "data" / "people.yml").write_text("name: Grace\ncount: 2\n", encoding="utf-8")
    (root / "data" / "extra.yml").unlink()
    build_site(config, processes=1)
    [now] = stored_files(root)
    assert now not in first and "Grace 2" in home(root)
    assert data_value(BuildCache.load(config.cache_dir, root).data["people.yml"])[1] == {
        "name": "Grace",
        "count": 2,
    }


def test_a_broken_data_file_is_reported_by_every_build(make_project: MakeProject) -> None:
    root = make_project({**FILES, "data/broken.yml": "a: [1, 2\n"})
    config = config_for(root)
    for _ in range(2):
        with pytest.raises(BuildFailed) as failed:
            build_site(config, processes=1)
        assert [e.where.path for e in failed.value.errors if e.where] == ["data/broken.yml"]
    assert "broken.yml" not in BuildCache.load(config.cache_dir, root).data


def test_a_value_is_fresh_for_each_build(make_project: MakeProject) -> None:
    """A dev server keeps its cache in memory: what one build's templates do to a value must
    not reach the next build."""
    root = make_project(FILES)
    config, cache = config_for(root), BuildCache()
    build_site(config, processes=1, cache=cache)
    first, _files, _parsed, _errors = read_data(config, cache.data)
    first["people"]["name"] = "Changed"
    again, _files, _parsed, _errors = read_data(config, cache.data)
    assert again["people"]["name"] == "Ada"


def build_seconds(root: Path) -> tuple[float, float]:
    """CPU seconds of a first build (the cache empty) and of a no-op rebuild (best of three)."""
    config = config_for(root)
    shutil.rmtree(config.cache_dir, ignore_errors=True)
    started = time.process_time()
    build_site(config, processes=1)
    first = time.process_time() - started
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        build_site(config, processes=1)
        best = min(best, time.process_time() - started)
    return first, best


def test_megabytes_of_data_cost_a_no_op_build_little(make_project: MakeProject) -> None:
    """What the data adds to a no-op rebuild (hashing its bytes) is a small part of what parsing
    it costs (which the first build pays): measured against the same machine's parse, so load
    cannot fail it."""
    pages = {f"content/page-{n}.md": f"---\ntitle: Page {n}\n---\nText {n}.\n" for n in range(300)}
    root = make_project({**FILES, **pages})
    first_without, noop_without = build_seconds(root)
    (root / "data" / "records.yml").write_text(records(1.5), encoding="utf-8")
    first_with, noop_with = build_seconds(root)
    parsing = first_with - first_without
    assert parsing > 0.5, "the data should take a visible time to parse"
    assert noop_with - noop_without < parsing / 10, (noop_with, noop_without, parsing)
