"""A seeded generator of synthetic sites: N Markdown pages of about 1,300 words each.

Two corpora. *heavy*: every page has YAML front matter, headings, lists, three tables, two fenced
code blocks and about 20 links to other pages (some to a heading on the other page). *light*: the
same front matter and about as many words of prose in six sections, with lists and a few links
(the kind of page most sites have). The same seed always gives the same bytes. `write_corpus`
writes the neutral corpus (front matter + Markdown with `page-00042.md#heading` links);
`bench/run.py` adapts it for each tool.

    python bench/generate.py 1000 /tmp/site --seed 1
    python bench/generate.py 1000 /tmp/site --corpus light
"""

from __future__ import annotations

import argparse
import random
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

WORDS = [
    "model",
    "cloud",
    "agent",
    "token",
    "data",
    "compute",
    "stage",
    "vision",
    "system",
    "network",
    "training",
    "inference",
    "scale",
    "open",
    "source",
    "platform",
    "service",
    "latency",
    "memory",
    "storage",
    "cluster",
    "energy",
    "research",
    "language",
    "reason",
    "plan",
    "tool",
    "world",
    "robot",
    "sensor",
    "city",
    "factory",
    "market",
    "future",
    "growth",
    "capital",
    "infrastructure",
    "chip",
    "power",
    "cooling",
    "region",
    "developer",
    "community",
    "release",
    "benchmark",
    "quality",
    "safety",
    "alignment",
    "context",
    "window",
    "retrieval",
    "search",
    "answer",
    "image",
    "video",
    "audio",
    "speech",
    "code",
]
LANGUAGES = ("python", "javascript", "bash", "yaml")


@dataclass(frozen=True, slots=True)
class Plan:
    """What other pages need to know about a page before it is written: its headings."""

    name: str
    title: str
    headings: tuple[str, ...]


def slug(text: str) -> str:
    """The id markdown-it's anchors plugin gives a heading of plain lowercase words and digits."""
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", text.lower()).strip())


def page_name(index: int) -> str:
    return "index.md" if index == 0 else f"page-{index:05d}.md"


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def plan_pages(count: int, rng: random.Random) -> list[Plan]:
    """Titles and headings of every page, so links can point at headings that exist."""
    plans = []
    for index in range(count):
        title = f"{words(rng, 3).capitalize()} {index}"
        headings = tuple(f"{words(rng, 2).capitalize()} {n}" for n in range(1, 7))
        plans.append(Plan(page_name(index), title, headings))
    return plans


