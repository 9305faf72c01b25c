"""The stylesheets mirror for Arabic by themselves: they name no physical side.

`margin-inline-start`, `padding-inline-end`, `inset-inline-start` and `text-align: start` follow
the page's direction; `left` and `right` would not, and an Arabic page would keep its borders,
indents and skip link on the wrong side.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLESHEETS = sorted((Path(__file__).resolve().parents[2] / "portal/static/css").glob("*.css"))
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_SIDE = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def physical_sides(css: str) -> list[str]:
    """The lines of `css` that name a physical side, comments left out."""
    code = _COMMENT.sub(lambda comment: "\n" * comment.group().count("\n"), css)
    return [
        f"{number}: {line.strip()}"
        for number, line in enumerate(code.splitlines(), start=1)
        if _SIDE.search(line)
    ]


def test_there_are_stylesheets_to_check():
    assert len(STYLESHEETS) >= 2


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda path: path.name)
def test_stylesheet_uses_logical_properties_only(path):
    assert physical_sides(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_physical_side_but_not_one_in_a_comment():
    css = (
        "/* not left here */\n.a { margin-left: 1rem; }\n.b { text-align: right }\n.c { inset: 0 }"
    )
    assert physical_sides(css) == ["2: .a { margin-left: 1rem; }", "3: .b { text-align: right }"]


def test_the_font_stack_covers_arabic_and_chinese_without_downloading_a_font():
    css = (STYLESHEETS[0].parent / "portal.css").read_text(encoding="utf-8")
    assert '"Noto Sans Arabic"' in css and '"Noto Sans CJK SC"' in css
    assert "@font-face" not in css and "@import" not in css and "url(http" not in css
