"""`;` then an action key (mutt style): which mass action to apply to the tagged tickets.

Only the actions the user's role allows (``rules.mass_actions_for``) are
offered; Close also needs the campaign to allow closing in bulk. The keys are
bindings with ids, so a keymap can move them.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from sagicc_tui.domain.enums import MassActionKind
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.translated import TranslatedBindings

ACTION_KEYS = {
    "mass.close": MassActionKind.CLOSE,
    "mass.merge": MassActionKind.MERGE,
    "mass.assign": MassActionKind.ASSIGN,
    "mass.add_task": MassActionKind.ADD_TASK,
    "mass.redistribute": MassActionKind.REDISTRIBUTE,
}


class MassActionPrompt(TranslatedBindings, ModalScreen[MassActionKind | None]):
    BINDINGS = [
        Binding("c", "choose('close')", N_("Close"), id="mass.close"),
        Binding("m", "choose('merge')", N_("Merge"), id="mass.merge"),
        Binding("a", "choose('assign')", N_("Assign"), id="mass.assign"),
        Binding("k", "choose('add_task')", N_("Add Task"), id="mass.add_task"),
        Binding("d", "choose('redistribute')", N_("Redistribute"), id="mass.redistribute"),
        Binding("escape", "cancel", N_("Cancel"), id="mass.cancel"),
    ]

    def __init__(self, allowed: list[MassActionKind], count: int) -> None:
        super().__init__()
        self._allowed = allowed
        self._count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="mass-prompt"):
            yield Label(Content(plural(self._count, "Apply to {n} tagged ticket:", "Apply to {n} tagged tickets:")))
            yield Label(id="mass-keys")

    def on_mount(self) -> None:
        # Active bindings have the user's keymap applied: show the keys that work.
        keys: dict[str, str] = {}
        for active in self.active_bindings.values():
            keys.setdefault(active.binding.action, self.app.get_key_display(active.binding))
        parts = [
            Content.assemble((keys.get(f"choose('{kind.value}')", "?"), "bold"), " ", labels.mass_action(kind))
            for kind in self._allowed
        ]
        parts.append(Content(_("Esc cancels")))
        self.query_one("#mass-keys", Label).update(Content("  ·  ").join(parts))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return MassActionKind(parameters[0]) in self._allowed
        return True

    def action_choose(self, kind: str) -> None:
        self.dismiss(MassActionKind(kind))

    def action_cancel(self) -> None:
        self.dismiss(None)
