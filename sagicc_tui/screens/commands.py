"""A command palette provider that asks the current screen what it can do.

Screens that want palette commands implement ``palette_commands()`` returning
(title, help, callback) triples; the ticket list offers its actions and the
campaign switch. Titles are translated by the screen; untrusted parts
(campaign names) are sanitized there and escaped here, because the palette
parses titles and help as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

PaletteCommand = tuple[str, str, Callable[[], object]]


class HasPaletteCommands(Protocol):
    def palette_commands(self) -> list[PaletteCommand]: ...


class ScreenCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        source = getattr(self.screen, "palette_commands", None)
        return source() if callable(source) else []

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                # highlight() and help are parsed as markup by Textual: escape them.
                yield Hit(score, matcher.highlight(escape(title)), callback, text=title, help=escape(help_text))
