"""No template shows text outside the translation functions.

Each template is read with its Jinja code taken out: expressions (``{{ … }}``) become a
placeholder, statements (``{% … %}``) and comments disappear, and ``{% trans %}`` blocks go
whole. What remains is parsed as HTML (plain text for ``.txt`` mail); a text node or a visible
attribute (``alt``, ``title``, ``placeholder``, ``aria-label``) that still holds a letter was
written in the template itself, and would read in English in every language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PATHS = sorted(
    path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt") and path.is_file()
)
#: Words that are the same in every language (none so far).
PROPER_NOUNS: frozenset[str] = frozenset()
VISIBLE_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label"})

_TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.DOTALL)
_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
_STATEMENT = re.compile(r"{%.*?%}", re.DOTALL)
_EXPRESSION = re.compile(r"{{.*?}}", re.DOTALL)
_LETTERS = re.compile(r"[^\W\d_]{2,}|[^\W\d_](?=\W|$)")


def without_jinja(source: str) -> str:
    """`source` with its Jinja code taken out; line breaks are kept, for line numbers."""

    def blank(match: re.Match[str], placeholder: str = "") -> str:
        return placeholder + "\n" * match.group().count("\n")

    source = _TRANS_BLOCK.sub(blank, source)
    source = _COMMENT.sub(blank, source)
    source = _STATEMENT.sub(blank, source)
    # Spaced, so that an expression inside a tag (`<bdi{{ attributes }}>`) stays one.
    return _EXPRESSION.sub(lambda match: blank(match, " \x00 "), source)


def _words(text: str) -> list[str]:
    return [word for word in _LETTERS.findall(text) if word not in PROPER_NOUNS]


class _TextFinder(HTMLParser):
    """Collects (line, text) of text nodes and visible attributes that hold words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping = tag
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and _words(value):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skipping:
            self._skipping = None

    def handle_data(self, data: str) -> None:
        if self._skipping or not _words(data):
            return
        text = data.replace("\x00", "")
        line = self.getpos()[0] + text[: len(text) - len(text.lstrip())].count("\n")
        self.found.append((line, " ".join(text.split())))


def untranslated_text(source: str, *, html: bool = True) -> list[str]:
    """``"line: text"`` for each piece of text in `source` outside the translation functions."""
    code = without_jinja(source)
    if not html:
        return [
            f"{number}: {line.strip()}"
            for number, line in enumerate(code.splitlines(), start=1)
            if _words(line)
        ]
    finder = _TextFinder()
    finder.feed(code)
    finder.close()
    return [f"{line}: {text}" for line, text in finder.found]


def test_there_are_templates_to_check():
    assert len(PATHS) > 50


@pytest.mark.parametrize("path", PATHS, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_template_shows_no_text_outside_the_translation_functions(path):
    source = path.read_text(encoding="utf-8")
    assert untranslated_text(source, html=path.suffix == ".html") == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>{{ _('Hello') }}</p>", []),
        ("<p>Hello</p>", ["1: Hello"]),
        ("<p>{{ name }} · {{ count }} (12)</p>", []),
        ("<p>{% if x > 1 %}{{ _('Many') }}{% else %}one{% endif %}</p>", ["1: one"]),
        ('<img src="a.png" alt="A photo">', ["1: alt='A photo'"]),
        ('<img src="a.png" alt="{{ _(\'A photo\') }}" class="photo">', []),
        ("{# a note #}<p>{% trans %}Hello {{ name }}{% endtrans %}</p>", []),
        ("<script>let greeting = 'hi';</script>", []),
        ("<p>\n{{ _('x') }}\nWelcome</p>", ["3: Welcome"]),
        ("<p>مرحبا</p>", ["1: مرحبا"]),
        ("<p>欢迎</p>", ["1: 欢迎"]),
    ],
)
def test_the_check_finds_text_written_in_the_template(source, found):
    assert untranslated_text(source) == found


def test_the_check_reads_mail_text_line_by_line():
    source = "{{ _('Dear %(name)s,', name=name) }}\n\nSee you soon\n{{ url }}\n"
    assert untranslated_text(source, html=False) == ["3: See you soon"]
