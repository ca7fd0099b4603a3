"""The generated files, one function each: "where does robots.txt come from?" is `render_robots`.

    404.html            render_404      the theme's or project's 404.html template
    sitemap.xml         render_sitemap  every page, only with an absolute base_url
    robots.txt          render_robots   allow all; names the sitemap if there is one
    <calendar>.ics      render_ics      the event of the data file `calendar` names
    CNAME               render_cname    the custom domain, when configured
    .nojekyll           render_nojekyll tells GitHub Pages to publish files as they are
    .site_src-output    render_marker   proof that the output folder is ours to replace

and for a site with sections (`growth.plan_growth` lists them in the index stage):

    <section>page/<n>/  render_list_page  list page n of a section (the section page's template)
    <section>feed.xml   render_feed_file  a section's Atom feed (`feed:` in its index.md)
    <old-url>/          render_redirect   a redirect page at each of a moved page's `aliases:`

`generated_names` is the one list of these files for a configuration and its sections; pages
and static files are the rest of the output (`pages`, `output.place_assets`).
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import jinja2
from markupsafe import Markup

from .aliases import render_alias
from .config import Config
from .dates import modified
from .errors import Location, SiteError
from .feeds import FeedItem, absolute_html, feed_entries, render_feed
from .growth import Growth
from .model import Output, PageInfo, PageView, RenderedBody, SiteView
from .output import MARKER, MARKER_TEXT
from .pages import Renderer, RenderJob
from .render import make_absolute_url, make_environment, render_page, render_template
from .sections import Section, Sections
from .sources import read_page_text
from .urls import BadURL, clean_url, encode_url, has_scheme

NOT_FOUND = "404.html"


def generated_names(config: Config, growth: Growth) -> list[str]:
    """The generated files this configuration's build writes, in the order they are made: the
    site's own, then its sections' list pages, feeds and redirect pages."""
    names = [NOT_FOUND]
    if has_sitemap(config):
        names.append("sitemap.xml")
    names += ["robots.txt", ".nojekyll", MARKER]
    if config.cname:
        names.append("CNAME")
    if config.calendar:
        names.append(f"{config.calendar}.ics")
    return names + growth.outputs


def generated_pages(growth: Growth) -> dict[str, tuple[str, str]]:
    """The generated HTML files, whose links are checked like a page's: output path -> (URL,
    the source their links are reported at)."""
    pages = {NOT_FOUND: ("/404.html", "templates/404.html")}
    for out, (section_url, _number) in growth.pagers.items():
        pages[out] = ("/" + out.removesuffix("index.html"), growth.sections[section_url].source)
    for out, (_url, source) in growth.aliases.items():
        pages[out] = ("/" + out.removesuffix("index.html"), source)
    return pages


def reserved_names(calendar: str | None) -> dict[str, str]:
    """Every file a build may generate (whatever the configuration says), and what each one is:
    no page or static file may take one of these paths."""
    names = [NOT_FOUND, "sitemap.xml", "robots.txt", ".nojekyll", "CNAME", MARKER]
    if calendar:
        names.append(f"{calendar}.ics")
    return {name: f"generated file {name}" for name in names}


def render_artifacts(
    job: RenderJob,
    growth: Growth,
    pages: Sequence[PageInfo],
    digests: Mapping[str, str],
) -> tuple[list[Output], list[SiteError]]:
    """Every generated file, each from its own function; a file that fails is left out and its
    problem returned (the others are still made, so one report has every problem).

    `pages` and `digests` (source hashes, by source) are for the sections' files: list pages
    render through their section page, full feeds carry pages' texts."""
    config, site, data, time_limit = job.config, job.site, job.data, job.time_limit
    env = make_environment(config, job.assets)
    by_source = {page.source: page for page in pages}
    by_url = {page.url: page for page in pages}
    problems: list[SiteError] = []
    try:
        bodies = feed_bodies(job, growth, by_source, digests)
    except SiteError as error:
        bodies = {}
        problems.append(error)
    list_pages = ["/" + out.removesuffix("index.html") for out in growth.pagers]
    makers: dict[str, Any] = {
        NOT_FOUND: lambda: render_404(env, config, site, data, time_limit),
        "sitemap.xml": lambda: render_sitemap(config, site.pages, list_pages),
        "robots.txt": lambda: render_robots(config),
        ".nojekyll": render_nojekyll,
        MARKER: render_marker,
        "CNAME": lambda: render_cname(config),
        f"{config.calendar}.ics": lambda: render_ics(config, data.get(str(config.calendar))),
    }
    for out, (section_url, number) in growth.pagers.items():
        section = growth.sections[section_url]
        index = by_source[section.source]
        makers[out] = lambda index=index, section=section, number=number: render_list_page(
            env, config, site, data, index, section, number, time_limit
        )
    for out, section_url in growth.feeds.items():
        section = growth.sections[section_url]
        makers[out] = lambda section=section: render_feed_file(
            config, growth.sections, section, bodies
        )
    for out, (url, _source) in growth.aliases.items():
        makers[out] = lambda target=by_url[url]: render_redirect(config, target)
    outputs = []
    for name in generated_names(config, growth):
        try:
            content = makers[name]()
        except SiteError as error:
            problems.append(error)
            continue
        raw = content.encode("utf-8") if isinstance(content, str) else content
        outputs.append(Output(name, raw))
    return outputs, problems


