"""Take the README's screenshot: the home page at 1280x800 in headless Chromium.

Usage (from the repository root): python -m tools.screenshot [--output docs/screenshot.png] [--scheme light|dark] [--path keynote/]

The site is built fresh and served on loopback, so the picture always matches the current sources.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tools.site_tools import CHROMIUM, CHROMIUM_ARGS, REPO, built_and_served

WIDTH, HEIGHT = 1280, 800


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--scheme", choices=("light", "dark"), default="light")
    parser.add_argument("--path", default="", help="page below the site root, e.g. keynote/")
    return parser.parse_args()


def take_screenshot(url: str, output: Path, scheme: str) -> None:
    """Load one URL at 1280x800 and save what is visible (not the full page) as a PNG."""
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(
                viewport={"width": WIDTH, "height": HEIGHT},
                color_scheme=scheme,  # type: ignore[arg-type]
                reduced_motion="reduce",
            )
            response = page.goto(url, wait_until="networkidle")
            if response is None or response.status != 200:
                raise SystemExit(f"{url}: HTTP {response.status if response else 'no response'}")
            page.evaluate("document.fonts.ready.then(() => true)")
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output))
        finally:
            browser.close()


def main() -> None:
    args = parse_args()
    if not CHROMIUM.is_file():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    with built_and_served() as (_, base_url):
        take_screenshot(base_url + args.path, args.output, args.scheme)
    print(f"Wrote {args.output} ({WIDTH}x{HEIGHT}, {args.scheme})")


if __name__ == "__main__":
    main()
