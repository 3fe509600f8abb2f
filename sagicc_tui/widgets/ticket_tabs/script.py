"""T10: the campaign's script, its placeholders filled for the open ticket."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from sagicc_tui.domain.admin import fill_placeholders
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets.ticket_tabs.base import TicketContext, TicketTabBase


def script_text(ctx: TicketContext) -> str:
    """The script as the agent reads it to this customer: {cliente}, {agente}, ... filled.
    Customer values pass the sanitizer first (one line, no control characters)."""
    campaign = ctx.campaign
    script = clean(campaign.script) if campaign else ""
    if not script.strip():
        return _("This campaign has no script.")
    values: dict[str, str] = {"agent_name": one_line(ctx.user.full_name, 60),
                              "campaign_name": one_line(campaign.name, 80) if campaign else ""}
    if ctx.customer is not None:
        values["customer_name"] = one_line(ctx.customer.full_name, 80)
    if ctx.ticket is not None:
        values["ticket_number"] = str(ctx.ticket.number)
    return fill_placeholders(script, **values)


class ScriptTab(TicketTabBase):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Content(script_text(self.ctx)), id="script-text")

    def load(self) -> None:
        """The ticket's customer (or the agent) may have changed: fill the script again."""
        self.query_one("#script-text", Static).update(Content(script_text(self.ctx)))