def paragraph(rng: random.Random, plans: list[Plan], count: int) -> str:
    """About `count` words with emphasis, inline code and one link to another page."""
    parts = [words(rng, count // 4), f"**{words(rng, 2)}**", words(rng, count // 4)]
    parts += [f"`{rng.choice(WORDS)}()`", words(rng, count // 4)]
    target = rng.choice(plans)
    anchor = f"#{slug(rng.choice(target.headings))}" if rng.random() < 0.5 else ""
    parts += [f"[{words(rng, 2)}]({target.name}{anchor})", f"*{words(rng, count // 4)}*."]
    return " ".join(parts).capitalize()


def prose(rng: random.Random, count: int) -> str:
    """About `count` words with emphasis and inline code, and no link."""
    parts = [words(rng, count // 3), f"*{words(rng, 2)}*", words(rng, count // 3)]
    parts += [f"`{rng.choice(WORDS)}`", f"**{words(rng, 2)}**", f"{words(rng, count // 3)}."]
    return " ".join(parts).capitalize()


def table(rng: random.Random) -> str:
    rows = ["| Name | Region | Share | Note |", "|---|---|---:|---|"]
    for _ in range(5):
        rows.append(
            f"| {words(rng, 1)} | {words(rng, 1)} | {rng.randint(1, 99)}% | {words(rng, 3)} |"
        )
    return "\n".join(rows)


def code(rng: random.Random) -> str:
    language = rng.choice(LANGUAGES)
    body = {
        "python": f"def {rng.choice(WORDS)}(x):\n    total = 0\n    for item in x:\n        total += len(item)\n    return {{'{rng.choice(WORDS)}': total}}",
        "javascript": f"function {rng.choice(WORDS)}(items) {{\n  const out = items.map((x) => x * 2);\n  return out.filter(Boolean);\n}}",
        "bash": f'set -eu\nfor f in *.md; do\n  echo "{rng.choice(WORDS)} $f"\ndone',
        "yaml": f"{rng.choice(WORDS)}:\n  enabled: true\n  limit: {rng.randint(1, 500)}\n  tags: [a, b]",
    }[language]
    return f"```{language}\n{body}\n```"


def front_matter(index: int, plan: Plan, rng: random.Random) -> str:
    """A page's front matter: its title, a description, its order and a date."""
    date = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return (
        f"---\ntitle: {plan.title}\ndescription: {words(rng, 12).capitalize()}.\n"
        f"order: {index}\ndate: {date}\n---\n"
    )


def page_text(index: int, plans: list[Plan], rng: random.Random) -> str:
    """One page: front matter, an introduction, six sections of prose, lists, tables and code."""
    plan = plans[index]
    blocks = [
        front_matter(index, plan, rng),
        paragraph(rng, plans, 60),
    ]
    for number, heading in enumerate(plan.headings):
        blocks += [f"## {heading}", paragraph(rng, plans, 55), paragraph(rng, plans, 45)]
        blocks.append("\n".join(f"- {words(rng, 8).capitalize()}" for _ in range(4)))
        if number % 2 == 0:
            blocks.append(table(rng))
        if number % 3 == 0:
            blocks.append(code(rng))
        blocks += [f"### {words(rng, 3).capitalize()} {number}", paragraph(rng, plans, 30)]
    return "\n\n".join(blocks) + "\n"


def light_page_text(index: int, plans: list[Plan], rng: random.Random) -> str:
    """One light page: front matter, an introduction with a link, six sections of prose with a
    list each, and a link in every other section (four links in all)."""
    plan = plans[index]
    blocks = [
        front_matter(index, plan, rng),
        paragraph(rng, plans, 70),
    ]
    for number, heading in enumerate(plan.headings):
        blocks += [f"## {heading}", prose(rng, 60), prose(rng, 60)]
        blocks.append(paragraph(rng, plans, 55) if number % 2 else prose(rng, 55))
        blocks.append("\n".join(f"- {words(rng, 8).capitalize()}" for _ in range(4)))
    return "\n\n".join(blocks) + "\n"


CORPORA = {"heavy": page_text, "light": light_page_text}


def write_corpus(count: int, folder: Path, seed: int = 1, corpus: str = "heavy") -> list[Path]:
    """Write `count` pages into `folder` (created if needed); return their paths in order."""
    rng = random.Random(seed)
    plans = plan_pages(count, rng)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    text = CORPORA[corpus]
    for index, plan in enumerate(plans):
        path = folder / plan.name
        path.write_text(text(index, plans, rng), encoding="utf-8")
        paths.append(path)
    return paths


SITE_YML = """\
title: Synthetic site
description: A generated site for benchmarks.
base_url: https://example.org/
nav:
  - title: Home
    page: index.md
"""

TEMPLATES = {
    "base.html": """\
        <!doctype html>
        <html lang="{{ site.language }}">
        <head><meta charset="utf-8"><title>{{ page.title }} | {{ site.title }}</title>
        <meta name="description" content="{{ page.description or site.description }}">
        <link rel="stylesheet" href="{{ asset('site.css') }}"></head>
        <body>
        <nav>{% for item in site.nav %}<a href="{{ url(item.url) }}">{{ item.title }}</a> {% endfor %}</nav>
        <main>{% block main %}{% endblock %}</main>
        </body></html>
        """,
    "page.html": """\
        {% extends "base.html" %}
        {% block main %}<h1>{{ page.title }}</h1>
        {% if page.toc %}<ul class="toc">{% for h in page.toc if h.level == 2 %}<li><a href="#{{ h.id }}">{{ h.title }}</a></li>{% endfor %}</ul>{% endif %}
        {{ page.content }}{% endblock %}
        """,
    "404.html": """\
        {% extends "base.html" %}
        {% block main %}<h1>Not found</h1><a href="{{ url('/') }}">Home</a>{% endblock %}
        """,
}


def write_site(count: int, root: Path, seed: int = 1, corpus: str = "heavy") -> Path:
    """A complete site_src project: site.yml, templates, one stylesheet and the corpus in content/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yml").write_text(SITE_YML, encoding="utf-8")
    for name, text in TEMPLATES.items():
        path = root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "static").mkdir(exist_ok=True)
    (root / "static" / "site.css").write_text("body { font: 16px/1.5 sans-serif; }\n")
    write_corpus(count, root / "content", seed, corpus)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of pages")
    parser.add_argument("out", type=Path, help="project folder to create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="heavy")
    parser.add_argument("--corpus-only", action="store_true", help="write only the .md files")
    args = parser.parse_args(argv)
    if args.corpus_only:
        write_corpus(args.count, args.out, args.seed, args.corpus)
    else:
        write_site(args.count, args.out, args.seed, args.corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
