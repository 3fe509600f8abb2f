"""A one-line text question in a dialog (a view's name); Enter accepts, Esc cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from sagicc_tui.i18n import N_, _
from sagicc_tui.widgets.translated import TranslatedBindings


class TextPrompt(TranslatedBindings, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="prompt.cancel")]

    def __init__(self, title: str, *, placeholder: str = "", value: str = "", max_length: int = 0,
                 password: bool = False) -> None:
        super().__init__()
        self._title = title
        self._placeholder = placeholder
        self._value = value
        self._max_length = max_length
        self._password = password  # a token: never shown on screen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            yield Input(value=self._value, placeholder=self._placeholder, max_length=self._max_length,
                        password=self._password)
            yield Label(Content(_("Enter accepts · Esc cancels")), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
