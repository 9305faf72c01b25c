"""Countries by ISO 3166-1 alpha-2 code, named in the reader's language by Babel (CLDR)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import Locale

# CLDR also names regions and groupings with two-letter codes; these are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@lru_cache(maxsize=8)
def country_names(lang: str) -> dict[str, str]:
    """{code: name} for every country, in `lang`."""
    return {
        code: name
        for code, name in Locale.parse(lang).territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def _sort_key(name: str) -> str:
    """Alphabetical order as readers expect it: accents do not send Égypte after Zambie."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@lru_cache(maxsize=8)
def country_choices(lang: str) -> list[tuple[str, str]]:
    """(code, name) pairs in the alphabetical order of `lang`."""
    return sorted(country_names(lang).items(), key=lambda item: _sort_key(item[1]))


def is_country_code(code: str) -> bool:
    return code in country_names("en")


def country_name(code: str, lang: str) -> str:
    return country_names(lang).get(code, code)
