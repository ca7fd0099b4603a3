"""Measure every page with Lighthouse (mobile and desktop) and print a table of the four scores.

Usage (from the repository root): python -m tools.lighthouse [--preset mobile|desktop ...] [--page keynote/ ...] [--json DIR]

A measurement, not a test: scores on a loopback server with simulated throttling move a few points
between runs, so they guide work on the templates rather than gate a commit. The site is built fresh
and served like GitHub Pages under /REPO/; Lighthouse (pinned in package.json: npm ci) drives Debian's
Chromium headless.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from tools.site_tools import CHROMIUM, CHROMIUM_ARGS, REPO, built_and_served, page_paths

LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"  # 12.2.3: 13 wants Node 22
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PRESETS = ("mobile", "desktop")


@dataclass(frozen=True)
class Scores:
    page: str
    preset: str
    scores: dict[str, int | None]
    problem: str = ""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", choices=PRESETS, help="default: both")
    parser.add_argument("--page", action="append", help="page path, e.g. keynote/ (default: all)")
    parser.add_argument("--json", type=Path, help="also keep each full report in this folder")
    return parser.parse_args()


def lighthouse_command(url: str, preset: str, report: Path) -> list[str]:
    chrome_flags = " ".join(CHROMIUM_ARGS).replace("--headless", "--headless=new")
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={chrome_flags}",
        "--max-wait-for-load=60000",
    ]
    return [*command, "--preset=desktop"] if preset == "desktop" else command


def measure(url: str, page: str, preset: str, report: Path) -> Scores:
    """Run Lighthouse once; a failed run is a row with its reason, not an exception."""
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    result = subprocess.run(
        lighthouse_command(url, preset, report),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if result.returncode != 0 or not report.is_file():
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return Scores(page, preset, {}, f"lighthouse exit {result.returncode}: {reason}")
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {}
    for name in CATEGORIES:
        score = data["categories"].get(name, {}).get("score")
        scores[name] = None if score is None else round(score * 100)
    return Scores(page, preset, scores, data.get("runtimeError", {}).get("message", ""))


def print_table(rows: list[Scores]) -> None:
    header = ["page", "preset", *CATEGORIES]
    widths = [max(len("page"), *(len(r.page) for r in rows)), 7, *(len(c) for c in CATEGORIES)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [row.page, row.preset]
        cells += ["-" if row.scores.get(c) is None else str(row.scores[c]) for c in CATEGORIES]
        line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        print(line + (f"  {row.problem}" if row.problem else ""))


def main() -> None:
    args = parse_args()
    if not CHROMIUM.is_file():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    if not LIGHTHOUSE.is_file():
        raise SystemExit(f"{LIGHTHOUSE} not found: npm ci")
    presets = args.preset or list(PRESETS)
    rows: list[Scores] = []
    with built_and_served("/REPO/") as (site_dir, base_url), TemporaryDirectory() as tmp:
        reports = args.json or Path(tmp)
        reports.mkdir(parents=True, exist_ok=True)
        for page in args.page or page_paths(site_dir):
            for preset in presets:
                name = (page.strip("/").replace("/", "-") or "home") + f".{preset}.json"
                print(f"measuring /{page} ({preset})...", file=sys.stderr, flush=True)
                rows.append(measure(base_url + page, page or "/", preset, reports / name))
    print_table(rows)


if __name__ == "__main__":
    main()
