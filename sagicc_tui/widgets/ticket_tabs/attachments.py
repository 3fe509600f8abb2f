"""T13: the ticket's attachments."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.domain.models import Attachment
from sagicc_tui.files import attach_file, save_attachment_to
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.ticket_tabs.base import TicketChanged, TicketContext, TicketTabBase, field


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class AttachmentsTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._items: list[Attachment] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="attach-list", compact=True)
        yield field(_("File path"), Input(id="attach-path", compact=True))
        with Horizontal(classes="buttons"):
            yield Button(_("Add file"), id="attach-add", variant="primary", compact=True)
            yield Button(_("Save to path"), id="attach-save", compact=True)
            yield Button(_("Remove"), id="attach-remove", variant="error", compact=True)
        yield Label("", classes="form-error")

    def load(self) -> None:
        self.call("list", lambda: self.session.tickets.list_attachments(self.ctx.ticket_id), self._show)

    def _show(self, items: list[Attachment]) -> None:
        self._items = items
        box = self.query_one("#attach-list", OptionList)
        box.clear_options()
        for a in items:
            box.add_option(Option(Content.assemble((one_line(a.name, max_len=50), "bold"), "  ", _size(a.size),
                                                   ("  " + when(a.created_at), "dim"))))
        if not items:
            box.add_option(Option(Content(_("No attachments yet.")), disabled=True))

    def _current(self) -> Attachment | None:
        index = self.query_one("#attach-list", OptionList).highlighted
        if index is None or not (0 <= index < len(self._items)):
            self.set_error(_("Choose an attachment in the list first."))
            return None
        return self._items[index]

    @on(Button.Pressed, "#attach-add")
    def add(self) -> None:
        path = self.query_one("#attach-path", Input).value.strip()
        if not path:
            self.set_error(_("Write the path of the file to add."))
            return
        self.set_error("")
        self.write_once("add", lambda: attach_file(self.session, self.ctx.ticket_id, path),
                        self._added, self.error_here)

    def _added(self, _a: object) -> None:
        self.query_one("#attach-path", Input).value = ""
        self._changed()

    def _changed(self, _r: object = None) -> None:
        self.load()
        self.post_message(TicketChanged())

    @on(Button.Pressed, "#attach-remove")
    def remove_selected(self) -> None:
        """Asks first (#15.5): a removed attachment is gone from the ticket."""
        a = self._current()
        if a is None:
            return

        def confirmed() -> None:
            self.call("write", lambda: self.session.tickets.remove_attachment(a.id), self._changed,
                      self.error_here)

        self.confirm(_("Remove attachment"), _("Remove {name} from this ticket? It cannot be undone.",
                                               name=one_line(a.name, 60)), confirmed, yes=_("Remove"))

    @on(Button.Pressed, "#attach-save")
    def save(self) -> None:
        a = self._current()
        path = self.query_one("#attach-path", Input).value.strip()
        if a is None:
            return
        if not path:
            self.set_error(_("Write the folder or file path to save it to."))
            return
        self.call("save", lambda: save_attachment_to(self.session, a.id, path), self._saved,
                  self.error_here)

    def _saved(self, path: str) -> None:
        self.set_error("")
        self.succeeded(_("Saved to {path}", path=one_line(path)))
