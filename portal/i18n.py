"""Languages of the interface, locale selection, and per-language event content."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_time,
    get_timezone_location,
    get_timezone_name,
)
from flask_babel import get_locale
from flask_babel import gettext as _  # noqa: F401  (re-exported for views and services)
from flask_babel import lazy_gettext as _l  # noqa: F401

#: Interface languages, in the order the language switcher shows them.
LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_name(code: str) -> str:
    """A language's own name for itself ("Français"), as a switcher shows it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def localize(texts: Mapping[str, str] | None, lang: str | None = None) -> str:
    """Pick the text for `lang` (default: the current one), falling back to English.

    This is the only place that decides which language of organizer-entered content a
    reader sees.
    """
    if not texts:
        return ""
    lang = lang or current_language()
    for candidate in (lang, DEFAULT_LANGUAGE):
        if texts.get(candidate):
            return texts[candidate]
    return next((text for text in texts.values() if text), "")


def localized_language(texts: Mapping[str, str] | None, lang: str | None = None) -> str:
    """The language `localize` actually returns, for a correct `lang` attribute."""
    lang = lang or current_language()
    if texts and texts.get(lang):
        return lang
    if texts and texts.get(DEFAULT_LANGUAGE):
        return DEFAULT_LANGUAGE
    return next((code for code, text in (texts or {}).items() if text), lang)


def format_long_date(local: datetime, lang: str | None = None) -> str:
    """A full date as a reader expects it: "mardi 1er décembre 2020", "martes, 1 de …"."""
    lang = lang or current_language()
    locale = Locale.parse(lang)
    pattern = locale.date_formats["full"].pattern
    if lang == "fr" and local.day == 1:
        # French writes the first of the month as an ordinal; CLDR's pattern does not.
        pattern = pattern.replace("d ", "d'er' ", 1)
    return format_date(local, pattern, locale=locale)


def format_short_time(local: datetime, lang: str | None = None) -> str:
    return format_time(local, "short", locale=lang or current_language())


def format_time_range(start: datetime, end: datetime, lang: str | None = None) -> str:
    """Two times of one day as the reader writes a range ("3:00 – 3:40 PM", "15:00 – 15:40")."""
    locale = Locale.parse(lang or current_language())
    twelve_hours = "h" in locale.time_formats["short"].pattern
    return format_interval(start, end, "hm" if twelve_hours else "Hm", locale=locale)


def format_zone_name(local: datetime, lang: str | None = None) -> str:
    """The zone's long name at that moment ("heure normale d'Europe centrale")."""
    return get_timezone_name(local, width="long", locale=lang or current_language())


def format_zone_location(zone_name: str, lang: str | None = None) -> str:
    """A zone by its place, for compact listings ("hora de Suiza", "Nepal Time")."""
    return get_timezone_location(zone_name, locale=lang or current_language())
