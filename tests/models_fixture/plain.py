"""A module with classes, but no SQLObject class of its own (SQLObject itself imported only)."""

from dataclasses import dataclass

from sqlobject import SQLObject  # noqa: F401 - imported, not subclassed


@dataclass
class Shelf:
    label: str


def shelves() -> list[Shelf]:
    return [Shelf("fiction")]
