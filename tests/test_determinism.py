"""Same input, same bytes: builds in different folders, at different times, in different orders.

Each project is copied file by file in a different order, with different modification times, and
built by a real `build.py` subprocess with a different SOURCE_DATE_EPOCH, time zone, hash seed and
locale. Every output file must be byte-identical.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from .conftest import MINIMAL_TEMPLATES, REPO, SAMPLE, run_cli, write_files

PROJECT_PARTS = ("site.yml", "content", "templates", "static", "data")


def source_files(project: Path) -> list[Path]:
    files = []
    for part in PROJECT_PARTS:
        path = project / part
        files += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return [f.relative_to(project) for f in files]


def copy_in_order(project: Path, target: Path, order: list[Path], mtime: float) -> None:
    """Create the project's files in the given order (so directory order differs), with a given mtime."""
    for relative in order:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes((project / relative).read_bytes())
        os.utime(destination, (mtime, mtime))


def build(root: Path, epoch: str, tz: str, seed: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SITE_BASE_URL"}
    env.update(SOURCE_DATE_EPOCH=epoch, TZ=tz, PYTHONHASHSEED=seed, LC_ALL="C")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--base-url", "https://example.org/site/"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def output(root: Path) -> dict[str, bytes]:
    site = root / "_site"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.mark.parametrize("project", [SAMPLE, REPO], ids=["sample", "flagship"])
def test_two_builds_of_the_same_input_are_byte_identical(project: Path, tmp_path: Path) -> None:
    files = sorted(source_files(project))
    assert any(f.parts[0] == "content" for f in files), f"{project} has no content"
    shuffled = files[:]
    random.Random(7).shuffle(shuffled)
    first, second = tmp_path / "a" / "one", tmp_path / "somewhere" / "else" / "two"
    copy_in_order(project, first, files, 1_000_000_000)
    copy_in_order(project, second, list(reversed(shuffled)), 1_700_000_000)
    build(first, "1", "UTC", "1")
    build(second, "1900000000", "Asia/Shanghai", "4242")
    one, two = output(first), output(second)
    assert sorted(one) == sorted(two)
    different = [name for name in one if one[name] != two[name]]
    assert not different, f"outputs differ: {different}"


def test_the_calendar_stamp_comes_from_the_event_not_the_clock(tmp_path: Path) -> None:
    root = tmp_path / "sample"
    copy_in_order(SAMPLE, root, sorted(source_files(SAMPLE)), 1_000_000_000)
    build(root, "1", "UTC", "0")
    calendar = icalendar.Calendar.from_ical((root / "_site" / "meetup.ics").read_bytes())
    (event,) = calendar.walk("VEVENT")
    stamp = event.decoded("DTSTAMP")
    start = event.decoded("DTSTART")
    assert (stamp.year, stamp.month, stamp.day) == (start.year, start.month, start.day)


def test_sitemap_lists_pages_in_url_order_without_build_dates(tmp_path: Path) -> None:
    root = tmp_path / "sample"
    copy_in_order(SAMPLE, root, sorted(source_files(SAMPLE)), 1_000_000_000)
    build(root, "1", "UTC", "0")
    sitemap = (root / "_site" / "sitemap.xml").read_text()
    locations = [
        line.split("<loc>")[1].split("</loc>")[0]
        for line in sitemap.splitlines()
        if "<loc>" in line
    ]
    assert locations == sorted(locations)
    assert "1970" not in sitemap and "2001" not in sitemap


SETS = "{" + ", ".join(f"word{i}" for i in range(16)) + "}"
YAML_SITES = {
    "sets": {
        "content/index.md": f"---\ntitle: Home\nextra:\n  words: !!set {SETS}\n---\nBody\n",
        "data/words.yml": f"words: !!set {SETS}\n",
    },
    "plain": {
        "content/index.md": (
            "---\ntitle: Home\ndate: 2025-09-24\nextra:\n  base: &b {z: 1, a: 2, m: [3, 4]}\n"
            "  more: {<<: *b, a: 5, when: 2025-09-24 10:00:00+08:00, ratio: !!float 1}\n---\nBody\n"
        ),
        "data/words.yml": "words: [" + SETS[1:-1] + "]\nnested: {b: {y: 1, x: 2}, a: null}\n",
    },
}
YAML_TEMPLATE = "{{ page.extra }}|{{ data }}|{% for w in data.words.words %}{{ w }},{% endfor %}\n"


@pytest.mark.parametrize("case", YAML_SITES)
def test_yaml_gives_the_same_result_under_every_hash_seed(case: str, tmp_path: Path) -> None:
    """Sets iterate in hash order: refused with the same message, they cannot differ between runs."""
    results = []
    for seed in ("1", "2", "3", "4"):
        root = write_files(
            tmp_path / seed,
            {**MINIMAL_TEMPLATES, "templates/page.html": YAML_TEMPLATE, **YAML_SITES[case]},
        )
        result = run_cli(root, env={"PYTHONHASHSEED": seed})
        site = root / "_site"
        files = {
            p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()
        }
        results.append((result.returncode, result.stderr, files))
    assert all(result == results[0] for result in results[1:])
    assert "Traceback" not in results[0][1]
    assert (results[0][0] == 0) == (case == "plain"), results[0][1]