def render_404(
    env: jinja2.Environment,
    config: Config,
    site: SiteView,
    data: Mapping[str, Any],
    time_limit: float = 0,
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
    where = Location("templates/404.html")
    return render_template(
        env, config, "404.html", where, time_limit, site=site, page=page, data=data
    )


def render_sitemap(
    config: Config, pages: Sequence[PageView], list_pages: Sequence[str] = ()
) -> str:
    """sitemap.xml: every page and `list_pages` (a section's pages 2..n), sorted by URL; dates
    (`updated`, else `date`) only where the content gives one. Redirect pages are never in it.
    Written only with an absolute base_url (see `has_sitemap`): a sitemap's URLs must be
    absolute."""
    absolute = make_absolute_url(config)
    dated = {page.url: modified(page.date, page.updated) for page in pages}
    dated.update({url: None for url in list_pages})
    rows = []
    for url in sorted(dated):
        day = dated[url]
        lastmod = f"<lastmod>{day.isoformat()}</lastmod>" if day is not None else ""
        rows.append(f"  <url><loc>{xml_escape(absolute(url))}</loc>{lastmod}</url>")
    body = "\n".join(rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}\n</urlset>\n"
    )


def has_sitemap(config: Config) -> bool:
    """Whether the build writes sitemap.xml: a sitemap of relative URLs is invalid, so none is
    better than one, and robots.txt then names no sitemap."""
    return config.has_host


def render_robots(config: Config) -> str:
    """robots.txt that allows everything and points to the sitemap, if there is one."""
    text = "User-agent: *\nAllow: /\n"
    if has_sitemap(config):
        text += f"Sitemap: {make_absolute_url(config)('/sitemap.xml')}\n"
    return text


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
    if config.has_host:  # an iCalendar URL must be absolute
        item.add("url", _event_url(config, str(event.get("page", "")), name))
    calendar.add_component(item)
    return bytes(calendar.to_ical())


def _event_url(config: Config, page: str, name: str) -> str:
    """The calendar event's web page: a site path or an http(s) address, never a script."""
    try:
        cleaned = clean_url(page)
    except BadURL as problem:
        raise SiteError(
            f"the calendar's page {page!r} {problem}",
            Location(name),
            problem.hint or "Give `page` as a site path such as /event/ or an https:// address.",
        ) from None
    if has_scheme(cleaned):
        return cleaned
    return make_absolute_url(config)(posixpath.join("/", cleaned))


def render_cname(config: Config) -> str:
    """CNAME: the custom domain GitHub Pages serves the site at."""
    return str(config.cname).strip() + "\n"


def render_nojekyll() -> str:
    """.nojekyll: empty; it stops GitHub Pages from running Jekyll, which drops `_`-names."""
    return ""


def render_marker() -> str:
    """The marker every built site carries (see `output.check_output_folder`)."""
    return MARKER_TEXT


def render_list_page(
    env: jinja2.Environment,
    config: Config,
    site: SiteView,
    data: Mapping[str, Any],
    index: PageInfo,
    section: Section,
    number: int,
    time_limit: float = 0,
) -> str:
    """List page `number` (2 and up) of a section: the section page's template at
    <section>page/<n>/, showing that page of the list (`page.pager`) instead of the text."""
    listed = replace(index, url=section.pager_url(number))
    body = RenderedBody(index.source, "", (), ())
    return render_page(env, config, site, data, listed, body, time_limit)


def render_feed_file(
    config: Config, sections: Sections, section: Section, bodies: Mapping[str, str]
) -> bytes:
    """A section's Atom feed (`feeds.render_feed`); `bodies`: the HTML of the pages a full
    feed carries, by source."""
    absolute = make_absolute_url(config)
    items = [
        FeedItem(
            entry,
            absolute(entry.url),
            absolute_html(bodies[entry.source], absolute(entry.url))
            if section.feed == "full" and entry.source in bodies
            else None,
        )
        for entry in feed_entries(sections, section)
    ]
    return render_feed(
        section=section,
        items=items,
        absolute_url=absolute,
        site_title=config.title,
        author=config.author,
        language=config.language,
        timezone=config.timezone,
    )


def feed_bodies(
    job: RenderJob,
    growth: Growth,
    pages: Mapping[str, PageInfo],
    digests: Mapping[str, str],
) -> dict[str, str]:
    """The rendered HTML of every page a full feed carries, by source (rendered again here:
    page workers send back no HTML)."""
    if not growth.full_sources:
        return {}
    config = job.config
    renderer = Renderer(job)
    bodies = {}
    for source in growth.full_sources:
        text = read_page_text(config, source, digests[source])
        body, _problems = renderer.body(pages[source], text, job.site, job.data)
        bodies[source] = body.html
    return bodies


def render_redirect(config: Config, target: PageInfo) -> str:
    """The redirect page at one of `target`'s old URLs (`aliases.render_alias`), in the
    page's language."""
    return render_alias(
        target=config.base_path + encode_url(target.url.lstrip("/")),
        canonical=make_absolute_url(config)(target.url),
        title=target.title,
        language=target.meta.lang or config.language,
    )
