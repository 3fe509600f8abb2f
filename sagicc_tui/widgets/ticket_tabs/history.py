"""T12: the ticket's tasks, newest first, a page at a time."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.domain.models import Task
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.ticket_tabs.base import TicketContext, TicketTabBase

HISTORY_PAGE = 50


class HistoryTab(TicketTabBase):
    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self._tasks: list[Task] = []
        self._more = False
        self._reading = 0  # which load the answers belong to: an older one's are dropped

    def compose(self) -> ComposeResult:
        yield OptionList(id="history-list", compact=True)
        with Horizontal(classes="buttons"):
            yield Button(_("View more"), id="history-more", compact=True)

    def load(self) -> None:
        # Loads overlap (the tab shown, a task saved, a live change): the first page
        # replaces the list, and a page of an earlier load is dropped, never appended twice.
        self._reading += 1
        reading = self._reading
        self.call("page", lambda: self.session.tickets.list_tasks_page(self.ctx.ticket_id, limit=HISTORY_PAGE),
                  lambda tasks: self._page(reading, tasks, first=True))

    @on(Button.Pressed, "#history-more")
    def more(self) -> None:
        if not self._more or not self._tasks:
            self.notify(_("There are no older tasks."))
            return
        before, reading = self._tasks[-1].id, self._reading
        self.call("page", lambda: self.session.tickets.list_tasks_page(self.ctx.ticket_id, before_id=before,
                                                               limit=HISTORY_PAGE),
                  lambda tasks: self._page(reading, tasks, first=False))

    def _page(self, reading: int, tasks: list[Task], *, first: bool) -> None:
        if reading != self._reading:
            return
        if first:
            self._tasks = list(tasks)
        else:  # newest first: an older page holds only lower ids ("View more" pressed twice adds none)
            last = self._tasks[-1].id if self._tasks else None
            self._tasks.extend(t for t in tasks if last is None or t.id < last)
        self._more = len(tasks) == HISTORY_PAGE
        box = self.query_one("#history-list", OptionList)
        box.clear_options()
        primary = self.ctx.campaign.primary_field if self.ctx.campaign else None
        for t in self._tasks:
            value = t.values.get(primary) if primary else None
            box.add_option(Option(Content.assemble(
                (when(t.created_at) + "  ", "bold"), one_line(t.author_name, max_len=30) + "  ",
                (one_line(value, max_len=30) + "  " if value else "", "bold"),
                (one_line(t.observations, max_len=60), "dim"))))
        if not self._tasks:
            box.add_option(Option(Content(_("No tasks yet.")), disabled=True))

    @on(OptionList.OptionSelected, "#history-list")
    def _view(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not (0 <= event.option_index < len(self._tasks)):
            return
        t = self._tasks[event.option_index]
        fields = {f.key: f.label for f in (self.ctx.campaign.task_fields if self.ctx.campaign else ())}
        lines = [_("Created: {when} by {author}", when=when(t.created_at), author=one_line(t.author_name))]
        for key, value in t.values.items():
            lines.append(f"{one_line(fields.get(key, key))}: {one_line(value)}")
        lines.append(_("Observations: {text}", text=clean(t.observations)))
        if t.next_task_at:
            lines.append(_("Next task: {when}", when=when(t.next_task_at)))
        self.show_text(_("Task"), "\n".join(lines))
