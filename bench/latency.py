"""Edit-to-reload latency of `python build.py serve`, with `hugo server` and `mkdocs serve` measured
the same way in the same run when they are installed in bench/.peers/venv.

For each of N edits to one page (a paragraph appended, the file rewritten in place):
  served: from just before the write until a GET of that page returns the new text;
  reload: from just before the write until the reload message reaches a client of the server's
          live-reload channel (livereload's WebSocket; MkDocs' long poll).
Sites: the conference site (a copy of this repository's), and generated 1,000- and 10,000-page
sites (the same Markdown for every tool). Edits never touch the repository's own files.

    python bench/latency.py                    # all sites, 20 edits each
    python bench/latency.py --sizes 1000 --edits 10 --skip-peers
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work" / "latency"
PEERS = REPO / "bench" / ".peers" / "venv" / "bin"
TIMEOUT = 120.0
GOALS_MS = {1000: 100.0, 10000: 150.0}
SETTLE_SECONDS = 0.3  # pause between edits, so each is its own save


@dataclass(frozen=True)
class Site:
    """A project folder and the pages to edit (paths relative to it, and their URL paths)."""

    name: str
    root: Path
    edits: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Tool:
    """How to start one dev server on a site, and where its pages live."""

    name: str
    command: Callable[[Site, int], list[str]]
    layout: Callable[[Site], Site]
    channel: str  # "websocket" (livereload protocol) or "longpoll" (MkDocs)


# ---------------------------------------------------------------- generated sites


WORDS = [
    "model",
    "cloud",
    "inference",
    "cluster",
    "token",
    "agent",
    "network",
    "latency",
    "storage",
    "region",
    "compute",
    "open",
    "source",
    "training",
    "data",
    "center",
    "chip",
    "memory",
    "bandwidth",
    "router",
    "scheduler",
    "kernel",
    "vector",
    "search",
]


def paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text.capitalize() + "."


def page_markdown(rng: random.Random, number: int, total: int) -> str:
    """One generated page: front matter, sections, a list, a code block, links to other pages."""
    links = [rng.randrange(total) for _ in range(3)]
    link_text = ", ".join(f"[page {n}](p{n:05d}.md)" for n in links)
    sections = []
    for section in range(3):
        sections.append(f"## Section {section + 1}\n\n{paragraph(rng, 60)}\n\n{paragraph(rng, 40)}")
    body = "\n\n".join(sections)
    items = "\n".join(f"- {paragraph(rng, 6)}" for _ in range(4))
    return (
        f"---\ntitle: Generated page {number}\ndescription: {paragraph(rng, 10)}\n"
        f"order: {number}\n---\n{paragraph(rng, 50)}\n\nSee also {link_text}.\n\n{body}\n\n"
        f"{items}\n\n```python\nprint({number})\n```\n"
    )


TEMPLATES = {
    "base.html": (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>{{ page.title }}</title>\n"
        '<link rel="stylesheet" href="{{ asset(\'css/site.css\') }}"></head>\n'
        "<body><main>{% block main %}{% endblock %}</main></body></html>\n"
    ),
    "page.html": (
        '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1>'
        "{{ page.content }}{% endblock %}\n"
    ),
    "404.html": (
        '{% extends "base.html" %}{% block main %}<a href="{{ url(\'/\') }}">Home</a>'
        "{% endblock %}\n"
    ),
}


def generate(root: Path, pages: int, seed: int = 3) -> Site:
    """A site of `pages` Markdown pages in site_src's layout (other tools get copies)."""
    marker = root / f".generated-{pages}-{seed}"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        rng = random.Random(seed)
        (root / "content").mkdir(parents=True)
        for number in range(pages):
            text = page_markdown(rng, number, pages)
            (root / "content" / f"p{number:05d}.md").write_text(text, encoding="utf-8")
        index = "---\ntitle: Home\n---\n" + "".join(
            f"- [Page {n}](p{n:05d}.md)\n" for n in range(pages)
        )
        (root / "content" / "index.md").write_text(index, encoding="utf-8")
        (root / "templates").mkdir()
        for name, text in TEMPLATES.items():
            (root / "templates" / name).write_text(text, encoding="utf-8")
        (root / "static" / "css").mkdir(parents=True)
        (root / "static" / "css" / "site.css").write_text("body { margin: 2rem; }\n")
        (root / "site.yml").write_text(f"title: Generated {pages}\nbase_url: /\n")
        marker.write_text("")
    edits = tuple(
        (f"content/p{n:05d}.md", f"/p{n:05d}/")
        for n in random.Random(seed).sample(range(pages), 20)
    )
    return Site(f"generated, {pages:,} pages", root, edits)


