"""What every tab of the ticket screen shares: its context, its messages, its error label.

Tabs find the ticket (id, current version), the campaign and the customer on
their screen (`TicketContext`). A write that changed the ticket posts
`TicketChanged` so the screen refreshes its header and version. A tab never
opens a dialog itself: it posts a request (`ConfirmRequested`,
`ChoiceRequested`, `TextRequested`, `ShowTextRequested`) and the screen,
which owns the dialogs, calls `answer` with the user's reply (None when the
user cancelled; a confirmation answers only when confirmed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, Select

from sagicc_tui.backend import Backend
from sagicc_tui.domain.collision import FieldVersions, Keep
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import Campaign, Customer, Ticket, User
from sagicc_tui.session import Session
from sagicc_tui.widgets.io import BackendCalls, error_text


class TicketContext(Protocol):
    backend: Backend
    user: User
    ticket_id: int
    ticket: Ticket | None
    campaign: Campaign | None
    customer: Customer | None

    @property
    def closed(self) -> bool:
        """Closed is closed (T3): forms and the composer are read-only."""
        ...

    def closed_reason(self) -> str: ...


@dataclass
class TicketChanged(Message):
    """A tab wrote something that changed the ticket: `ticket` is the new one (None: read it)."""

    ticket: Ticket | None = None


class TicketTabBase(BackendCalls, Widget):
    DEFAULT_CSS = """
    TicketTabBase { height: 1fr; }
    """

    @dataclass
    class ConfirmRequested(Message):
        """Ask yes/no; `answer()` runs only when the user confirms."""

        title: str
        text: str
        answer: Callable[[], Any]
        yes: str | None = None

    @dataclass
    class ChoiceRequested(Message):
        """Pick one of `options` (prompt, value); `answer(value or None)`."""

        title: str
        options: Sequence[tuple[Content, Any]]
        answer: Callable[[Any], Any]
        empty: str | None = None

    @dataclass
    class TextRequested(Message):
        """Ask for one line of text; `answer(text or None)`."""

        title: str
        answer: Callable[[str | None], Any]
        value: str = ""
        max_length: int = 0

    @dataclass
    class CompareRequested(Message):
        """A save was refused (T15): show `fields` (theirs by `by` at `at`, mine, the one I
        started from); `answer(choices)` with a Keep per field, or None when cancelled."""

        what: str
        fields: list[FieldVersions]
        answer: Callable[[dict[str, Keep] | None], Any]
        by: str = ""
        at: datetime | None = None

    @dataclass
    class ShowTextRequested(Message):
        """Show a read-only text."""

        title: str
        text: str

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self._writing: set[str] = set()  # writes on their way (write_once)

    @property
    def backend(self) -> Backend:
        return self.ctx.backend

    @property
    def user(self) -> User:
        return self.ctx.user

    @property
    def session(self) -> Session:
        """The backend as this ticket's user (made again when the user changes)."""
        return self.backend.session(self.user)

    def load(self) -> None:
        """Read what the tab shows (called when the ticket is known and on refresh)."""

    def write_once(self, key: str, make: Callable[[], Awaitable[Any]], done: Callable[[Any], Any],
                   error: Callable[[SagiccError], Any] | None = None) -> bool:
        """A write that a second press cannot repeat while the first is on its way
        (Add pressed twice stores once, #15.5); False when one was already going."""
        if key in self._writing:
            return False
        self._writing.add(key)

        async def guarded() -> Any:
            try:
                return await make()
            except SagiccError:
                raise
            except Exception:
                self._writing.discard(key)  # a defect: the call says so; the button works again
                raise

        def finished(value: Any) -> Any:
            self._writing.discard(key)
            return done(value)

        def failed(e: SagiccError) -> Any:
            self._writing.discard(key)
            return error(e) if error is not None else None

        self.call(key, guarded, finished, failed)
        return True

    def set_error(self, text: str) -> None:
        """Next to the form, and (when there is something to say) where the eyes are."""
        for label in self.query(".form-error").results(Label):
            label.update(Content(text))
            break
        if text:
            self.feedback(text, "error")

    def error_here(self, e: SagiccError) -> None:
        self.set_error(error_text(e))

    def confirm(self, title: str, text: str, then: Callable[[], Any], *, yes: str | None = None) -> None:
        self.post_message(self.ConfirmRequested(title, text, then, yes))

    def choose(self, title: str, options: Sequence[tuple[Content, Any]], then: Callable[[Any], Any], *,
               empty: str | None = None) -> None:
        self.post_message(self.ChoiceRequested(title, options, then, empty))

    def ask_text(self, title: str, then: Callable[[str | None], Any], *, value: str = "",
                 max_length: int = 0) -> None:
        self.post_message(self.TextRequested(title, then, value, max_length))

    def show_text(self, title: str, text: str) -> None:
        self.post_message(self.ShowTextRequested(title, text))


def selection(widget: Select) -> Any:
    return widget.selection  # None when nothing is chosen


def field(label: str, widget: Widget) -> Vertical:
    return Vertical(Label(Content(label), classes="field-label"), widget, classes="field")
