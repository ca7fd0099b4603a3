"""Templates: the strict Jinja environment, the `site` and `page` views, and rendering a page.

The Jinja environment is strict (undefined variables are errors) and autoescaped; `url`, `asset`
and `absolute_url` make every link honour the base path, so one build works at / and under /REPO/.
"""

from __future__ import annotations

import ctypes
import datetime
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from .config import Config
from .dates import human_date
from .errors import Location, SiteError, from_jinja_error, project_path
from .model import Asset, NavItem, PageInfo, PageView, RenderedBody, SiteView
from .paths import Sources
from .sections import Sections, page_context
from .sources import TemplateLoader
from .theme import template_loader
from .urls import BadURL, clean_url, encode_url, has_scheme

# More numbers than any page needs: `range(10**10) | list` would fill memory in one step that no
# time limit can interrupt.
MAX_RANGE = 100_000


class KeysFirstEnvironment(jinja2.Environment):
    """`data.items` is data/items.yml: in templates a mapping's keys win over dict methods.

    Jinja looks up `x.name` as an attribute first, so a YAML key named like a method (items,
    keys, values, get, update...) would give the method instead; `x['name']` stays as it was.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def make_environment(config: Config, assets: Mapping[str, Asset]) -> jinja2.Environment:
    """A Jinja environment for one build, with the URL helpers bound to this build's base URL.

    Not `auto_reload`: a build renders every page with the templates it read first (those its
    cache keys hash), and spares two `stat` calls a page."""
    env = KeysFirstEnvironment(
        loader=template_loader(TemplateLoader(config.templates_dir, Sources.of(config))),
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["range"] = capped_range
    env.filters["human_date"] = partial(human_date_filter, config.language)
    env.globals["url"] = make_url(config.base_path)
    env.globals["absolute_url"] = make_absolute_url(config)
    env.globals["asset"] = make_asset_url(config.base_path, assets, make_absolute_url(config))
    env.globals["image_size"] = make_image_size(assets)
    return env


def human_date_filter(default: str, day: Any, language: str | None = None) -> str:
    """`{{ page.date|human_date }}`: the date as the site's language writes it (or the
    language given: `page.date|human_date(page.lang or site.language)`)."""
    if not isinstance(day, datetime.date):
        raise jinja2.TemplateError(f"human_date needs a date, not {day!r}")
    return human_date(day, language or default)


def capped_range(*args: int) -> range:
    """`range` for templates, refusing more than MAX_RANGE numbers."""
    numbers = range(*args)
    try:
        size = len(numbers)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise jinja2.TemplateError(
            f"range() of {size:,} numbers is more than a template may loop over ({MAX_RANGE:,})"
        )
    return numbers


def make_url(base_path: str) -> Callable[[str], str]:
    """url('/keynote/') -> '/REPO/keynote/', percent-encoded; a URL that could run script or
    carries a password (from data or front matter, say) is a template error, never written."""

    def url(path: str) -> str:
        try:
            cleaned = clean_url(str(path))
        except BadURL as problem:
            raise jinja2.TemplateError(f"the URL {str(path)!r} {problem}") from None
        if has_scheme(cleaned) or cleaned.startswith("#"):
            return cleaned
        return base_path + cleaned.lstrip("/")

    return url


def make_absolute_url(config: Config) -> Callable[[str], str]:
    """absolute_url('/keynote/') -> 'https://host/REPO/keynote/' (or the path without a host);
    a URL that is absolute already is kept."""
    url = make_url(config.base_path)
    origin = ""
    if config.has_host:
        parts = urlsplit(config.base_url)
        origin = f"{parts.scheme}://{parts.netloc}"

    def absolute_url(path: str) -> str:
        written = url(path)
        return written if has_scheme(written) else origin + written

    return absolute_url


def make_asset_url(
    base_path: str, assets: Mapping[str, Asset], absolute_url: Callable[[str], str] | None = None
) -> Callable[..., str]:
    """asset('css/site.css') -> '/REPO/css/site.1a2b3c4d.css'; with absolute=True, the full URL
    (for link previews, which need a host). An unknown file is an error."""

    def asset(path: str, absolute: bool = False) -> str:
        logical = path.lstrip("/")
        if logical not in assets:
            known = ", ".join(sorted(assets)[:8]) or "none"
            raise jinja2.TemplateError(f"no static file '{logical}' (static files: {known})")
        if absolute and absolute_url is not None:
            return absolute_url("/" + assets[logical].output)
        return base_path + encode_url(assets[logical].output)

    return asset


def make_image_size(assets: Mapping[str, Asset]) -> Callable[[str], tuple[int, int]]:
    """image_size('img/share.png') -> (1200, 630): a template writes an image's real size
    instead of numbers that go stale when the picture is replaced."""

    def image_size(path: str) -> tuple[int, int]:
        logical = path.lstrip("/")
        found = assets.get(logical)
        if found is None:
            known = ", ".join(sorted(assets)[:8]) or "none"
            raise jinja2.TemplateError(f"no static file '{logical}' (static files: {known})")
        info = found.image
        if info is None or info.problem or not info.width:
            raise jinja2.TemplateError(f"'{logical}' is not an image whose size can be read")
        return info.width, info.height

    return image_size


def make_site_view(
    config: Config,
    pages: Sequence[PageInfo],
    nav: Sequence[NavItem],
    sections: Sections | None = None,
) -> SiteView:
    """The `site` variable: config values plus every page's metadata (no bodies), and the
    section tree (`site.sections`, sections.py)."""
    views = tuple(page_view(page, None) for page in sorted(pages, key=lambda p: (p.order, p.url)))
    return SiteView(
        title=config.title,
        description=config.description,
        language=config.language,
        author=config.author,
        base_url=config.base_url,
        base_path=config.base_path,
        nav=tuple(nav),
        pages=views,
        extra=config.extra,
        sections=sections if sections is not None else Sections(),
        search=config.search,
    )


def page_view(page: PageInfo, body: RenderedBody | None) -> PageView:
    """The `page` variable for a template."""
    return PageView(
        title=page.title,
        description=page.description,
        url=page.url,
        source=page.source,
        content=Markup(body.html) if body else Markup(""),
        toc=body.toc if body else (),
        date=page.meta.date,
        extra=page.meta.extra,
        template=page.meta.template,
        order=page.order,
        meta=page.meta.written,
        lang=page.meta.lang or "",
        title_in_content=page.meta.title_in_content,
        updated=page.meta.updated,
        search=page.meta.search,
    )


def render_page(
    env: jinja2.Environment,
    config: Config,
    site: SiteView,
    data: Mapping[str, Any],
    page: PageInfo,
    body: RenderedBody,
    time_limit: float = 0,
) -> str:
    """Render one page through its template.

    A missing template the page names is its front matter's mistake; a missing default template
    is one mistake of the templates folder, however many pages use it."""
    line = page.meta.lines.get("template")
    where = (
        Location(page.source, line)
        if line is not None
        else template_location(config, page.meta.template)
    )
    view = page_view(page, body)
    # Sections (sections.py): the page's section, breadcrumbs, prev/next and list pager.
    view = replace(view, **page_context(site.sections, page.url, page.source))
    return render_template(
        env, config, page.meta.template, where, time_limit, site=site, page=view, data=data
    )


def render_template(
    env: jinja2.Environment,
    config: Config,
    name: str,
    where: Location,
    time_limit: float,
    **context: Any,
) -> str:
    """Render a template; anything a template does wrong becomes a SiteError at its line."""
    root = str(config.root)
    try:
        template = env.get_template(name)
    except SiteError:
        raise
    except jinja2.TemplateNotFound as exc:
        fallback = where if exc.name == name else template_location(config, name)
        raise from_jinja_error(exc, root, fallback) from None
    except Exception as exc:  # a template's own mistake, whatever Python error it surfaced as
        raise from_jinja_error(exc, root, template_location(config, name)) from None
    try:
        with deadline(time_limit):
            return template.render(**context)
    except SiteError:
        raise
    except TimeLimit as exc:
        error = from_jinja_error(exc, root, template_location(config, name))
        raise TemplateTimeout(
            f"the template was still rendering this page after {time_limit:g} s",
            error.where,
            "Look for a loop or macro call here that does not end (or makes far too much); "
            "rendering stopped at this line." + (f" {error.hint}" if error.hint else ""),
        ) from None
    except Exception as exc:  # a template's own mistake, whatever Python error it surfaced as
        raise from_jinja_error(exc, root, template_location(config, name)) from None


class TimeLimit(Exception):
    """Raised inside a render that ran out of time (by a timer, at whatever line it was on)."""


class TemplateTimeout(SiteError):
    """A page whose template did not finish in time: the build stops rendering (the next page
    would most likely loop just as long)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise TimeLimit in the code inside once `seconds` have passed (0: no limit).

    In a process's main thread (the command line, render workers) a timer signal does it at the
    cost of two system calls; in any other thread (the dev server's builds) a timer thread makes
    Python raise it there. Either fires again each second in case the first is swallowed."""
    if seconds <= 0:
        yield
    elif threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    armed = [True]  # cleared before anything else on the way out: a late signal is then ignored

    def expire(_signal: int, _frame: object) -> None:
        if armed[0]:
            raise TimeLimit

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


@contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """The body holds `running`; the watcher raises TimeLimit in it each time it fails to take
    it in time. Once released, the watcher stops; then a raise still on its way is cancelled."""
    target, running = threading.get_ident(), threading.Lock()
    set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc

    def watch() -> None:
        wait = seconds
        while not running.acquire(timeout=wait):
            set_async(ctypes.c_ulong(target), ctypes.py_object(TimeLimit))
            wait = 1.0

    running.acquire()
    watcher = threading.Thread(target=watch, name="site-src-render-deadline", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        running.release()
        try:
            watcher.join()
        finally:
            set_async(ctypes.c_ulong(target), None)


def template_location(config: Config, name: str) -> Location:
    return Location(project_path(str(config.templates_dir / name), str(config.root)))
