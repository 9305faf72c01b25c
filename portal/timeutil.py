"""The one place that handles time zones: store UTC, convert at the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_name


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone `name`; raise `ValueError` for an unknown one."""
    if name not in all_zone_names():
        raise ValueError(f"unknown time zone: {name!r}")
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def all_zone_names() -> frozenset[str]:
    """Every IANA zone name the tz database knows."""
    return frozenset(available_timezones())


def is_zone_name(name: str) -> bool:
    return name in all_zone_names()


def to_zone(moment: datetime, zone_name: str) -> datetime:
    """Express an aware instant in the wall-clock time of `zone_name`."""
    return moment.astimezone(zone(zone_name))


def from_local(local: datetime, zone_name: str) -> datetime:
    """Turn a naive wall-clock time in `zone_name` into an aware UTC instant."""
    return local.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """Normalise an aware datetime to UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def zone_display_name(local: datetime, lang: str) -> str:
    """The name every page, card, message and back-office view gives the zone of a wall-clock
    time: its long name at that moment, in the reader's language ("Central European Standard
    Time", « heure normale d’Europe centrale », «hora estándar de Europa central»).

    One form everywhere, never nested in other brackets; it says whether summer time applies,
    and zones without a name fall back to their offset ("GMT+02:00").
    """
    return get_timezone_name(local, width="long", locale=lang)
