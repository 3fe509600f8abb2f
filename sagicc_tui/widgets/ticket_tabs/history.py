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

    def compose(self) -> ComposeResult:
        yield OptionList(id="history-list", compact=True)
        with Horizontal(classes="buttons"):
            yield Button(_("View more"), id="history-more", compact=True)

    def load(self) -> None:
        self._tasks = []
        self.call("page", lambda: self.session.tickets.list_tasks_page(self.ctx.ticket_id, limit=HISTORY_PAGE),
                  self._page)

    @on(Button.Pressed, "#history-more")
    def more(self) -> None:
        if not self._more or not self._tasks:
            self.notify(_("There are no older tasks."))
            return
        before = self._tasks[-1].id
        self.call("page", lambda: self.session.tickets.list_tasks_page(self.ctx.ticket_id, before_id=before,
                                                               limit=HISTORY_PAGE), self._page)

    def _page(self, tasks: list[Task]) -> None:
        self._tasks.extend(tasks)
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
