"""The footer of every screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer makes a FooterKey widget per shown binding again at every
change of focus or of bindings (each field focused, each dialog closed, each
refresh of the bindings). Opening a ticket changed them 17 times and cost
0.6-0.8 s of CPU in those rebuilds, for the same keys nearly every time, and
as much again on the way back to the list; on a shared SSH host every agent's
process pays it. This footer compares what it would show with what it last
asked for, and runs one rebuild for a burst of changes (the rebuild reads the
bindings as they are when it runs).
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None  # what the last rebuild was asked to show
        self._rebuilding = False  # a rebuild is waiting for the next refresh

    def _keys(self, screen: Screen) -> tuple:
        """Everything Footer.compose reads from the bindings, in its order."""
        app = self.app
        shown = tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip,
             binding.group)
            for (_node, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return shown, self.show_command_palette, app.ENABLE_COMMAND_PALETTE

    def bindings_changed(self, screen: Screen) -> None:
        # Footer.bindings_changed, with the comparison and one rebuild per burst.
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        keys = self._keys(screen)
        if keys == self._shown:
            return  # the footer on screen, or the rebuild on its way, is already right
        self._shown = keys
        if not self._rebuilding:
            self._rebuilding = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuilding = False
        await self.recompose()
