"""Every language of the site but English has a complete catalogue: each message of the code
and templates is translated, none is fuzzy or empty, the placeholders of each translation are
those of its message, and the plural forms are the language's own (six in Arabic, three in
Russian, one in Chinese)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
#: Plural forms as gettext counts them (CLDR's newer "many" of French and Spanish, for round
#: millions, is left out: no message of the portal counts in millions).
PLURAL_FORMS = {"ar": 6, "zh": 1, "fr": 2, "ru": 3, "es": 2}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[tuple[str, str | None]]:
    """(message, context) of everything the code and templates mark for translation."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    command += ["-k", "_l", "-k", "lazy_pgettext:1c,2", "-o", str(pot), "portal", "templates"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open(encoding="utf-8") as file:
        return {(_msgid(message.id), message.context) for message in read_po(file) if message.id}


def _msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _read(path: Path):
    with path.open(encoding="utf-8") as file:
        return read_po(file)


def _catalogue_path(lang: str) -> Path:
    return ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"


def test_there_is_no_catalogue_of_a_language_the_site_does_not_offer():
    assert {path.parts[-3] for path in CATALOGUES} <= set(TRANSLATED)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(lang, extracted):
    path = _catalogue_path(lang)
    assert path.exists(), f"no catalogue for {lang} (pybabel init -l {lang}, then fill it)"
    catalogue = _read(path)
    known = {(_msgid(message.id), message.context) for message in catalogue if message.id}
    assert extracted - known == set(), "run `portal translate update`"
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        expected = set(_PLACEHOLDER.findall(_msgid(message.id)))
        for string in strings:
            found = set(_PLACEHOLDER.findall(string))
            if _may_leave_out_names(message.context):
                assert found <= expected, f"placeholders: {message.id!r}"
            else:
                assert found == expected, f"placeholders: {message.id!r}"


def _may_leave_out_names(context: str | None) -> bool:
    """A salutation may open without the name (« Madame, », «Señora, señor:»), never with a
    placeholder its message does not have."""
    return bool(context and context.startswith("salutation:"))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_forms_are_the_languages_own(lang):
    path = _catalogue_path(lang)
    assert path.exists(), f"no catalogue for {lang}"
    catalogue = _read(path)
    assert catalogue.num_plurals == PLURAL_FORMS[lang]
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(message.string) == catalogue.num_plurals, f"plural forms: {message.id!r}"