def conference(root: Path) -> Site | None:
    """A copy of this repository's site (content, templates, static, data, site.yml)."""
    if not (REPO / "content").is_dir():
        return None
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name in ("content", "templates", "static", "data"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yml", root / "site.yml")
    sources = sorted(p.relative_to(root).as_posix() for p in (root / "content").rglob("*.md"))
    pages = []
    for source in sources:
        stem = source.removeprefix("content/").removesuffix(".md")
        pages.append((source, "/" if stem == "index" else f"/{stem}/"))
    return Site("conference site", root, tuple(pages))


# ---------------------------------------------------------------- tools


def ours_command(site: Site, port: int) -> list[str]:
    build = str(REPO / "build.py")
    return [sys.executable, build, "serve", "--root", str(site.root), "--port", str(port), "-q"]


def hugo_layout(site: Site) -> Site:
    """The same Markdown as a Hugo project, beside the original."""
    root = site.root.with_name(site.root.name + "-hugo")
    if not (root / "hugo.toml").exists():
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(site.root / "content", root / "content")
        layouts = root / "layouts" / "_default"
        layouts.mkdir(parents=True)
        single = "<!doctype html><html><head><title>{{ .Title }}</title></head><body>"
        single += "<main><h1>{{ .Title }}</h1>{{ .Content }}</main></body></html>\n"
        (layouts / "single.html").write_text(single)
        (layouts / "list.html").write_text(single)
        (root / "hugo.toml").write_text(
            'baseURL = "http://127.0.0.1/"\ndisableKinds = ["taxonomy", "term", "RSS"]\n'
            "[markup.goldmark.renderer]\nunsafe = true\n"
        )
    return Site(site.name, root, site.edits)


def hugo_command(site: Site, port: int) -> list[str]:
    return [
        str(PEERS / "hugo"), "server", "--source", str(site.root), "--port", str(port),
        "--bind", "127.0.0.1", "--baseURL", f"http://127.0.0.1:{port}/", "--appendPort=false",
    ]  # fmt: skip


def mkdocs_layout(site: Site) -> Site:
    """The same Markdown as an MkDocs project (docs/ instead of content/)."""
    root = site.root.with_name(site.root.name + "-mkdocs")
    if not (root / "mkdocs.yml").exists():
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(site.root / "content", root / "docs")
        (root / "mkdocs.yml").write_text("site_name: Bench\nuse_directory_urls: true\n")
    edits = tuple((s.replace("content/", "docs/", 1), url) for s, url in site.edits)
    return Site(site.name, root, edits)


def mkdocs_command(site: Site, port: int) -> list[str]:
    return [
        str(PEERS / "mkdocs"), "serve", "--config-file", str(site.root / "mkdocs.yml"),
        "--dev-addr", f"127.0.0.1:{port}", "--livereload",
    ]  # fmt: skip


OURS = Tool("site_src serve", ours_command, lambda site: site, "websocket")
HUGO = Tool("hugo server", hugo_command, hugo_layout, "websocket")
MKDOCS = Tool("mkdocs serve", mkdocs_command, mkdocs_layout, "longpoll")


# ---------------------------------------------------------------- measuring


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str, timeout: float = TIMEOUT) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


