"""Key binding descriptions in the UI language.

Why not ``Binding("j", ..., _("Down"))``: class bodies run at import time,
before the app has chosen its language (and tests run Spanish and English
apps in one process). So BINDINGS carry the English source marked with
``N_`` and every node translates its own copy of the bindings when it is
constructed, which always happens after ``SagiccApp`` set the language.

Textual copies the class bindings into ``node._bindings`` in ``__init__`` and
applies the user keymap to that copy on every lookup, so replacing the copy
keeps keymaps working. This is the only place that touches that attribute.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import BindingsMap
from textual.dom import DOMNode

from sagicc_tui.i18n import _


def translate_bindings(node: DOMNode) -> None:
    node._bindings = BindingsMap.from_keys(
        {
            key: [
                replace(
                    b,
                    description=_(b.description) if b.description else "",
                    tooltip=_(b.tooltip) if b.tooltip else "",
                )
                for b in bindings
            ]
            for key, bindings in node._bindings.key_to_bindings.items()
        }
    )


class TranslatedBindings:
    """Mixin (put it first in the bases) for widgets and screens with BINDINGS."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        translate_bindings(self)  # type: ignore[arg-type]
