"""Dates, from one source: a page's `date` and `updated` (calendar days in front matter) shown
to readers in the page's language, and written as instants in the site's `timezone`.

Nothing here reads the clock or the machine's time zone, so two machines in different zones
build the same bytes: a day is midnight in the configured zone (UTC unless `timezone` says
otherwise), and month names come from Babel's CLDR data, not from the system's locale.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

DEFAULT_LANGUAGE = "en"


@functools.cache
def zone(name: str) -> datetime.tzinfo:
    """The time zone of an IANA name; ValueError for a name the tz database does not have."""
    if name.upper() == "UTC":
        return datetime.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def instant(day: datetime.date, timezone: str = "UTC") -> datetime.datetime:
    """The start of a day in the site's time zone (a datetime is only given its zone)."""
    if isinstance(day, datetime.datetime):
        return day if day.tzinfo is not None else day.replace(tzinfo=zone(timezone))
    return datetime.datetime.combine(day, datetime.time(), zone(timezone))


def rfc3339(day: datetime.date, timezone: str = "UTC") -> str:
    """2025-09-24 -> 2025-09-24T00:00:00+08:00 (Atom's date-time; Z for UTC)."""
    text = instant(day, timezone).isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def modified(published: datetime.date | None, updated: datetime.date | None) -> Any:
    """When a page last changed: `updated` if given, else its `date` (None without either)."""
    return updated if updated is not None else published


@functools.cache
def _locale(language: str) -> Locale:
    """Babel's locale for a language tag (en, zh-CN, pt_BR), else its language alone, else en."""
    for tag in (language, language.replace("_", "-").split("-")[0], DEFAULT_LANGUAGE):
        try:
            return Locale.parse(tag.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(DEFAULT_LANGUAGE)


def human_date(day: datetime.date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as readers of a language write it: 24 September 2025 (en_GB), September 24, 2025
    (en), 2025年9月24日 (zh)."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    return str(format_date(day, format="long", locale=_locale(language)))
