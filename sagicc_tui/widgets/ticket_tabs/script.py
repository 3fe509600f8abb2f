"""T10: the campaign's script."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from sagicc_tui.i18n import _
from sagicc_tui.sanitize import clean
from sagicc_tui.widgets.ticket_tabs.base import TicketTabBase


class ScriptTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        script = self.ctx.campaign.script if self.ctx.campaign else ""
        with VerticalScroll():
            yield Static(Content(clean(script) or _("This campaign has no script.")), id="script-text")
