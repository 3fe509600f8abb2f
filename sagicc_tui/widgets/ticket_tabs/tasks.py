"""T11: the task form."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label

from sagicc_tui.i18n import _
from sagicc_tui.widgets.task_form import TaskForm
from sagicc_tui.widgets.ticket_tabs.base import TicketTabBase


class TasksTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            if self.ctx.campaign is not None:
                yield TaskForm(self.ctx.campaign, id="task-form")
            with Horizontal(classes="buttons"):
                yield Button(_("Save task"), id="task-save", variant="primary", compact=True)
                yield Button(_("Clear"), id="task-clear", compact=True)
            yield Label("", classes="form-error")
