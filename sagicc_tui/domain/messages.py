"""Sentences that cross the Backend: an English template plus parameters.

The store and the server never know the user's language; the UI shows
`i18n._(msg.template, **msg.params)`. `N_` marks a template for the catalog
check (tests/test_i18n.py) without translating it where it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:
    return template


@dataclass(frozen=True, slots=True)
class Msg:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format_map(self.params) if self.params else self.template


def msg(template: str, **params: Any) -> Msg:
    return Msg(template, params)
