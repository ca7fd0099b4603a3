"""Watching the project's sources: native file events, a short debounce, editors' noise filtered out.

livereload's own watcher polls mtimes every 800 ms and drops changes within 3 s of a reload, so
the dev server watches for itself, through `watchfiles` (inotify on Linux). The watch is not
recursive: each folder the build walks is watched by itself, so a folder link the build refuses
(out of the project, back up, a loop) is never followed across the file system. The folders are
walked again, and the watch renewed, only when a folder appears, vanishes or is renamed. The config
file and folders that do not exist yet are checked by `stat` whenever the event wait times out,
which costs a few system calls and never walks a tree.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from ..config import Config
from ..paths import Sources, source_files

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
    """What a build reads: source folders, single files checked by stat, and the rules for links.

    Without `sources`, links may lead anywhere in the folders' common parent except outside the
    source folders (the build's rules with no output or cache folder).
    """

    folders: tuple[Path, ...]
    files: tuple[Path, ...]
    sources: Sources | None = None

    def rules(self) -> Sources:
        """The rules that say which folder links a walk follows."""
        if self.sources is not None:
            return self.sources
        root = os.path.commonpath([*self.folders, *(path.parent for path in self.files)])
        return Sources(Path(root), self.folders, ())


def watch_targets(config: Config) -> WatchTargets:
    """The source folders and the config file of a project."""
    sources = Sources.of(config)
    return WatchTargets(sources.folders, (config.root / config.source,), sources)


@dataclass(frozen=True, slots=True)
class Tree:
    """The folders a build walks under the source folders, each real folder once, and the files."""

    folders: tuple[Path, ...]
    files: frozenset[Path]


def walk(targets: WatchTargets) -> Tree:
    """Walk the source folders as the build does: folder links are followed only where the build's
    rules allow, so no link leads the watch out of the project, back up, or round a loop."""
    sources = targets.rules()
    walked: list[tuple[str, str]] = []
    files: set[Path] = set()
    for folder in targets.folders:
        if folder.is_dir():
            found, _refused = source_files(folder, sources, walked=walked)  # the build reports them
            files.update(Path(path) for _parts, path in found)
    folders: dict[str, Path] = {}
    for path, real in walked:
        folders.setdefault(real, Path(path))
    return Tree(tuple(folders.values()), frozenset(files))


@dataclass(frozen=True, slots=True)
class Debounce:
    """How changes are grouped: a burst ends after `quiet_ms` without events, or after `max_ms`.

    The wait after a save is one to two `quiet_ms`; an editor's save (a temporary file, a
    rename) takes well under a millisecond, and a burst cut short only means a second build
    right after the first, which the rebuilder merges with anything else pending."""

    quiet_ms: int = 10
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
        self._pending: frozenset[Path] = frozenset()  # changes held back while the watch renews
        self._known: frozenset[Path] | None = None  # the files when the last watch began
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
        targets = self._targets()
        while not self._stop.is_set():
            for changed in self._bursts(targets):
                if not changed:
                    continue
                self._on_change(changed)
                if not changed.isdisjoint(targets.files):
                    renewed = self._targets()
                    if renewed != targets:
                        targets = renewed
                        self._known = None
                        break  # watch the new set of folders from now on

    def _bursts(self, targets: WatchTargets) -> Iterator[frozenset[Path]]:
        """Yield each burst of changes (empty sets on timeouts), until a folder appears or vanishes.

        A burst that changes the folders is held back and reported with the first burst of the
        renewed watch, together with the files that appeared meanwhile (in a new folder, say).
        """
        existing = [p for p in targets.folders if p.is_dir()]
        before = fingerprint(targets)
        if not existing:
            self._ready.set()
            self._known = frozenset()  # report what the folders hold when they appear
            while not self._stop.wait(STAT_INTERVAL_MS / 1000):
                after = fingerprint(targets)
                if after != before:
                    yield changed_marks(before, after) | self._take_pending()
                    return
            return
        tree = walk(targets)
        watched = frozenset(tree.folders)
        events = watchfiles.watch(
            *tree.folders,
            watch_filter=lambda _change, path: not is_editor_noise(Path(path)),
            debounce=self._debounce.max_ms,
            step=self._debounce.quiet_ms,
            stop_event=self._stop,
            rust_timeout=STAT_INTERVAL_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
            recursive=False,
        )
        known, self._known = self._known, tree.files
        for batch in events:
            self._ready.set()  # the native watch exists once the first wait has returned
            after = fingerprint(targets)
            paths = {Path(path) for _change, path in batch}
            changed = paths | changed_marks(before, after) | self._take_pending()
            if known is not None:  # first burst of a renewed watch: what appeared meanwhile
                now = walk(targets)
                changed |= {path for path in now.files - known if not is_editor_noise(path)}
                known = None
                if set(now.folders) != watched:
                    self._pending = frozenset(changed)
                    return
            folders_changed = [p for p in targets.folders if p.is_dir()] != existing or any(
                path in watched or (change != watchfiles.Change.deleted and path.is_dir())
                for change, path in ((c, Path(p)) for c, p in batch)
            )
            if folders_changed:
                self._pending = frozenset(changed)
                return  # a folder appeared, vanished or moved: walk again and renew the watch
            yield frozenset(changed)
            before = after

    def _take_pending(self) -> frozenset[Path]:
        pending, self._pending = self._pending, frozenset()
        return pending


def changed_marks(before: Fingerprint, after: Fingerprint) -> frozenset[Path]:
    """Paths whose stat fingerprint differs."""
    return frozenset(Path(a[0]) for a, b in zip(before, after, strict=True) if a != b)
