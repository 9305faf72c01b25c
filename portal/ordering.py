"""Items kept in an order of the organizer's choosing (speakers, questions): a `position`
attribute numbered from 0."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def renumber(items: list[Any]) -> None:
    """Give each item its index as `position`."""
    for position, item in enumerate(items):
        item.position = position


def move(items: list[T], item: T, offset: int) -> list[T] | None:
    """`items` with `item` moved by `offset` places (negative: up), renumbered; None when it
    cannot move further."""
    reordered = list(items)
    index = reordered.index(item)
    target = max(0, min(len(reordered) - 1, index + offset))
    if target == index:
        return None
    reordered.insert(target, reordered.pop(index))
    renumber(reordered)
    return reordered
