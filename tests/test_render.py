"""Templates and generated artifacts: URL helpers, strict undefined, sitemap, robots, calendar."""

from __future__ import annotations

import datetime
from pathlib import Path

import icalendar
import pytest

from site_src.artifacts import render_ics, render_robots, render_sitemap
from site_src.errors import SiteError
from site_src.model import Asset
from site_src.render import make_absolute_url, make_asset_url, make_url

from .conftest import MakeProject, config_for


def test_url_helpers_honour_the_base_path(tmp_path: Path) -> None:
    url = make_url("/REPO/")
    assert url("/keynote/") == "/REPO/keynote/"
    assert url("keynote/#s") == "/REPO/keynote/#s"
    assert url("/") == "/REPO/"
    assert url("#top") == "#top"
    config = config_for(tmp_path, base_url="https://u.github.io/REPO")
    assert make_absolute_url(config)("/a/") == "https://u.github.io/REPO/a/"
    assert make_absolute_url(config_for(tmp_path))("/a/") == "/a/"


def test_asset_helper_gives_hashed_names_and_rejects_unknown_files() -> None:
    asset = make_asset_url("/R/", {"css/s.css": Asset("css/s.css", "css/s.0123456789.css", "x")})
    assert asset("css/s.css") == "/R/css/s.0123456789.css"
    with pytest.raises(Exception, match=r"no static file 'css/t\.css'"):
        asset("css/t.css")


def test_sitemap_lists_pages_sorted_with_absolute_urls(make_project: MakeProject) -> None:
    root = make_project(
        {
            "site.yml": "base_url: https://e.org/x/\n",
            "content/b.md": "---\ntitle: B\ndate: 2025-01-02\n---\n",
            "content/index.md": "---\ntitle: A\n---\n",
        }
    )
    from site_src.pipeline import build_site

    config = config_for(root)
    build_site(config)
    sitemap = (config.output_dir / "sitemap.xml").read_text()
    assert sitemap.index("<loc>https://e.org/x/</loc>") < sitemap.index("https://e.org/x/b/")
    assert "<lastmod>2025-01-02</lastmod>" in sitemap
    assert render_robots(config).endswith("Sitemap: https://e.org/x/sitemap.xml\n")
    assert render_sitemap(config, []).count("<url>") == 0


def test_calendar_file_parses_and_carries_the_dates(tmp_path: Path) -> None:
    config = config_for(tmp_path, base_url="https://e.org/")
    config = type(config)(**{**_fields(config), "calendar": "event"})
    event = {
        "name": "Conf",
        "start": datetime.date(2025, 9, 24),
        "end": datetime.date(2025, 9, 26),
        "location": "Hangzhou, China",
        "page": "event/",
    }
    parsed = icalendar.Calendar.from_ical(render_ics(config, event))
    (vevent,) = parsed.walk("VEVENT")
    assert vevent["SUMMARY"] == "Conf"
    assert vevent.decoded("DTSTART") == datetime.date(2025, 9, 24)
    assert vevent.decoded("DTEND") == datetime.date(2025, 9, 27)
    assert str(vevent["LOCATION"]) == "Hangzhou, China"
    assert str(vevent["URL"]) == "https://e.org/event/"


def test_calendar_data_without_dates_is_a_located_error(tmp_path: Path) -> None:
    config = type(config_for(tmp_path))(**{**_fields(config_for(tmp_path)), "calendar": "event"})
    with pytest.raises(SiteError) as caught:
        render_ics(config, {"name": "x", "start": "soon"})
    assert str(caught.value.where) == "data/event.yml"


def test_undefined_template_variables_are_errors_with_the_template_line(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "content/index.md": "---\ntitle: A\n---\n",
            "templates/page.html": "{% extends 'base.html' %}\n{% block main %}\n{{ page.nope }}\n{% endblock %}\n",
        }
    )
    from site_src.errors import BuildFailed
    from site_src.pipeline import build_site

    with pytest.raises(BuildFailed) as caught:
        build_site(config_for(root))
    (error,) = caught.value.errors
    assert str(error.where) == "templates/page.html:3"
    assert "nope" in error.message


def test_template_output_is_autoescaped(make_project: MakeProject) -> None:
    root = make_project({"content/index.md": '---\ntitle: "<script>x</script>"\n---\n'})
    from site_src.pipeline import build_site

    config = config_for(root)
    build_site(config)
    html = (config.output_dir / "index.html").read_text()
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def _fields(config: object) -> dict[str, object]:
    from dataclasses import fields

    return {f.name: getattr(config, f.name) for f in fields(config)}  # type: ignore[arg-type]


def test_data_and_keys_named_like_dict_methods_reach_templates(make_project: MakeProject) -> None:
    from site_src.pipeline import build_site

    root = make_project(
        {
            "content/index.md": "---\ntitle: Home\nextra: {keys: page-keys}\n---\n",
            "data/items.yml": "- first item\n- second item\n",
            "data/keys.yml": "answer: the keys file\n",
            "data/get.yml": "answer: the get file\n",
            "data/values.yml": "answer: the values file\n",
            "data/menu.yml": "items: [menu-a, menu-b]\nupdate: menu-update\n",
            "templates/page.html": (
                "{% for item in data.items %}<p>{{ item }}</p>{% endfor %}"
                "<p>{{ data.keys.answer }}|{{ data.get.answer }}|{{ data.values.answer }}</p>"
                "<p>{{ data.menu.items | join(',') }}|{{ data.menu.update }}</p>"
                "<p>{{ page.extra.keys }}|{{ data.menu.get('update') }}</p>"
                "<p>{% for k, v in data.keys.items() %}{{ k }}={{ v }}{% endfor %}</p>\n"
            ),
        }
    )
    config = config_for(root)
    build_site(config)
    html = (config.output_dir / "index.html").read_text()
    assert html == (
        "<p>first item</p><p>second item</p>"
        "<p>the keys file|the get file|the values file</p>"
        "<p>menu-a,menu-b|menu-update</p>"
        "<p>page-keys|menu-update</p>"
        "<p>answer=the keys file</p>\n"
    )


def test_image_size_reads_the_published_picture_and_follows_it_when_replaced(
    make_project: MakeProject,
) -> None:
    from PIL import Image

    from site_src.pipeline import build_site

    page = '{% set w, h = image_size(\'img/p.png\') %}<img src="{{ asset(\'img/p.png\') }}" width="{{ w }}" height="{{ h }}" alt="">'
    root = make_project(
        {
            "content/index.md": "---\ntitle: Home\ntemplate: pic.html\n---\n",
            "templates/pic.html": page,
        }
    )
    (root / "static/img").mkdir(parents=True)
    config = config_for(root)
    for size in [(300, 120), (64, 48)]:
        Image.new("RGB", size, "white").save(root / "static/img/p.png")
        build_site(config)
        html = (config.output_dir / "index.html").read_text()
        assert f'width="{size[0]}" height="{size[1]}"' in html


def test_image_size_of_a_file_that_is_not_a_picture_is_a_template_error(
    make_project: MakeProject,
) -> None:
    from site_src.errors import BuildFailed
    from site_src.pipeline import build_site

    root = make_project(
        {
            "content/index.md": "---\ntitle: Home\ntemplate: pic.html\n---\n",
            "templates/pic.html": "{{ image_size('notes.txt') }}",
            "static/notes.txt": "plain text",
        }
    )
    with pytest.raises(BuildFailed) as failed:
        build_site(config_for(root))
    message = " ".join(str(error) for error in failed.value.errors)
    assert "'notes.txt' is not an image whose size can be read" in message
    assert "pic.html" in message
