"""Site search in the dev server: the index is made on demand, never after each build.

Indexing every page after every save would add Pagefind's run (about a second for a small site)
to the edit-to-reload loop, for an index nobody may query. So the dev server's builds leave it
out (`build_site(search_index=False)`), and the first request under `<base>pagefind/` after a
build indexes the served folder (`write_index`, which renames the finished index into place)
while that request holds off the next build. Later requests for the same build are served the
index as it is; the first search after an edit pays for indexing once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import SiteError
from ..search import FOLDER, Searchable, write_index
from .wsgi_app import Snapshot


@dataclass(frozen=True, slots=True)
class SearchJob:
    """What the index of one build covers: the pages, and the site's language."""

    pages: tuple[Searchable, ...]
    language: str


@dataclass(frozen=True, slots=True)
class Indexed:
    """The search index was made on demand (for the terminal): how many pages, how long, or
    why it failed (the page's search box then says search is not available)."""

    pages: int
    seconds: float
    problem: SiteError | None = None


@dataclass
class SearchOnDemand:
    """Indexes a snapshot's folder once, when its search index is first asked for."""

    report: Callable[[Indexed], None] = lambda _event: None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _indexed: Snapshot | None = None

    def prepare(self, snapshot: Snapshot, path: str) -> None:
        """Called for every request while it holds off builds: index if this one needs it."""
        job = snapshot.search
        if not isinstance(job, SearchJob) or snapshot.folder is None:
            return
        if not path.startswith(snapshot.base_path + FOLDER + "/"):
            return
        with self._lock:
            if self._indexed is snapshot:
                return
            started = time.perf_counter()
            problem = None
            try:
                write_index(snapshot.folder, job.pages, job.language)
            except SiteError as error:  # the request gets a 404, the page says search failed
                problem = error
            self._indexed = snapshot
        self.report(Indexed(len(job.pages), time.perf_counter() - started, problem))
