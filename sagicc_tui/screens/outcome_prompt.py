"""`a` then a digit (mutt style, like `;` on the list): add a task with one of
the campaign's outcome values (the task form's primary CHOICE field, #12.2).

`a 1` … `a 9` pick the value and put the cursor on the next-task date; Enter
opens the form without choosing. The keys are bindings with ids, so a keymap
can move them and `?` lists them.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets.translated import TranslatedBindings

MAX_OUTCOMES = 9
NO_OUTCOME = ""  # Enter: the form, no value chosen


class OutcomePrompt(TranslatedBindings, ModalScreen[str | None]):
    BINDINGS = [
        *(Binding(str(i), f"choose({i})", N_("Choose this outcome"), id=f"ticket.outcome.{i}")
          for i in range(1, MAX_OUTCOMES + 1)),
        Binding("enter", "form", N_("Task form"), id="ticket.outcome.none"),
        Binding("escape", "cancel", N_("Cancel"), id="ticket.outcome.cancel"),
    ]

    def __init__(self, label: str, values: tuple[str, ...]) -> None:
        super().__init__()
        self._label = label
        self._values = values[:MAX_OUTCOMES]

    def compose(self) -> ComposeResult:
        with Vertical(classes="mass-prompt"):
            yield Label(Content(_("New task, {field}:", field=one_line(self._label, max_len=40))))
            yield Label(id="outcome-keys")

    def on_mount(self) -> None:
        keys: dict[str, str] = {}
        for active in self.active_bindings.values():
            keys.setdefault(active.binding.action, self.app.get_key_display(active.binding))
        parts = [Content.assemble((keys.get(f"choose({i})", "?"), "bold"), " ",
                                  one_line(v, max_len=30))
                 for i, v in enumerate(self._values, start=1)]
        parts.append(Content.assemble((keys.get("form", "enter"), "bold"), " ", _("only the form")))
        parts.append(Content(_("Esc cancels")))
        self.query_one("#outcome-keys", Label).update(Content("  ·  ").join(parts))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return int(parameters[0]) <= len(self._values)  # type: ignore[arg-type]
        return True

    def action_choose(self, number: int) -> None:
        self.dismiss(self._values[number - 1])

    def action_form(self) -> None:
        self.dismiss(NO_OUTCOME)

    def action_cancel(self) -> None:
        self.dismiss(None)
