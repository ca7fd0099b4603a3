"""Watching the project's sources: native file events, a short debounce, editors' noise filtered out.

livereload's own watcher polls mtimes every 800 ms and drops changes within 3 s of a reload, so
the dev server watches for itself. Source folders are watched recursively through `watchfiles`
(inotify on Linux). The config file and folders that do not exist yet are checked by `stat`
whenever the event wait times out, which costs a few system calls and never walks a tree.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from ..config import Config

# Temporary, swap and backup files that editors write beside the file being saved.
NOISE = re.compile(
    r"""(
        ^\.                      # hidden files: .file.swp, .#lock, .~lock.file#, .DS_Store
      | ~$ | ^\#.*\#$            # emacs and vim backups, emacs autosave
      | \.(swp|swo|swx|swpx|tmp|temp|bak|orig|rej|part|crdownload)$
      | \.___jb_(tmp|old|bak)___$  # JetBrains safe write
      | ^4913$                   # vim's probe that the folder is writable
      | ^sed[A-Za-z0-9]{6}$      # sed -i
    )""",
    re.VERBOSE,
)
# Event wait before the config file and missing folders are checked again (milliseconds).
STAT_INTERVAL_MS = 100


def is_editor_noise(path: Path) -> bool:
    """True for files editors write while saving (swap, backup, temp); they never trigger builds."""
    return bool(NOISE.search(path.name))


@dataclass(frozen=True, slots=True)
class WatchTargets:
    """What a build reads: folders watched recursively and single files checked by stat."""

    folders: tuple[Path, ...]
    files: tuple[Path, ...]


def watch_targets(config: Config) -> WatchTargets:
    """The source folders and the config file of a project."""
    folders = (config.content_dir, config.templates_dir, config.static_dir, config.data_dir)
    return WatchTargets(tuple(dict.fromkeys(folders)), (config.root / config.source,))


@dataclass(frozen=True, slots=True)
class Debounce:
    """How changes are grouped: a burst ends after `quiet_ms` without events, or after `max_ms`."""

    quiet_ms: int = 20
    max_ms: int = 400


Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(targets: WatchTargets) -> Fingerprint:
    """mtime and size of the single files, and which folders exist: the part events cannot see."""
    marks = []
    for path in targets.files:
        try:
            stat = path.stat()
            marks.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            marks.append((str(path), -1, -1))
    marks += [(str(path), int(path.is_dir()), 0) for path in targets.folders]
    return tuple(marks)


class Watcher:
    """A thread that calls `on_change(paths)` once per burst of relevant changes, until stopped.

    `targets` (which reads the config) is called again only after a burst that touched one of its
    single files, so a config change that moves a folder is followed, and an idle server does not
    re-read the config on every event-wait timeout.
    """

    def __init__(
        self,
        targets: Callable[[], WatchTargets],
        on_change: Callable[[frozenset[Path]], None],
        debounce: Debounce = Debounce(),
    ) -> None:
        self._targets = targets
        self._on_change = on_change
        self._debounce = debounce
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="site-src-watcher", daemon=True)

    def start(self) -> None:
        """Start watching; returns once the first watch is in place, so no early save is missed."""
        self._thread.start()
        self._ready.wait(5)

    def stop(self) -> None:
        """Stop the thread and wait for it (the event wait wakes up within STAT_INTERVAL_MS)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            targets = self._targets()
            for changed in self._bursts(targets):
                if not changed:
                    continue
                self._on_change(changed)
                if not changed.isdisjoint(targets.files) and self._targets() != targets:
                    break  # watch the new set of folders from now on

    def _bursts(self, targets: WatchTargets) -> Iterator[frozenset[Path]]:
        """Yield each burst of changes (empty sets on timeouts), until the folders appear or vanish."""
        existing = [p for p in targets.folders if p.is_dir()]
        before = fingerprint(targets)
        if not existing:
            self._ready.set()
            while not self._stop.wait(STAT_INTERVAL_MS / 1000):
                after = fingerprint(targets)
                if after != before:
                    yield changed_marks(before, after)
                    return
            return
        events = watchfiles.watch(
            *existing,
            watch_filter=lambda _change, path: not is_editor_noise(Path(path)),
            debounce=self._debounce.max_ms,
            step=self._debounce.quiet_ms,
            stop_event=self._stop,
            rust_timeout=STAT_INTERVAL_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        for batch in events:
            self._ready.set()  # the native watch exists once the first wait has returned
            after = fingerprint(targets)
            changed = {Path(path) for _change, path in batch} | changed_marks(before, after)
            yield frozenset(changed | inside_new_folders(changed))
            if after != before and [p for p in targets.folders if p.is_dir()] != existing:
                return  # a folder appeared or vanished: start a new watch
            before = after


def inside_new_folders(changed: set[Path]) -> set[Path]:
    """Files already inside a folder that just appeared: they can be written before the native
    watch on the new folder exists, and would otherwise never be reported."""
    return {
        path
        for folder in changed
        if folder.is_dir()
        for path in folder.rglob("*")
        if not is_editor_noise(path)
    }


def changed_marks(before: Fingerprint, after: Fingerprint) -> frozenset[Path]:
    """Paths whose stat fingerprint differs."""
    return frozenset(Path(a[0]) for a, b in zip(before, after, strict=True) if a != b)
