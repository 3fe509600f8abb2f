"""Collision resolution (T15): a refused save becomes a field-by-field choice.

When a save is refused because someone else wrote the record first, the
form has three versions of every field: the one the user started from
(`base`), the user's own (`mine`) and the one in the store now (`theirs`).
A field only one side changed needs no decision; a field both changed, to
different values, is a conflict the user decides. Nothing is written until
the user has seen every field the other person changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Keep(StrEnum):
    MINE = "mine"
    THEIRS = "theirs"


@dataclass(frozen=True, slots=True)
class FieldVersions:
    key: str
    label: str
    base: Any
    mine: Any
    theirs: Any
    shown: tuple[str, str, str] | None = None  # how base, mine and theirs read (labels for choices)

    def text(self, which: Keep | None) -> str:
        """How one version reads: None is the one I started from."""
        index = 0 if which is None else (1 if which is Keep.MINE else 2)
        if self.shown is not None:
            return self.shown[index]
        value = (self.base, self.mine, self.theirs)[index]
        return "" if value is None else str(value)

    @property
    def i_changed(self) -> bool:
        return self.mine != self.base

    @property
    def they_changed(self) -> bool:
        return self.theirs != self.base

    @property
    def conflict(self) -> bool:
        return self.i_changed and self.they_changed and self.mine != self.theirs

    @property
    def default(self) -> Keep:
        """Mine where I changed it (a conflict too: the user sees theirs and decides), theirs otherwise."""
        return Keep.MINE if self.i_changed else Keep.THEIRS


def fields_to_review(fields: list[FieldVersions]) -> list[FieldVersions]:
    """The fields the comparison shows: every one that differs between mine and theirs."""
    return [f for f in fields if f.mine != f.theirs]


def resolve(fields: list[FieldVersions], choices: Mapping[str, Keep]) -> dict[str, Any]:
    """The values to save: each field as chosen, its default when not shown."""
    return {f.key: (f.mine if choices.get(f.key, f.default) is Keep.MINE else f.theirs) for f in fields}
