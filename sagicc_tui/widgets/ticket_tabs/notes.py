"""T14: the ticket's notes."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option

from sagicc_tui.domain.enums import NoteColor
from sagicc_tui.domain.models import Note
from sagicc_tui.i18n import N_, _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.ticket_tabs.base import TicketChanged, TicketContext, TicketTabBase

_NOTE_COLOR = {
    NoteColor.YELLOW: N_("Yellow"),
    NoteColor.GREEN: N_("Green"),
    NoteColor.BLUE: N_("Blue"),
    NoteColor.RED: N_("Red"),
    NoteColor.PURPLE: N_("Purple"),
}
_NOTE_STYLE = {
    NoteColor.YELLOW: "$warning",
    NoteColor.GREEN: "$success",
    NoteColor.BLUE: "$primary",
    NoteColor.RED: "$error",
    NoteColor.PURPLE: "$accent",
}


class NotesTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self.notes: list[Note] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="notes-list", compact=True)
        yield TextArea(id="note-text", soft_wrap=True, tab_behavior="focus", compact=True)
        with Horizontal(classes="buttons"):
            yield Select([(_(_NOTE_COLOR[c]), c.value) for c in NoteColor], allow_blank=False,
                         id="note-color", compact=True)
            yield Button(_("Add note"), id="note-add", variant="primary", compact=True)
            yield Button(_("View note"), id="note-view", compact=True)
            yield Button(_("Delete note"), id="note-delete", variant="error", compact=True)
        yield Label("", classes="form-error")

    def load(self) -> None:
        self.call("list", lambda: self.session.tickets.list_notes(self.ctx.ticket_id), self._show)

    def _show(self, notes: list[Note]) -> None:
        self.notes = notes
        box = self.query_one("#notes-list", OptionList)
        box.clear_options()
        for n in notes:
            box.add_option(Option(Content.assemble(
                ("■ ", _NOTE_STYLE[n.color]), (when(n.created_at) + "  ", "dim"), one_line(n.text, max_len=200))))
        if not notes:
            box.add_option(Option(Content(_("No notes yet.")), disabled=True))

    @on(Button.Pressed, "#note-add")
    def add(self) -> None:
        text = self.query_one("#note-text", TextArea).text
        if not text.strip():
            self.set_error(_("Write the note first."))
            return
        color = self.query_one("#note-color", Select).value
        self.set_error("")
        self.write_once("add", lambda: self.session.tickets.add_note(self.ctx.ticket_id, text, str(color)),
                        self._added, self.error_here)

    def _added(self, _n: object) -> None:
        self.query_one("#note-text", TextArea).text = ""
        self._changed()

    def _changed(self, _r: object = None) -> None:
        self.load()
        self.post_message(TicketChanged())

    def _current(self) -> Note | None:
        index = self.query_one("#notes-list", OptionList).highlighted
        if index is None or not (0 <= index < len(self.notes)):
            self.set_error(_("Choose a note in the list first."))
            return None
        return self.notes[index]

    # The list shows a line of each note; Enter (or View note) shows one in full, any length (#15.5).

    @on(OptionList.OptionSelected, "#notes-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.view()

    @on(Button.Pressed, "#note-view")
    def view(self) -> None:
        note = self._current()
        if note is None:
            return
        self.set_error("")
        self.show_text(_("Note of {when}", when=when(note.created_at)), clean(note.text))

    @on(Button.Pressed, "#note-delete")
    def delete(self) -> None:
        """Asks first (#15.5): a deleted note cannot be brought back."""
        note = self._current()
        if note is None:
            return

        def confirmed() -> None:
            self.call("write", lambda: self.session.tickets.delete_note(note.id), self._changed,
                      self.error_here)

        self.confirm(_("Delete note"), _("Delete the note «{start}»? It cannot be undone.",
                                         start=one_line(note.text, 60)), confirmed, yes=_("Delete"))
