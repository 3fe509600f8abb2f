"""Who is working: the first screen when no user was given or remembered.

An OptionList is fine for a contact centre's users (hundreds at most). Names
come from the store and are shown as plain Content.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.domain.models import User
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.ticket_card import pad
from sagicc_tui.widgets.translated import TranslatedBindings


class UserPickerScreen(TranslatedBindings, Screen[User | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Quit"), id="users.cancel")]

    def __init__(self, users: list[User], *, problem: str | None = None) -> None:
        super().__init__()
        self._users = [u for u in users if u.active]
        self._problem = problem

    def compose(self) -> ComposeResult:
        names = [one_line(u.full_name, max_len=40) for u in self._users]
        width = max((cell_len(n) for n in names), default=10) + 2
        with Vertical(id="user-picker", classes="dialog"):
            yield Label(Content(_("Who are you?")), classes="dialog-title")
            if self._problem:
                yield Label(Content(self._problem), classes="dialog-error")
            yield OptionList(*(
                Option(Content.assemble((pad(name, width), "bold"),
                                        (f"{one_line(u.username, max_len=24)} · {labels.role(u.role)}", "dim")),
                       id=str(u.id))
                for name, u in zip(names, self._users, strict=True)
            ))
            yield Label(Content(_("Enter chooses · Esc quits")), classes="dialog-help")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._users[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
