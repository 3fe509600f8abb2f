"""The command palette provider: every action of the current screen, by name.

Every screen's described key bindings become commands ("Close", "Merge",
"Search" …, with their key as help), so ctrl+p finds on any screen what its
keys do, the ticket screen included. A screen can add more with
``palette_commands()`` returning (title, help, callback) triples: the ticket
list adds each mass action by name, each saved view and each campaign.
Titles are translated by the screen; untrusted parts (campaign or view
names) are sanitized there and escaped here, because the palette parses
titles and help as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen

from sagicc_tui.i18n import _

PaletteCommand = tuple[str, str, Callable[[], object]]


class HasPaletteCommands(Protocol):
    def palette_commands(self) -> list[PaletteCommand]: ...


def binding_commands(screen: Screen) -> list[PaletteCommand]:
    """One command per described, enabled binding active on the screen."""
    commands: list[PaletteCommand] = []
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        b = active.binding
        if not b.description or b.action in seen or b.system or not active.enabled:
            continue
        seen.add(b.action)
        key = screen.app.get_key_display(b)
        commands.append((b.description, _("Key: {key}", key=key),
                         lambda ns=active.node, action=b.action: screen.app.run_action(action, ns)))
    return commands


class ScreenCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        extra = getattr(self.screen, "palette_commands", None)
        return binding_commands(self.screen) + (extra() if callable(extra) else [])

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
