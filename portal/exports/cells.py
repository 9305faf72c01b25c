"""What goes into a cell of an export, so that a spreadsheet shows it and never runs it.

Formula injection: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@``
(and some also after a leading tab or carriage return) as a formula, so a registrant could
make an organizer's spreadsheet compute, fetch or link something. Every such text is written
with an apostrophe in front: nothing runs, and nothing is lost (``'+41 22 917 12 34`` still
reads as the number it was).
"""

from __future__ import annotations

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """`value`, with an apostrophe in front if a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
