"""The rebuild loop: one thread that turns bursts of changed files into builds, one at a time.

Changes that arrive during a build are merged and built right after it, so the last save always
reaches the browser. Builds go to a private folder (never `_site/`), and the server is told about
the new output only once it is complete. Nothing here prints: outcomes go to `report`.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..cache import BuildCache, engine_digest
from ..config import Config
from ..errors import BROKEN_LINK, BuildFailed, SiteError, sort_problems
from ..pipeline import build_site
from .search import SearchJob
from .wsgi_app import SiteState, Snapshot


@dataclass(frozen=True, slots=True)
class Built:
    """A successful build: where the site is, its base path, the stylesheet URLs whose
    content alone changed (empty when a full page reload is needed), its warnings, and the
    broken links it was published with (a plain build would have failed on them)."""

    folder: Path
    base_path: str
    stylesheets: tuple[str, ...] = ()
    warnings: tuple[SiteError, ...] = ()
    broken_links: tuple[SiteError, ...] = ()
    search: SearchJob | None = None  # the index to make on demand (serve/search.py)


Builder = Callable[[frozenset[Path]], Built]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one rebuild did, for the terminal and for the browser."""

    changed: frozenset[Path]
    seconds: float
    errors: tuple[SiteError, ...]
    warnings: tuple[SiteError, ...] = ()
    stylesheets: tuple[str, ...] = ()
    crash: str | None = None  # a traceback: a bug in site_src, not the user's mistake
    serving_older: bool = False  # a failed build leaves an earlier good site on show
    broken_links: tuple[SiteError, ...] = ()  # published anyway: listed, not fatal


class Rebuilder:
    """Runs `builder` on a thread for every burst of changes and publishes the result."""

    def __init__(
        self,
        builder: Builder,
        state: SiteState,
        on_done: Callable[[Outcome], None],
    ) -> None:
        self._builder = builder
        self._state = state
        self._on_done = on_done
        self._queue: queue.SimpleQueue[frozenset[Path] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="site-src-rebuild", daemon=True)

    def start(self) -> None:
        """Start the thread with a first full build."""
        self._thread.start()
        self.request(frozenset())

    def request(self, changed: frozenset[Path]) -> None:
        """Ask for a build of these changes (thread-safe; merged with any others pending)."""
        self._queue.put(changed)

    def stop(self) -> None:
        """Finish the running build, skip pending ones, and end the thread."""
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(60)

    def _run(self) -> None:
        while True:
            changes = self._next_batch()
            if changes is None:
                return
            self._on_done(self._build(changes))

    def _next_batch(self) -> frozenset[Path] | None:
        """Block for the next request, then merge everything else already queued."""
        changes: set[Path] = set()
        item = self._queue.get()
        while True:
            if item is None:
                return None
            changes |= item
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return frozenset(changes)

    def _build(self, changes: frozenset[Path]) -> Outcome:
        started = time.perf_counter()
        self._state.begin_build()
        previous = self._state.current
        try:
            built = self._builder(changes)
        except BuildFailed as failed:
            return self._failed(previous, changes, started, failed.errors)
        except SiteError as error:
            return self._failed(previous, changes, started, (error,))
        except Exception as exc:  # a bug: keep serving, show it, print the traceback
            bug = SiteError(
                f"internal error while building: {exc!r}",
                hint="This is a bug in site_src, not in your files; the terminal has the details.",
            )
            crash = traceback.format_exc()
            outcome = self._failed(previous, changes, started, (bug,))
            return dataclasses.replace(outcome, crash=crash)
        snapshot = Snapshot(built.folder, built.base_path, (), built.broken_links, built.search)
        self._state.finish_build(snapshot)
        seconds = time.perf_counter() - started
        # A stylesheet swapped in place would leave a stale overlay on the page.
        same_overlay = not previous.errors and shown(previous.broken_links) == shown(
            built.broken_links
        )
        css = built.stylesheets if same_overlay else ()
        return Outcome(changes, seconds, (), built.warnings, css, broken_links=built.broken_links)

    def _failed(
        self,
        previous: Snapshot,
        changes: frozenset[Path],
        started: float,
        errors: tuple[SiteError, ...],
    ) -> Outcome:
        self._state.finish_build(dataclasses.replace(previous, errors=tuple(errors)))
        older = previous.folder is not None
        return Outcome(changes, time.perf_counter() - started, tuple(errors), serving_older=older)


def shown(problems: tuple[SiteError, ...]) -> tuple[tuple[str, str | None, str | None], ...]:
    """Problems as the overlay shows them (errors compare by identity, not by content)."""
    return tuple((str(p), p.excerpt, p.hint) for p in problems)


def site_builder(load: Callable[[], Config], private: Path) -> Builder:
    """The real builder: reload the config (it may have changed), build into `private`/site.

    A change to stylesheets only is reported with the stylesheets' previous URLs, which is what
    the open pages still link to. The incremental cache lives in memory for the server's lifetime,
    so a one-page edit re-renders that page (and its dependents) only, and never touches the
    project's on-disk cache, which describes `_site/`, not this private folder. Broken links
    never stop it (whatever `broken_links` says): the newest site is served and they are listed.
    The search index is left out: the server makes it when it is first asked for
    (serve/search.py).
    """
    output = private / "site"
    cache = BuildCache(engine_digest())
    # Every path edited since the last successful build (None until one succeeded): a failed
    # build leaves the cache as it was, so its edits must still count for the next one.
    edited: set[Path] | None = None
    # The config as last read; read again only when its file changed (reading and checking it
    # costs more than the rest of a one-page rebuild of a small site).
    loaded: Config | None = None

    def build(changed: frozenset[Path]) -> Built:
        nonlocal edited, loaded
        if loaded is None or loaded.root / loaded.source in changed:
            loaded = None  # a config that fails to load is read again next time
            loaded = dataclasses.replace(load(), output_dir=output, broken_links="warning")
        config = loaded
        old_css = previous_stylesheets(config, changed, output)
        if edited is not None:
            edited |= changed
        result = build_site(
            config,
            write=True,
            cache=cache,
            edited=frozenset(edited) if edited is not None else None,
            search_index=False,
        )
        edited = set()
        broken = tuple(w for w in result.warnings if w.code == BROKEN_LINK)
        others = tuple(w for w in result.warnings if w.code != BROKEN_LINK)
        search = SearchJob(result.searchable, config.language) if config.search else None
        return Built(output, config.base_path, old_css, others, sort_problems(broken), search)

    return build


def previous_stylesheets(config: Config, changed: frozenset[Path], output: Path) -> tuple[str, ...]:
    """URLs (with base path) of the built copies of the changed stylesheets, if only CSS changed."""
    static = config.static_dir
    if not changed or not all(p.suffix == ".css" and p.is_relative_to(static) for p in changed):
        return ()
    urls = []
    for path in sorted(changed):
        logical = path.relative_to(static)
        folder = output / logical.parent
        if folder.is_dir():
            for built in sorted(folder.glob(f"{logical.stem}.*{logical.suffix}")):
                relative = built.relative_to(output).as_posix()
                urls.append(config.base_path + relative)
    return tuple(urls)
