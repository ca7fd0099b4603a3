"""What search engines and calendars read: JSON-LD on the pages and the event's .ics file."""

from __future__ import annotations

import datetime
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import pytest

from site_src.pipeline import build_site

from .conftest import REPO, config_for

BASE = "https://example.github.io/REPO/"


class _JsonLd(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.blocks: list[str] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "script" and ("type", "application/ld+json") in attrs
        if self.inside:
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.blocks[-1] += data


def json_ld(html: str) -> list[dict[str, Any]]:
    parser = _JsonLd()
    parser.feed(html)
    items: list[dict[str, Any]] = []
    for block in parser.blocks:
        value = json.loads(block)
        for item in value if isinstance(value, list) else [value]:
            items.extend(item.get("@graph", [item]))
    return items


def of_type(items: list[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    return [i for i in items if i.get("@type") in types]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("structured") / "site"
    build_site(config_for(REPO, output_dir=str(out), base_url=BASE))
    return out


def test_every_page_has_parseable_json_ld(site: Path) -> None:
    for page in sorted(site.rglob("index.html")):
        items = json_ld(page.read_text(encoding="utf-8"))
        assert items, f"{page.relative_to(site)} has no JSON-LD"
        assert all(item.get("@context", "https://schema.org") for item in items)


def test_the_event_carries_its_real_dates_and_place(site: Path) -> None:
    (event,) = of_type(json_ld((site / "event" / "index.html").read_text()), "Event")
    assert event["name"].startswith("Alibaba") and "Yunqi" in event["name"]
    assert event["startDate"] == "2025-09-24"
    assert event["endDate"] == "2025-09-26"
    place = json.dumps(event["location"])
    assert "Hangzhou" in place
    assert "China" in place or '"CN"' in place
    assert "Alibaba" in json.dumps(event["organizer"])


def test_the_keynote_is_an_article_about_the_keynote(site: Path) -> None:
    items = json_ld((site / "keynote" / "index.html").read_text())
    (article,) = of_type(items, "Article", "NewsArticle")
    assert "Eddie Wu" in json.dumps(article)
    assert article.get("headline")
    assert BASE + "keynote/" in json.dumps(article)


def test_the_calendar_file_parses_with_the_event_dates(site: Path) -> None:
    calendar = icalendar.Calendar.from_ical((site / "event.ics").read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime.date(2025, 9, 24)
    assert event.decoded("DTEND") == datetime.date(2025, 9, 27)  # DTEND is exclusive
    assert "Hangzhou" in str(event["LOCATION"])
    assert "Yunqi" in str(event["SUMMARY"])
    assert str(event["URL"]) == BASE + "event/"