@contextmanager
def running(tool: Tool, site: Site) -> Iterator[int]:
    """Start the tool's dev server; yield its port once the first edit page answers."""
    port = free_port()
    log = open(site.root.parent / f"{site.root.name}.{tool.name.split()[0]}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        tool.command(site, port), cwd=site.root, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + TIMEOUT * 5
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{tool.name} exited; see {log.name}")
            try:
                status = http_get(port, site.edits[0][1], timeout=TIMEOUT)[0]
            except OSError:
                status = 0
            if status == 200:
                break
            if status == 500:
                raise RuntimeError(f"{tool.name} could not build the site; see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{tool.name} did not serve in time; see {log.name}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class Channel:
    """Records when the server's reload messages arrive, on its own thread."""

    def __init__(self, port: int, kind: str) -> None:
        self.arrivals: list[float] = []
        self._port, self._kind = port, kind
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Channel:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the live-reload channel did not connect")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()

    def first_after(self, moment: float, timeout: float = TIMEOUT) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            later = [t for t in self.arrivals if t > moment]
            if later:
                return later[0]
            time.sleep(0.001)
        raise RuntimeError("no reload message arrived")

    def _run(self) -> None:
        if self._kind == "websocket":
            asyncio.run(self._websocket())
        else:
            self._longpoll()

    async def _websocket(self) -> None:
        connection = await websocket_connect(f"ws://127.0.0.1:{self._port}/livereload")
        hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}
        await connection.write_message(json.dumps(hello))
        await connection.read_message()
        info = {"command": "info", "url": f"http://127.0.0.1:{self._port}/", "plugins": {}}
        await connection.write_message(json.dumps(info))
        await asyncio.sleep(0.2)
        self._ready.set()
        while not self._stop.is_set():
            message = await connection.read_message()
            if message is None:
                return
            if json.loads(message).get("command") == "reload":
                self.arrivals.append(time.perf_counter())

    def _longpoll(self) -> None:
        """MkDocs' script asks /livereload/<epoch>/<id>, answered when the epoch moves on."""
        _status, page = http_get(self._port, "/")
        found = re.search(r"livereload\((\d+),\s*(\d+)\)", page)
        if found is None:
            raise RuntimeError("no MkDocs live-reload script in the page")
        epoch, ident = int(found.group(1)), found.group(2)
        self._ready.set()
        while not self._stop.is_set():
            _status, answer = http_get(self._port, f"/livereload/{epoch}/{ident}")
            new = int(answer.strip() or epoch)
            if new != epoch:
                self.arrivals.append(time.perf_counter())
                epoch = new


@dataclass(frozen=True)
class Result:
    tool: str
    site: str
    served_ms: tuple[float, ...]
    reload_ms: tuple[float, ...]


def measure(tool: Tool, site: Site, edits: int) -> Result:
    """Edit pages one after another; time until served and until the reload message."""
    site = tool.layout(site)
    originals = {
        source: (site.root / source).read_text(encoding="utf-8") for source, _ in site.edits
    }
    served, reloads = [], []
    try:
        with running(tool, site) as port, Channel(port, tool.channel) as channel:
            time.sleep(1.0)  # let the first build's reload (if any) pass
            for number in range(edits):
                source, url = site.edits[number % len(site.edits)]
                token = f"edit-token-{number}-{random.randrange(10**9)}"
                path = site.root / source
                text = path.read_text(encoding="utf-8") + f"\n\nParagraph {token}.\n"
                started = time.perf_counter()
                path.write_text(text, encoding="utf-8")
                deadline = started + TIMEOUT
                while token not in http_get(port, url)[1]:
                    if time.perf_counter() > deadline:
                        raise RuntimeError(f"{url} never showed edit {number}")
                    time.sleep(0.002)
                served.append((time.perf_counter() - started) * 1000)
                reloads.append((channel.first_after(started) - started) * 1000)
                time.sleep(SETTLE_SECONDS)
    finally:
        for source, text in originals.items():
            (site.root / source).write_text(text, encoding="utf-8")
    return Result(tool.name, site.name, tuple(served), tuple(reloads))


def line(result: Result) -> str:
    def stats(values: Sequence[float]) -> str:
        return f"{statistics.median(values):8.1f} {max(values):8.1f}"

    return (
        f"{result.site:<26} {result.tool:<16} {stats(result.served_ms)}   {stats(result.reload_ms)}"
    )


def report(results: Sequence[Result]) -> None:
    print(f"\n{'site':<26} {'tool':<16} {'served median/worst ms':>17}   reload median/worst ms")
    for result in results:
        print(line(result))
    ours = {r.site: r for r in results if r.tool == OURS.name}
    for result in results:
        if result.tool != OURS.name and result.site in ours:
            ratio = statistics.median(result.reload_ms) / statistics.median(
                ours[result.site].reload_ms
            )
            print(f"{result.site}: {result.tool} median reload is {ratio:.1f}x ours")
    for result in ours.values():
        size = int(re.sub(r"\D", "", result.site) or 0)
        if size in GOALS_MS:
            median = statistics.median(result.reload_ms)
            verdict = "meets" if median < GOALS_MS[size] else "MISSES"
            print(
                f"{result.site}: median {median:.0f} ms {verdict} the {GOALS_MS[size]:.0f} ms goal"
            )


def peers(skip: bool) -> list[Tool]:
    if skip:
        return []
    found = []
    for tool, binary in ((HUGO, "hugo"), (MKDOCS, "mkdocs")):
        if (PEERS / binary).exists():
            found.append(tool)
        else:
            print(f"note: {PEERS / binary} not found; {tool.name} is not measured.")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--no-conference", action="store_true")
    args = parser.parse_args(argv)
    tools = [OURS, *peers(args.skip_peers)]
    sites = [] if args.no_conference else [conference(WORK / "conference")]
    if sites == [None]:
        print("note: no content/ in this repository; the conference site is not measured.")
    sites += [generate(WORK / f"generated-{size}", size) for size in args.sizes]
    results = []
    for site in sites:
        if site is None:
            continue
        for tool in tools:
            print(f"measuring {tool.name} on {site.name} ...", flush=True)
            try:
                results.append(measure(tool, site, args.edits))
            except RuntimeError as failure:
                print(f"  {tool.name} failed: {failure}")
            print("  " + line(results[-1]) if results else "", flush=True)
    report(results)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
