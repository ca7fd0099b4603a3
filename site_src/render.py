"""Templates and generated files: one `render_<artifact>` function per kind of output.

The Jinja environment is strict (undefined variables are errors) and autoescaped; `url`, `asset`
and `absolute_url` make every link honour the base path, so one build works at / and under /REPO/.
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import jinja2
from markupsafe import Markup

from .config import Config
from .errors import Location, SiteError, from_jinja_error, project_path
from .model import Asset, NavItem, Page, PageView, RenderedBody
from .theme import template_loader


@dataclass(frozen=True, slots=True)
class SiteView:
    """What templates see as `site`."""

    title: str
    description: str
    language: str
    author: str
    base_url: str
    base_path: str
    nav: tuple[NavItem, ...]
    pages: tuple[PageView, ...]
    extra: Mapping[str, Any]


def make_environment(config: Config, assets: Mapping[str, Asset]) -> jinja2.Environment:
    """A Jinja environment for one build, with the URL helpers bound to this build's base URL."""
    env = jinja2.Environment(
        loader=template_loader(config.templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["url"] = make_url(config.base_path)
    env.globals["absolute_url"] = make_absolute_url(config)
    env.globals["asset"] = make_asset_url(config.base_path, assets, make_absolute_url(config))
    return env


def make_url(base_path: str) -> Callable[[str], str]:
    """url('/keynote/') -> '/REPO/keynote/'."""

    def url(path: str) -> str:
        if urlsplit(path).scheme or path.startswith("#"):
            return path
        return base_path + path.lstrip("/")

    return url


def make_absolute_url(config: Config) -> Callable[[str], str]:
    """absolute_url('/keynote/') -> 'https://host/REPO/keynote/' (or the path without a host)."""
    url = make_url(config.base_path)
    origin = ""
    if config.has_host:
        parts = urlsplit(config.base_url)
        origin = f"{parts.scheme}://{parts.netloc}"

    def absolute_url(path: str) -> str:
        return origin + url(path)

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
        return base_path + assets[logical].output

    return asset


def make_site_view(config: Config, pages: Sequence[Page], nav: Sequence[NavItem]) -> SiteView:
    """The `site` variable: config values plus every page's metadata (no bodies)."""
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
    )


def page_view(page: Page, body: RenderedBody | None) -> PageView:
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
    )


def render_page(
    env: jinja2.Environment,
    config: Config,
    site: SiteView,
    data: Mapping[str, Any],
    page: Page,
    body: RenderedBody,
) -> str:
    """Render one page through its template."""
    where = Location(page.source, page.meta.lines.get("template"))
    return _render(
        env, config, page.meta.template, where, site=site, page=page_view(page, body), data=data
    )


def render_404(
    env: jinja2.Environment, config: Config, site: SiteView, data: Mapping[str, Any]
) -> str:
    """The page GitHub Pages serves for any missing URL; its links go through url() like any page."""
    page = PageView(
        "Page not found",
        "",
        "/404.html",
        "templates/404.html",
        Markup(""),
        (),
        None,
        {},
        "404.html",
        0,
    )
    return _render(
        env, config, "404.html", Location("templates/404.html"), site=site, page=page, data=data
    )


def _render(
    env: jinja2.Environment, config: Config, name: str, where: Location, **context: Any
) -> str:
    """Render a template; anything a template does wrong becomes a SiteError at its line."""
    root = str(config.root)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        fallback = where if exc.name == name else _template_location(config, name)
        raise from_jinja_error(exc, root, fallback) from None
    except Exception as exc:  # a template's own mistake, whatever Python error it surfaced as
        raise from_jinja_error(exc, root, _template_location(config, name)) from None
    try:
        return template.render(**context)
    except Exception as exc:  # a template's own mistake, whatever Python error it surfaced as
        raise from_jinja_error(exc, root, _template_location(config, name)) from None


def _template_location(config: Config, name: str) -> Location:
    return Location(project_path(str(config.templates_dir / name), str(config.root)))


def render_sitemap(config: Config, pages: Sequence[Page]) -> str:
    """sitemap.xml: every page, sorted by URL; dates only where the content gives one."""
    absolute = make_absolute_url(config)
    rows = []
    for page in sorted(pages, key=lambda p: p.url):
        lastmod = f"<lastmod>{page.meta.date.isoformat()}</lastmod>" if page.meta.date else ""
        rows.append(f"  <url><loc>{xml_escape(absolute(page.url))}</loc>{lastmod}</url>")
    body = "\n".join(rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}\n</urlset>\n"
    )


def render_robots(config: Config) -> str:
    """robots.txt that allows everything and points to the sitemap."""
    return f"User-agent: *\nAllow: /\nSitemap: {make_absolute_url(config)('/sitemap.xml')}\n"


def render_ics(config: Config, event: Any) -> bytes:
    """An iCalendar file for one event from a data file, built with the icalendar library."""
    import icalendar

    name = f"data/{config.calendar}.yml"
    if not isinstance(event, Mapping):
        raise SiteError("the calendar data file must be a mapping", Location(name))
    missing = [k for k in ("name", "start", "end") if k not in event]
    bad_dates = [
        k for k in ("start", "end") if k in event and not isinstance(event[k], datetime.date)
    ]
    if missing or bad_dates:
        raise SiteError(
            f"the calendar data needs name, start and end dates (missing: {missing}, not a date: {bad_dates})",
            Location(name),
            "Write dates as YYYY-MM-DD; `end` is the last day of the event.",
        )
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//site_src//EN")
    calendar.add("version", "2.0")
    item = icalendar.Event()
    item.add("uid", f"{config.calendar}@{urlsplit(config.base_url).netloc or 'site_src'}")
    item.add("dtstamp", datetime.datetime.combine(event["start"], datetime.time(), datetime.UTC))
    item.add("summary", str(event["name"]))
    item.add("dtstart", event["start"])
    item.add("dtend", event["end"] + datetime.timedelta(days=1))
    for key in ("location", "description"):
        if event.get(key):
            item.add(key, str(event[key]).strip())
    item.add("url", make_absolute_url(config)(posixpath.join("/", str(event.get("page", "")))))
    calendar.add_component(item)
    return bytes(calendar.to_ical())
