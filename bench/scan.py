"""The link checker's HTML scanner alone: CPU time per rendered page, on the benchmark corpora.

Every page of every build goes through `site_src.links.scan_html`, so its cost is paid per page.
This times it on the built output of each corpus, beside html.parser (the reference the tests
compare it with) and, when installed, selectolax's lexbor parser with a CSS selection of the same
attributes (faster C, but no source lines; see the comment above `_TAG` in links.py).

    python bench/scan.py                         # 300 pages of each corpus
    python bench/scan.py --pages 1000 --baseline main   # also the scanner as it is at a revision
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.generate import write_site  # noqa: E402
from site_src.config import load_config  # noqa: E402
from site_src.links import LINK_ATTRS, scan_html  # noqa: E402
from site_src.pipeline import build_site  # noqa: E402

Scanner = Callable[[str], object]


class _Reference(HTMLParser):
    """The standard library's tokenizer doing the scanner's work (ids and link attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self.found += [(n, v, line) for n, v in attrs if n == "id" or n in LINK_ATTRS]


def html_parser_scan(text: str) -> object:
    parser = _Reference()
    parser.feed(text)
    parser.close()
    return parser.found


def lexbor_scan() -> Scanner | None:
    """selectolax's lexbor with a CSS selection of the attributes, if selectolax is installed."""
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        return None
    wanted = ",".join(f"[{name}]" for name in ("id", "srcset", *sorted(LINK_ATTRS)))

    def scan(text: str) -> object:
        return [node.attributes for node in LexborHTMLParser(text).css(wanted)]

    return scan


def baseline_scan(revision: str) -> Scanner:
    """`scan_html` as it is at a git revision, loaded beside the current one."""
    source = subprocess.run(
        ["git", "show", f"{revision}:site_src/links.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "site_src" / "links_baseline.py"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("site_src.links_baseline", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return lambda text: module.scan_html(text, "/", "x.md")


def built_pages(corpus: str, count: int, work: Path) -> list[str]:
    """The HTML of every page of a freshly built corpus."""
    root = write_site(count, work / f"scan-{corpus}-{count}", corpus=corpus)
    config = load_config(root, environ={})
    config = replace(config, output_dir=root / "_site", cache_dir=root / ".cache")
    build_site(config)
    return [p.read_text(encoding="utf-8") for p in sorted((root / "_site").rglob("*.html"))]


def per_page_us(scan: Scanner, pages: list[str], repeats: int) -> float:
    """The best of `repeats` passes over every page: CPU microseconds a page."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for text in pages:
            scan(text)
        best = min(best, time.process_time() - start)
    return best / len(pages) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", help="a git revision whose scan_html to time as well")
    args = parser.parse_args(argv)
    scanners: dict[str, Scanner] = {"site_src": lambda text: scan_html(text, "/", "x.md")}
    if args.baseline:
        scanners[f"site_src at {args.baseline}"] = baseline_scan(args.baseline)
    scanners["html.parser"] = html_parser_scan
    lexbor = lexbor_scan()
    if lexbor is not None:
        scanners["lexbor + css (no lines)"] = lexbor
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    print("| CPU µs a page | heavy | light |")
    print("|---|---:|---:|")
    rows: dict[str, list[str]] = {name: [] for name in scanners}
    for corpus in ("heavy", "light"):
        pages = built_pages(corpus, args.pages, work)
        for name, scan in scanners.items():
            rows[name].append(f"{per_page_us(scan, pages, args.repeats):.0f}")
    for name, cells in rows.items():
        print(f"| {name} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
