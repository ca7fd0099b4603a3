"""Every URL the build writes is valid: encoded once, never a script, absolute where it must be."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import icalendar
import jinja2
import pytest

from site_src.artifacts import render_ics
from site_src.errors import SiteError
from site_src.pipeline import build_site
from site_src.render import make_absolute_url, make_url

from .conftest import MakeProject, config_for, run_cli

LAYOUT = {
    "templates/base.html": """\
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title>
        <link rel="canonical" href="{{ absolute_url(page.url) }}">
        <meta property="og:url" content="{{ absolute_url(page.url) }}"></head>
        <body><nav>{% for item in site.nav %}<a href="{{ url(item.url) }}">{{ item.title }}</a>
        {% endfor %}</nav><main>{% block main %}{% endblock %}</main></body></html>
        """,
    "content/index.md": "---\ntitle: Home\n---\n[Menu](café au lait.md)\n",
    "content/café au lait.md": "---\ntitle: Café\n---\nBack [home](index.md).\n",
    "site.yml": "nav:\n  - {title: Home, page: index.md}\n  - {title: Café, page: café au lait.md}\n",
}


def read(root: Path, name: str) -> str:
    return (root / "_site" / name).read_text(encoding="utf-8")


def test_an_encoded_base_url_is_not_encoded_again(make_project: MakeProject) -> None:
    root = make_project(LAYOUT)
    result = run_cli(root, "--base-url", "https://example.org/my%20site/")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    home = read(root, "index.html")
    assert '<link rel="canonical" href="https://example.org/my%20site/">' in home
    assert '<a href="/my%20site/caf%C3%A9%20au%20lait/">Café</a>' in home
    assert "%25" not in home + read(root, "sitemap.xml") + read(root, "robots.txt")
    assert re.findall(r"<loc>(.*?)</loc>", read(root, "sitemap.xml")) == [
        "https://example.org/my%20site/",
        "https://example.org/my%20site/caf%C3%A9%20au%20lait/",
    ]
    assert read(root, "robots.txt").endswith("Sitemap: https://example.org/my%20site/sitemap.xml\n")


def test_a_base_url_with_spaces_and_an_idn_host_is_written_encoded(
    make_project: MakeProject,
) -> None:
    root = make_project(LAYOUT)
    result = run_cli(root, "--base-url", "https://bücher.example/my site/")
    assert result.returncode == 0, result.stderr
    page = read(root, "café au lait/index.html")
    expected = "https://xn--bcher-kva.example/my%20site/caf%C3%A9%20au%20lait/"
    assert f'<link rel="canonical" href="{expected}">' in page
    assert f'<meta property="og:url" content="{expected}">' in page
    assert f"<loc>{expected}</loc>" in read(root, "sitemap.xml")


def test_without_an_absolute_base_url_there_is_no_sitemap_and_one_warning(
    make_project: MakeProject,
) -> None:
    root = make_project(LAYOUT)
    result = run_cli(root)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning") == 1
    assert result.stderr.startswith(
        "site.yml: warning: base_url '/' has no host, so canonical and Open Graph URLs are "
        "relative and no sitemap.xml is written\n"
        "  hint: Set base_url in site.yml to where the site is published, or pass "
        "--base-url https://USER.github.io/REPO/\n"
    )
    assert not (root / "_site" / "sitemap.xml").exists()
    assert read(root, "robots.txt") == "User-agent: *\nAllow: /\n"
    strict = run_cli(root, "--strict")
    assert strict.returncode == 1 and "Build failed with 1 error(s)" in strict.stderr


def test_the_warning_names_the_line_of_base_url(make_project: MakeProject) -> None:
    root = make_project({**LAYOUT, "site.yml": "title: T\nbase_url: /sub/\n"})
    (warning,) = build_site(config_for(root)).warnings
    assert str(warning.where) == "site.yml:2:1" and "'/sub/' has no host" in warning.message


def test_deploy_refuses_a_base_url_without_a_host_before_building(
    make_project: MakeProject,
) -> None:
    root = make_project({**LAYOUT, "site.yml": "title: T\nbase_url: /\n"})
    result = run_cli(root, "deploy", "--no-push")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "site.yml:2:1: error: deploy needs a base_url with a host, not '/': a published site's "
        "canonical, Open Graph and sitemap URLs must be absolute\n"
    )
    assert "--base-url https://USER.github.io/REPO/" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "_site").exists()


def test_url_helpers_encode_once_and_refuse_script_urls(tmp_path: Path) -> None:
    url = make_url("/my%20site/")
    assert url("/café au lait/#a b") == "/my%20site/caf%C3%A9%20au%20lait/#a%20b"
    assert url("/already%20encoded/") == "/my%20site/already%20encoded/"
    absolute = make_absolute_url(config_for(tmp_path, base_url="https://e.org/R/"))
    assert absolute("https://other.org/a b") == "https://other.org/a%20b"
    assert absolute("/x/") == "https://e.org/R/x/"
    for bad in ("javascript:alert(1)", "data:text/html,x", "https://u:p@e.org/"):
        with pytest.raises(jinja2.TemplateError, match="the URL"):
            url(bad)
        with pytest.raises(jinja2.TemplateError, match="the URL"):
            absolute(bad)


def test_a_script_url_from_data_is_a_template_error_at_its_line(make_project: MakeProject) -> None:
    root = make_project(
        {
            "data/links.yml": "more: 'javascript:alert(1)'\n",
            "templates/page.html": (
                '{% extends "base.html" %}\n'
                '{% block main %}<a href="{{ url(data.links.more) }}">More</a>{% endblock %}\n'
            ),
            "content/index.md": "---\ntitle: Home\n---\n",
        }
    )
    result = run_cli(root, "check")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "templates/page.html:2: error: template error: the URL 'javascript:alert(1)' uses the "
        "'javascript:' scheme, which a published link may not use"
    )


EVENT = {"name": "Conf", "start": datetime.date(2025, 9, 24), "end": datetime.date(2025, 9, 26)}


def calendar_config(tmp_path: Path, base_url: str) -> object:
    config = config_for(tmp_path, base_url=base_url)
    return type(config)(**{**{f: getattr(config, f) for f in config.__slots__}, "calendar": "ev"})


def test_calendar_urls_are_absolute_encoded_and_never_scripts(tmp_path: Path) -> None:
    config = calendar_config(tmp_path, "https://e.org/R/")
    event_url = "https://e.org/R/the%20event/"
    for page in ("the event/", "/the%20event/", event_url):
        (vevent,) = icalendar.Calendar.from_ical(
            render_ics(config, {**EVENT, "page": page})  # type: ignore[arg-type]
        ).walk("VEVENT")
        assert str(vevent["URL"]) == event_url
    with pytest.raises(SiteError) as caught:
        render_ics(config, {**EVENT, "page": "javascript:alert(1)"})  # type: ignore[arg-type]
    assert str(caught.value).startswith(
        "data/ev.yml: error: the calendar's page 'javascript:alert(1)' uses the 'javascript:'"
    )


def test_a_calendar_without_an_absolute_base_has_no_relative_url(tmp_path: Path) -> None:
    config = calendar_config(tmp_path, "/")
    raw = render_ics(config, {**EVENT, "page": "event/"})  # type: ignore[arg-type]
    (vevent,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert "URL" not in vevent
