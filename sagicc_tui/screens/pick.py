"""A modal list that filters as you type: the composer's message templates (#12.2).

The text box keeps the focus; every keystroke narrows the options to those
whose name contains the words typed (accents and case folded), up/down move
the highlight and Enter takes the highlighted one (the first match unless
moved). Names are `Content`, never markup.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.domain.text import fold
from sagicc_tui.i18n import N_, _
from sagicc_tui.widgets.translated import TranslatedBindings

T = TypeVar("T")


class PickScreen(TranslatedBindings, ModalScreen[T | None], Generic[T]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="pick.cancel"),
        Binding("down", "move(1)", N_("Next match"), show=False, id="pick.down"),
        Binding("up", "move(-1)", N_("Previous match"), show=False, id="pick.up"),
    ]

    def __init__(self, title: str, options: list[tuple[str, T]], *, empty: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title
        self._options = options  # (plain name, value)
        self._shown: list[int] = list(range(len(options)))
        self._empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            yield Input(placeholder=_("Type to filter"), id="pick-filter", compact=True)
            yield OptionList(id="pick-options")
            yield Label(Content(self._empty or ""), id="pick-empty", classes="dialog-empty")
            yield Label(Content(_("Type to filter · Enter chooses · Esc cancels")), classes="dialog-help")

    def on_mount(self) -> None:
        self._filter("")
        self.query_one("#pick-filter", Input).focus()

    def _filter(self, text: str) -> None:
        words = fold(text).split()
        self._shown = [i for i, (name, _v) in enumerate(self._options) if all(w in fold(name) for w in words)]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Content(self._options[i][0]), id=str(i)) for i in self._shown])
        if self._shown:
            options.highlighted = 0
        empty = self.query_one("#pick-empty", Label)
        empty.display = not self._shown
        if not self._shown and self._options:
            empty.update(Content(_("Nothing matches {text}; change or delete what you typed.", text=text)))

    @on(Input.Changed, "#pick-filter")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter(event.value)

    @on(Input.Submitted, "#pick-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None and highlighted < len(self._shown):
            self.dismiss(self._options[self._shown[highlighted]][1])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._options[self._shown[event.option_index]][1])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self._shown:
            options.highlighted = ((options.highlighted or 0) + step) % len(self._shown)

    def action_cancel(self) -> None:
        self.dismiss(None)
