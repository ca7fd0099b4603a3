"""Site search: a Pagefind index of the built pages, written into the staging folder before the
swap (`output.publish` calls `write_index` through its `before_swap` hook), so a failed index
leaves the published site as it was.

Only a build with `search: true` in site.yml touches Pagefind: the package is imported inside
`write_index`, never at module level, so a build without search neither imports nor runs it.
Pagefind is an optional dependency (the `search` extra): its binary is ~10 MB per platform and
most sites never ask for it.

The index lists exactly the pages the build knows are searchable (`searchable`): every published
page but those with `search: false` in front matter. The 404 page, redirect pages left at old URLs
and a section's list pages 2, 3, ... are generated files, not pages, and are never added (a list
page repeats what its entries' own pages say). Which part of a page is indexed is the template's
choice: the built-in theme marks its article `data-pagefind-body` and its navigation
`data-pagefind-ignore`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from collections.abc import Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .errors import SiteError, located
from .model import PageInfo

# The folder of the index and its script, in the output folder (Pagefind's default name).
FOLDER = "pagefind"
INSTALL = 'pip install "site-src[search]"'
# Seconds Pagefind may take before the build gives up on it: a binary that hangs must not hang
# the build; a thousand pages take about a second.
TIME_LIMIT = 300.0


@dataclass(frozen=True, slots=True)
class Searchable:
    """One page to index: where its HTML is in the output, and the URL results link to (with
    the base path, so the index works as it is wherever the site is served)."""

    output_path: str
    url: str


def searchable(config: Config, pages: Iterable[PageInfo]) -> tuple[Searchable, ...]:
    """The pages the index covers, in a stable order (none when search is off)."""
    if not config.search:
        return ()
    found = [
        Searchable(page.output_path, config.base_path + page.url.lstrip("/"))
        for page in pages
        if page.meta.search
    ]
    return tuple(sorted(found, key=lambda entry: entry.output_path))


def missing_problem(config: Config) -> SiteError | None:
    """An error at site.yml's `search:` line when search is on and Pagefind is not installed.

    Looked up without importing it, so the check costs nothing and runs before any page is
    rendered."""
    if not config.search or _installed():
        return None
    where = config.search_origin
    path = config.source if where is None else where.path
    text = _config_text(config)
    line = None if where is None else where.line
    return located(
        "search: true needs Pagefind, which is not installed",
        path,
        text,
        line,
        1,
        f"Install it with: {INSTALL}  (or set search: false).",
    )


def _installed() -> bool:
    try:
        return (
            importlib.util.find_spec("pagefind") is not None
            and importlib.util.find_spec("pagefind_bin") is not None
        )
    except (ImportError, ValueError):
        return False


def _config_text(config: Config) -> str | None:
    try:
        return (config.root / config.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def collision_problem(config: Config, outputs: Iterable[str]) -> SiteError | None:
    """The index needs the `pagefind/` folder of the output to itself."""
    if not config.search:
        return None
    taken = sorted(name for name in outputs if name == FOLDER or name.startswith(FOLDER + "/"))
    if not taken:
        return None
    return SiteError(
        f"the site writes {taken[0]}, but search: true needs the output folder's {FOLDER}/ "
        "for the search index",
        config.search_origin,
        f"Rename the page or static file that becomes {taken[0]}, or set search: false.",
    )


def write_index(
    folder: Path,
    pages: Sequence[Searchable],
    language: str,
    time_limit: float = TIME_LIMIT,
) -> None:
    """Index the pages' HTML in `folder` into `folder`/pagefind/; a SiteError if Pagefind fails.

    The index is written to a fresh folder beside it and renamed into place, so a reader of
    `folder` (the dev server) never sees half an index."""
    target = folder / FOLDER
    fresh = folder / f".{FOLDER}.new"
    shutil.rmtree(fresh, ignore_errors=True)  # left by an index that was stopped
    try:
        _run_alone(_index(folder, pages, language, fresh), time_limit)
    except TimeoutError:
        raise _failed(f"it did not finish within {time_limit:g} s") from None
    except SiteError:
        raise
    except Exception as exc:  # whatever the Pagefind service raised: its message is the news
        raise _failed(str(exc) or type(exc).__name__) from None
    _replace_folder(fresh, target)


def _run_alone(work: Coroutine[Any, Any, None], time_limit: float) -> None:
    """Run the indexing coroutine on an event loop of its own: on a thread of its own when this
    one already runs a loop (the dev server's requests are answered on Tornado's)."""
    limited = asyncio.wait_for(work, time_limit)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(limited)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="site-src-search") as pool:
        pool.submit(asyncio.run, limited).result()


async def _index(folder: Path, pages: Sequence[Searchable], language: str, out: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    # One index for every page whatever its `lang`, so each page's box searches the whole site.
    settings: IndexConfig = {
        "force_language": language.split("-")[0].lower(),
        "output_path": str(out),
    }
    async with PagefindIndex(settings) as index:  # writes the files when the block ends
        for page in pages:
            html = (folder / page.output_path).read_text(encoding="utf-8")
            await index.add_html_file(content=html, url=page.url)


def _replace_folder(fresh: Path, target: Path) -> None:
    if not fresh.is_dir():
        raise _failed(f"it wrote no {FOLDER}/ folder")
    old = target.with_name(f".{FOLDER}.old")
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _failed(reason: str) -> SiteError:
    return SiteError(
        f"the search index could not be written: Pagefind failed: {reason}",
        hint="The site was not changed. Run the build again; if it fails again, reinstall "
        f"Pagefind ({INSTALL}) or set search: false in site.yml.",
    )
