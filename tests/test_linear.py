"""A build is linear in everything a page holds: links, headings, ids, and broken links with the
error report they make.

Each corner page (bench/corners.py) is built with n and 4n items; four times the items must cost
well under sixteen times the CPU time (a loop over the page for each item would). The bound is
generous (8x) and a pair is measured again when it misses, so a loaded machine does not fail it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corners import build_cpu_seconds, write_corner_site

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
