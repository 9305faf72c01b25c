"""Countries by ISO 3166-1 alpha-2 code, named as the United Nations names them.

Delegates expect the names of UN documents ("Republic of Korea", "Viet Nam", "Türkiye"), not
the common-usage names of CLDR ("South Korea", "Vietnam", "Turkey"). The names, in the six
official languages, come from `un_countries.json`, which says where each one comes from.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import TypedDict

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
STATES = ("member_state", "observer_state")


class _Data(TypedDict):
    groups: dict[str, dict[str, str]]
    countries: list[dict[str, str]]


@lru_cache(maxsize=1)
def _data() -> _Data:
    """The shipped file, read once: it is the only source of names at run time."""
    text = resources.files("portal.registration").joinpath("un_countries.json").read_text("utf-8")
    return json.loads(text)


def _language(lang: str) -> str:
    """One of the six official languages ('fr_CH' reads French); any other reads English."""
    base = lang.replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else "en"


@lru_cache(maxsize=16)
def country_names(lang: str) -> dict[str, str]:
    """{code: name} for every country or area, in `lang`."""
    key = _language(lang)
    return {country["code"]: country[key] for country in _data()["countries"]}


def _sort_key(name: str) -> str:
    """Alphabetical order as readers expect it: accents do not send Égypte after Zambie.

    Diacritics are stripped and case folded, which also files Arabic أ and إ with ا and
    Russian Й with И. Chinese names fall in the Unicode order of their characters, not in
    pinyin order: that would need ICU, which the portal does not depend on.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _sorted(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: _sort_key(pair[1]))


@lru_cache(maxsize=16)
def country_choices(lang: str) -> list[tuple[str, str]]:
    """(code, name) pairs for every country or area, in the alphabetical order of `lang`."""
    return _sorted(list(country_names(lang).items()))


@lru_cache(maxsize=16)
def country_groups(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(label, choices): Member and observer States first, then the other areas.

    A delegate looks for a State among States; areas that are not States (Hong Kong,
    Greenland) come after them under their own label, as in UN lists.
    """
    key = _language(lang)
    labels = _data()["groups"]
    states: list[tuple[str, str]] = []
    areas: list[tuple[str, str]] = []
    for country in _data()["countries"]:
        group = states if country["kind"] in STATES else areas
        group.append((country["code"], country[key]))
    return [(labels["states"][key], _sorted(states)), (labels["areas"][key], _sorted(areas))]


def is_country_code(code: str) -> bool:
    return code in country_names("en")


def country_name(code: str, lang: str) -> str:
    """The name in `lang`; a code no longer listed (XK, TW) stays readable as itself."""
    return country_names(lang).get(code, code)
