"""A build is linear in everything a page holds: links, headings, ids, and broken links with the
error report they make.

Each corner page (bench/corners.py) is built with n and 4n items; four times the items must cost
well under sixteen times the CPU time (a loop over the page for each item would). The bound is
generous (8x) and a pair is measured again when it misses, so a loaded machine does not fail it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.corners import build_cpu_seconds, write_corner_site
from site_src.links import scan_html

# Items on the smaller page: enough that the quadratic loops this guards against took 10-15x
# the time for 4x the items, small enough that all four kinds take a few seconds.
SIZES = {"links": 2500, "headings": 1000, "ids": 2500, "broken": 2500}
BOUND = 8.0
TRIES = 3


def cpu_ratio(kind: str, count: int, folder: Path) -> tuple[float, int, int]:
    """CPU time of a build with 4x the items over one with `count`; and the errors of each."""
    small = write_corner_site(kind, count, folder / "small")
    large = write_corner_site(kind, 4 * count, folder / "large")
    small_cpu, small_errors = build_cpu_seconds(small)
    large_cpu, large_errors = build_cpu_seconds(large)
    small_cpu = min(small_cpu, build_cpu_seconds(small)[0])  # the smaller is the noisier
    return large_cpu / small_cpu, small_errors, large_errors


@pytest.mark.parametrize("kind", sorted(SIZES))
def test_four_times_the_items_cost_about_four_times_the_time(kind: str, tmp_path: Path) -> None:
    count = SIZES[kind]
    ratios = []
    for _ in range(TRIES):
        ratio, small_errors, large_errors = cpu_ratio(kind, count, tmp_path)
        ratios.append(ratio)
        if ratio < BOUND:
            break
    if kind == "broken":  # three of every four items are a broken link, each reported
        assert small_errors >= 3 * count // 4
        assert large_errors >= 3 * count
    else:
        assert small_errors == large_errors == 0
    assert min(ratios) < BOUND, f"{kind}: 4x the items cost {ratios} times the CPU time"


# Markup left open, repeated: each "<" searching to the end of the page again for its ">", "-->"
# or "]]>" made 4x the text cost 16x the time. A browser reads an open comment, CDATA or tag to the
# end of the page, and so does the scanner, once.
UNCLOSED = {
    "tag": "<a x ",
    "quote": '<a x="',
    "comment": "<!-- x >",
    "cdata": "<![CDATA[ x >",
    "declaration": "<!x ",
}


def scan_cpu_seconds(text: str) -> float:
    start = time.process_time()
    for _ in range(3):
        scan_html(text, "/", "x.md")
    return time.process_time() - start


@pytest.mark.parametrize("kind", sorted(UNCLOSED))
def test_markup_left_open_is_scanned_in_one_pass(kind: str) -> None:
    unit = UNCLOSED[kind]
    ratios = []
    for _ in range(TRIES):
        small = scan_cpu_seconds(unit * 4000)
        ratios.append(scan_cpu_seconds(unit * 16000) / max(small, 1e-3))
        if ratios[-1] < BOUND:
            break
    assert min(ratios) < BOUND, f"{kind}: 4x the text cost {ratios} times the CPU time"


def test_a_comment_left_open_hides_the_rest_of_the_page_as_in_a_browser() -> None:
    scan = scan_html('<a href="/seen/"><!-- open > <a href="/hidden/" id="h">', "/", "x.md")
    assert (scan.refs, scan.ids) == ((("/seen/", 1),), frozenset())
