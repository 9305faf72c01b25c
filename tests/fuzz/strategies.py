"""Hostile input for the fuzz tests, and what they check after each request."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_from_bytes

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from portal.extensions import db

#: Reproducible and bounded: the same examples on every run (CI included), no time limit per
#: example (a first request compiles templates), and the app fixture shared by the examples.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

#: What each test tried and how long it took, by test id (printed at the end of the run).
EXAMPLES: dict[str, tuple[Tally, float]] = {}


class Tally:
    """Examples a test tried, by outcome (``accepted``, ``refused 422``…)."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()

    def tried(self, outcome: str) -> None:
        self.outcomes[outcome] += 1

    def __str__(self) -> str:
        outcomes = sorted(self.outcomes.items())
        details = ", ".join(f"{count} {outcome}" for outcome, count in outcomes)
        return f"{self.outcomes.total()} examples ({details})"


#: Characters that have broken web applications: NUL and other controls, C1 controls, bidi
#: marks and overrides, combining marks, zero-width and byte-order marks, full-width and
#: astral characters, line and paragraph separators, and lone surrogates (sent as the
#: invalid UTF-8 bytes they encode to).
ODD_CHARACTERS = (
    "\x00", "\x01", "\x08", "\t", "\n", "\r", "\x0b", "\x1b", "\x7f", "\x85", "\x9f",
    "\u200b", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069",
    "\u2028", "\u2029", "\ufeff", "\ufffd", "\u0301", "\u0308", "\u20dd", "e\u0301",
    "\uff21", "\uff10", "\u3000", "\u00a0", "\U0001f469\U0001f3fd\u200d\u2695\ufe0f",
    "\U0001d54f", "\u0627\u0644\u0633\u0644\u0627\u0645", "\u4e2d\u6587", "\u0130", "\u00df",
    "\ud800", "\udfff", "<script>", "'\"", "%00", "{{7*7}}", "=cmd|", "../", "\\",
)

odd_text = st.lists(
    st.one_of(st.sampled_from(ODD_CHARACTERS), st.text(max_size=5)), max_size=12
).map("".join)

#: Texts around every length limit of the forms and the API, and far beyond.
long_text = st.sampled_from([2, 80, 81, 100, 101, 200, 201, 254, 255, 300, 301, 2000, 2001,
                             20001, 300_000]).flatmap(
    lambda size: st.sampled_from(["a", "é", "\U0001f600", " ", "e\u0301"]).map(
        lambda char: char * size
    )
)

#: Anything a person or a program might type into a text field.
hostile_text = st.one_of(odd_text, long_text, st.text(), st.characters().map(str))


@st.composite
def form_submissions(
    draw: st.DrawFn, valid: Mapping[str, st.SearchStrategy[str]]
) -> list[tuple[str, str]]:
    """A form as sent: every field valid but a few, which are hostile, missing or repeated,
    and perhaps a field nobody asked for, in any order."""
    spoiled = draw(st.sets(st.sampled_from(sorted(valid)), max_size=4))
    pairs = []
    for name, strategy in valid.items():
        if name not in spoiled:
            pairs.append((name, draw(strategy)))
            continue
        for value in draw(st.lists(st.one_of(hostile_text, strategy), max_size=3)):
            pairs.append((name, value))
    if draw(st.booleans()):
        pairs.append((draw(hostile_text), draw(hostile_text)))
    return draw(st.permutations(pairs))


def form_body(fields: Iterable[tuple[str, str]]) -> bytes:
    """A urlencoded body; lone surrogates become the invalid UTF-8 bytes they would be."""
    return b"&".join(
        quote_from_bytes(name.encode("utf-8", "surrogatepass")).encode()
        + b"="
        + quote_from_bytes(value.encode("utf-8", "surrogatepass")).encode()
        for name, value in fields
    )


def row_counts() -> dict[str, int]:
    """The number of rows of every table."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def assert_normalised(value: str, *, multiline: bool = False) -> None:
    """A stored text: NFC, trimmed, and without control or disguising characters."""
    assert value == unicodedata.normalize("NFC", value)
    assert value == value.strip()
    for char in value:
        if multiline and char in "\n\t":
            continue
        assert unicodedata.category(char) not in ("Cc", "Cs"), repr(value)
        assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"


def assert_texts_normalised(texts: Mapping[str, Any], *, multiline: bool = False) -> None:
    for text in texts.values():
        assert_normalised(text, multiline=multiline)
