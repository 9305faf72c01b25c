"""Languages of the interface, locale selection, and per-language event content."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _  # noqa: F401  (re-exported for views and services)
from flask_babel import lazy_gettext as _l  # noqa: F401

from portal import timeutil

#: Interface languages: the six official languages of the United Nations, in the order UN
#: sites list them in their language switchers (by their names in English: Arabic, Chinese,
#: English, French, Russian, Spanish).
LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")
DEFAULT_LANGUAGE = "en"
#: The order back-office forms ask for content in: English first, since it is required and
#: shown wherever a translation is missing.
CONTENT_LANGUAGES: tuple[str, ...] = (
    DEFAULT_LANGUAGE,
    *(code for code in LANGUAGES if code != DEFAULT_LANGUAGE),
)

#: One sentence per language for content shown in English instead, so that no language
#: name is pasted into a sentence.
_FALLBACK_NOTES = {
    "ar": _l("Not available in Arabic; shown in English."),
    "zh": _l("Not available in Chinese; shown in English."),
    "fr": _l("Not available in French; shown in English."),
    "ru": _l("Not available in Russian; shown in English."),
    "es": _l("Not available in Spanish; shown in English."),
}


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_name(code: str) -> str:
    """A language's own name for itself ("Français"), as a switcher shows it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_in(code: str, lang: str | None = None) -> str:
    """A language's name in the reader's language, as a sentence uses it: "English" for an
    English reader, « anglais » for a French one, «inglés» for a Spanish one."""
    return Locale.parse(lang or current_language()).languages.get(code, code)


def language_label(code: str, lang: str | None = None) -> str:
    """`language_in` as a label or list item starts: « Anglais », «Inglés»."""
    name = language_in(code, lang)
    return name[:1].upper() + name[1:]


def language_list(codes: Iterable[str], lang: str | None = None) -> str:
    """Languages named in the reader's language and joined as that language joins a list:
    "English, French and Spanish", « anglais, français et espagnol »."""
    lang = lang or current_language()
    return join_list([language_in(code, lang) for code in codes], lang)


#: United Nations English writes lists without a serial comma ("English, French and
#: Spanish"), as British English does; CLDR's plain English adds one.
_LIST_LOCALES = {"en": "en_GB"}


def join_list(items: Sequence[str], lang: str | None = None) -> str:
    """Items joined as the reader's language joins a list: « a, b et c », "a, b and c"."""
    lang = lang or current_language()
    return format_list(list(items), locale=_LIST_LOCALES.get(lang, lang))


def text_direction(code: str | None = None) -> str:
    """``rtl`` for Arabic, ``ltr`` for the others (the current language by default)."""
    return "rtl" if Locale.parse(code or current_language()).text_direction == "rtl" else "ltr"


def fallback_note(*texts: Mapping[str, str] | None, lang: str | None = None) -> str | None:
    """The note to show when any of `texts` is read in English instead of `lang`."""
    lang = lang or current_language()
    if lang == DEFAULT_LANGUAGE:
        return None
    if any(text and localized_language(text, lang) != lang for text in texts):
        return str(_FALLBACK_NOTES[lang])
    return None


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


def format_zone_name(local: datetime, lang: str | None = None) -> str:
    """The zone's name as every view shows it (`timeutil.zone_display_name`)."""
    return timeutil.zone_display_name(local, lang or current_language())


def format_date_time(local: datetime, lang: str | None = None) -> str:
    """A date with its time: "Thursday, December 3, 2026, 15:00"."""
    return pgettext(
        "a date followed by a time",
        "%(date)s, %(time)s",
        date=format_long_date(local, lang),
        time=format_short_time(local, lang),
    )


def format_time_range(start: datetime, end: datetime, lang: str | None = None) -> str:
    """From one wall-clock time to another: "15:00–16:30"; when the end falls on a later day
    (a session that crosses midnight), the end's date too: "23:00 to 00:30 on Friday, …"."""
    times = {"start": format_short_time(start, lang), "end": format_short_time(end, lang)}
    if start.date() == end.date():
        return pgettext("a time range within one day", "%(start)s–%(end)s", **times)
    return pgettext(
        "a time range ending on a later day",
        "%(start)s to %(end)s on %(end_date)s",
        end_date=format_long_date(end, lang),
        **times,
    )


def format_start(local: datetime, lang: str | None = None) -> str:
    """When something starts, with its zone, as event cards and forms show it."""
    return pgettext(
        "a date and time followed by its time zone",
        "%(date)s, %(time)s (%(zone)s)",
        date=format_long_date(local, lang),
        time=format_short_time(local, lang),
        zone=format_zone_name(local, lang),
    )


def format_when(start: datetime, end: datetime, lang: str | None = None) -> str:
    """An event's date, times and zone in one line, as messages show it: "Thursday, December
    3, 2026, 15:00–16:30 (Central European Standard Time)"."""
    return pgettext(
        "a date, a time range and the time zone",
        "%(date)s, %(times)s (%(zone)s)",
        date=format_long_date(start, lang),
        times=format_time_range(start, end, lang),
        zone=format_zone_name(start, lang),
    )
