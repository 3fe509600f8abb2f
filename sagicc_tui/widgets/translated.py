"""Key binding descriptions in the UI language, through Textual's public API.

Why not ``Binding("j", ..., _("Down"))``: class bodies run at import time,
before the app has chosen its language (and tests run Spanish and English
apps in one process). So BINDINGS carry the English source marked with
``N_`` and are translated where they are shown.

Where they are shown: the Footer, the `?` help (screens/help.py) and the
palette's key commands (screens/commands.py) all read
``Screen.active_bindings``, Textual's public, documented property ("may be
used to inspect current bindings"), which gathers the bindings of the
focused widget, its ancestors, the screen and the app. A screen with this
mixin returns that map with each binding's description and tooltip
translated, so one mixin per screen translates the widgets' and the app's
bindings too; widgets need nothing.

The other public levers do not reach descriptions: ``App.set_keymap`` /
``update_keymap`` map binding ids to keys only (``BindingsMap.apply_keymap``
keeps the description); ``check_action`` and ``refresh_bindings`` only hide,
dim or redraw; ``BINDINGS`` are merged once per class at class creation
(``DOMNode.__init_subclass__``), not per instance or per language. (The
earlier version replaced the private ``node._bindings`` copy.)
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import ActiveBinding

from sagicc_tui.i18n import _


class TranslatedBindings:
    """Mixin for screens (put it before the Screen class in the bases)."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        shown = super().active_bindings  # type: ignore[misc]
        return {
            key: active._replace(
                binding=replace(
                    active.binding,
                    description=_(active.binding.description) if active.binding.description else "",
                    tooltip=_(active.binding.tooltip) if active.binding.tooltip else "",
                ),
                tooltip=_(active.tooltip) if active.tooltip else "",
            )
            for key, active in shown.items()
        }
