"""Pages that stress one thing a page can hold, and a page of ordinary prose of the same size.

A build should cost about the same for each: it must be linear in a page's links, headings, ids and
broken links, not only in its bytes. `bench/run.py` builds them and prints each against the prose
page; `tests/test_linear.py` checks that four times the items cost well under sixteen times the time.

    python bench/corners.py                     # every corner at 20,000 items (headings: 5,000)
    python bench/corners.py --count 2000 --kinds links,broken
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

TEMPLATES = {
    "base.html": """\
        <!doctype html>
        <html lang="{{ site.language }}"><head><meta charset="utf-8">
        <title>{{ page.title }}</title></head>
        <body><main>{% block main %}{% endblock %}</main></body></html>
        """,
    "page.html": """\
        {% extends "base.html" %}
        {% block main %}{{ page.content }}{% endblock %}
        """,
    "404.html": """\
        {% extends "base.html" %}
        {% block main %}<a href="{{ url('/') }}">Home</a>{% endblock %}
        """,
}
OTHER = "---\ntitle: Other\n---\n## Target\n\nThe page the corner pages link to.\n"
WORDS = [
    "the",
    "model",
    "reads",
    "every",
    "token",
    "of",
    "the",
    "window",
    "and",
    "plans",
    "its",
    "answer",
    "with",
    "care",
]


def _links(count: int) -> str:
    """`count` links, ten to a paragraph: to another page, to a heading there, to one here."""
    kinds = ("[other](other.md)", "[target](other.md#target)", "[top](#links)")
    items = [f"{kinds[n % 3]} {WORDS[n % len(WORDS)]}" for n in range(count)]
    return "# Links\n\n" + _paragraphs(items, 10)


def _headings(count: int) -> str:
    """`count` headings, most of them repeating a title (so their ids need numbering)."""
    blocks = [
        f"## {'Repeated title' if n % 4 else f'Title {n}'}\n\nText {n}." for n in range(count)
    ]
    return "\n\n".join(blocks) + "\n"


def _ids(count: int) -> str:
    """`count` elements with an `{#id}`, each linked from the next paragraph."""
    items = [f"`word`{{#id-{n}}} and [back](#id-{n})" for n in range(count)]
    return "# Ids\n\n" + _paragraphs(items, 10)


def _broken(count: int) -> str:
    """`count` broken links, a quarter of each kind the build reports, and repeated ids."""
    kinds = (
        "[gone](missing-{n}.md)",  # a .md source that does not exist
        "[gone](#nowhere-{n})",  # no such id on this page
        "[gone](/nowhere-{n}/)",  # no such page
        "`dup`{{#twice}}",  # an id used again
    )
    items = [kinds[n % 4].format(n=n) for n in range(count)]
    return "# Broken\n\n" + _paragraphs(items, 10)


def _paragraphs(items: list[str], per: int) -> str:
    lines = [" ".join(items[i : i + per]) for i in range(0, len(items), per)]
    return "\n\n".join(lines) + "\n"


def prose(size: int) -> str:
    """Ordinary paragraphs, about `size` characters in all."""
    out, total, n = [], 0, 0
    while total < size:
        paragraph = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(60)).capitalize() + "."
        out.append(paragraph)
        total += len(paragraph) + 2
        n += 1
    return "# Prose\n\n" + "\n\n".join(out) + "\n"


BODIES: dict[str, Callable[[int], str]] = {
    "links": _links,
    "headings": _headings,
    "ids": _ids,
    "broken": _broken,
}
DEFAULT_COUNTS = {"links": 20_000, "headings": 5_000, "ids": 20_000, "broken": 20_000}


def corner_body(kind: str, count: int) -> str:
    """The Markdown of one corner page ("prose-<kind>" is prose as long as that kind's page)."""
    if kind.startswith("prose-"):
        return prose(len(BODIES[kind.removeprefix("prose-")](count)))
    return BODIES[kind](count)


def write_corner_site(kind: str, count: int, root: Path) -> Path:
    """A project with one corner page (content/corner.md) and the page it links to."""
    shutil.rmtree(root, ignore_errors=True)
    for name, text in TEMPLATES.items():
        path = root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "content").mkdir(parents=True)
    (root / "site.yml").write_text("title: Corners\n", encoding="utf-8")
    (root / "content" / "index.md").write_text("---\ntitle: Home\n---\nHome.\n")
    (root / "content" / "other.md").write_text(OTHER, encoding="utf-8")
    page = f"---\ntitle: Corner {kind}\n---\n{corner_body(kind, count)}"
    (root / "content" / "corner.md").write_text(page, encoding="utf-8")
    return root


def build_cpu_seconds(root: Path) -> tuple[float, int]:
    """CPU seconds of one full build on one process, with the error report formatted as the
    command line would; and how many errors it reported."""
    sys.path.insert(0, str(REPO))
    from site_src.config import load_config
    from site_src.errors import BuildFailed, format_text
    from site_src.pipeline import build_site

    config = load_config(root, environ={})
    shutil.rmtree(root / "_site", ignore_errors=True)
    shutil.rmtree(config.cache_dir, ignore_errors=True)
    started = time.process_time()
    errors = 0
    try:
        build_site(config, processes=1)
    except BuildFailed as failed:
        errors = len(failed.errors)
        format_text(failed.errors)
    return time.process_time() - started, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default=",".join(BODIES))
    parser.add_argument(
        "--count", type=int, help="items per page (default: 20,000; headings 5,000)"
    )
    args = parser.parse_args(argv)
    work = HERE / ".work" / "corners"
    for kind in args.kinds.split(","):
        count = args.count or DEFAULT_COUNTS[kind]
        times = {}
        for name in (kind, f"prose-{kind}"):
            root = write_corner_site(name, count, work / name)
            size = (root / "content" / "corner.md").stat().st_size
            times[name], errors = build_cpu_seconds(root)
            print(
                f"  {name:<16} {count:>7,} items {size / 1e6:6.2f} MB  cpu {times[name]:7.2f} s"
                f"  {errors:>6,} errors",
                flush=True,
            )
        print(f"  {kind}: {times[kind] / times[f'prose-{kind}']:.2f}x the same bytes of prose")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
