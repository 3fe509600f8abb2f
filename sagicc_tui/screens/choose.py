"""A small modal list to pick one value: order, campaign, pending ticket.

OptionList is right here: a handful of options (at most 50 pending tickets),
never the ticket list itself. Prompts are `Content`, so untrusted names are
shown literally, never parsed as markup.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.i18n import N_, _
from sagicc_tui.widgets.translated import TranslatedBindings

T = TypeVar("T")


class ChoiceScreen(TranslatedBindings, ModalScreen[T | None], Generic[T]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="choose.cancel")]

    def __init__(self, title: str, options: list[tuple[Content, T]], *, current: T | None = None,
                 empty: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title
        self._options = options
        self._current = current
        self._empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            if not self._options and self._empty:
                yield Label(Content(self._empty), classes="dialog-empty")
            yield OptionList(*(Option(prompt, id=str(i)) for i, (prompt, _v) in enumerate(self._options)))
            yield Label(Content(_("Enter chooses · Esc cancels")), classes="dialog-help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for i, (_prompt, value) in enumerate(self._options):
            if value == self._current:
                options.highlighted = i
                break
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._options[event.option_index][1])

    def action_cancel(self) -> None:
        self.dismiss(None)
