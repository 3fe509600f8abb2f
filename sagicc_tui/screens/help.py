"""`?`: the keys active where the user pressed it, with what they do and their id.

Built from the screen's active bindings at the moment of the key press, so it
always matches the keymap (user overrides included) and the focused widget.
A screen adds the keys of what it opens with `help_sequences()` (the ticket
list: `;` then c, m, a, k, d). The id is what the settings file's "keymap"
names to move a key elsewhere.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from sagicc_tui.i18n import N_, _
from sagicc_tui.widgets.translated import TranslatedBindings


HelpRow = tuple[str, str, str]  # keys, what they do, binding id


def active_keys(screen: Screen) -> list[HelpRow]:
    """(keys, description, id) for every described binding active on `screen`,
    one row per action, then the screen's own key sequences."""
    rows: dict[str, tuple[list[str], str, str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.system:
            continue
        display = screen.app.get_key_display(binding)
        keys, _desc, _id = rows.setdefault(binding.action, ([], binding.description, binding.id or ""))
        if display not in keys:
            keys.append(display)
    out = [(" ".join(keys), desc, bid) for keys, desc, bid in rows.values()]
    sequences = getattr(screen, "help_sequences", None)
    return out + (sequences() if callable(sequences) else [])


class HelpScreen(TranslatedBindings, ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", N_("Close"), id="help.close"),
    ]

    def __init__(self, keys: list[HelpRow]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        width = max((cell_len(k) for k, _d, _i in self._keys), default=4) + 2
        desc_w = max((cell_len(d) for _k, d, _i in self._keys), default=10) + 2
        lines = [Content.assemble((k.ljust(width), "bold"), d.ljust(desc_w), (i, "dim"))
                 for k, d, i in self._keys]
        with Vertical(classes="dialog help-dialog"):
            yield Label(Content(_("Keys")), classes="dialog-title")
            with VerticalScroll():
                yield Static(Content("\n").join(lines) if lines else Content(_("No keys here.")), id="help-keys")
            yield Label(Content(_("Esc closes · ctrl+p opens the command palette")), classes="dialog-help")

    def action_close(self) -> None:
        self.dismiss(None)
