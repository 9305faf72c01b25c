"""Every catalogue is complete: each message of the code and templates is translated, none is
fuzzy or empty, and the placeholders of each translation are those of its message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
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


def test_there_is_a_catalogue_for_each_language_but_english():
    from portal.i18n import LANGUAGES

    assert {path.parts[-3] for path in CATALOGUES} == set(LANGUAGES) - {"en"}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(path, extracted):
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
