"""T10: the assignee's agenda."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sagicc_tui.domain.ticket_screen import AgendaItem
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.conversation import when
from sagicc_tui.widgets.ticket_tabs.base import TicketTabBase


class AgendaTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        yield Label("", id="agenda-title", classes="section-title")
        yield OptionList(id="agenda-list", compact=True)

    def load(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        if t.assignee_id is None:
            self.query_one("#agenda-title", Label).update(Content(_("The ticket is not assigned: no agenda.")))
            return
        self.query_one("#agenda-title", Label).update(Content(_("Scheduled next tasks of the assignee")))
        self.call("agenda", lambda: self.session.agent.agenda(t.assignee_id), self._show)

    def _show(self, items: list[AgendaItem]) -> None:
        box = self.query_one("#agenda-list", OptionList)
        box.clear_options()
        for a in items:
            box.add_option(Option(Content.assemble((when(a.next_task_at) + "  ", "bold"), f"#{a.ticket_number} ",
                                                   (labels.status(a.status) + " ", "dim"),
                                                   one_line(a.customer_name, max_len=40))))
        if not items:
            box.add_option(Option(Content(_("Nothing scheduled.")), disabled=True))
