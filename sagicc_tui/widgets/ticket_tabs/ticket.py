"""T7: the ticket's own fields, saved with the version the form was filled from."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Label, Select, Static, TextArea

from sagicc_tui.domain.enums import Priority, TicketType
from sagicc_tui.domain.errors import SagiccError, StaleWrite
from sagicc_tui.domain.models import Account, Ticket
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import clean, one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.ticket_tabs.base import TicketChanged, TicketContext, TicketTabBase, field, selection


class TicketTab(TicketTabBase):
    """Type, description, priority, account; saved with the version the form was filled from."""

    def __init__(self, ctx: TicketContext, *, id: str | None = None) -> None:
        super().__init__(ctx, id=id)
        self.version: int | None = None
        self._filled = False
        self._account_ids: set[int] = set()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            with Horizontal(classes="form-row"):
                yield field(_("Ticket type"), Select([(labels.ticket_type(t), t.value) for t in TicketType],
                                                      allow_blank=False, id="tt-type", compact=True))
                yield field(_("Priority"), Select([(labels.priority(p), p.value) for p in Priority],
                                                   allow_blank=False, id="tt-priority", compact=True))
            yield field(_("Account"), Select([], prompt=_("No account"), id="tt-account", compact=True))
            yield field(_("Campaign"), Static("", id="tt-campaign"))
            yield field(_("Description"), TextArea(id="tt-description", soft_wrap=True, tab_behavior="focus",
                                                    compact=True))
            with Horizontal(classes="buttons"):
                yield Button(_("Save ticket"), id="tt-save", variant="primary", compact=True)
                yield Button(_("Reload"), id="tt-reload", compact=True, classes="-hidden")
            yield Label("", classes="form-error")

    def fill(self, ticket: Ticket, *, keep_input: bool = False) -> None:
        """Show the ticket; with keep_input only the version moves (the user's typing stays)."""
        self.version = ticket.version
        name = self.ctx.campaign.name if self.ctx.campaign else str(ticket.campaign_id)
        self.query_one("#tt-campaign", Static).update(Content(one_line(name)))
        if keep_input and self._filled:
            return
        self._filled = True
        self.query_one("#tt-type", Select).value = ticket.type.value
        self.query_one("#tt-priority", Select).value = ticket.priority.value
        self.query_one("#tt-description", TextArea).text = clean(ticket.description)
        account = self.query_one("#tt-account", Select)
        if ticket.account_id is None:
            account.clear()
        elif ticket.account_id in self._account_ids:
            account.value = ticket.account_id

    def set_accounts(self, accounts: list[Account]) -> None:
        select = self.query_one("#tt-account", Select)
        current = selection(select)
        select.set_options([(one_line(a.number, 30) + " " + one_line(a.name, 30), a.id) for a in accounts])
        self._account_ids = {a.id for a in accounts}
        t = self.ctx.ticket
        wanted = current if current is not None else (t.account_id if t else None)
        if wanted in {a.id for a in accounts}:
            select.value = wanted

    @on(Button.Pressed, "#tt-save")
    def save(self) -> None:
        t = self.ctx.ticket
        if t is None or self.version is None:
            return
        changes: dict[str, object] = {
            "type": TicketType(self.query_one("#tt-type", Select).value),
            "priority": Priority(self.query_one("#tt-priority", Select).value),
            "description": self.query_one("#tt-description", TextArea).text,
        }
        account = selection(self.query_one("#tt-account", Select))
        if account != t.account_id:
            changes["account_id"] = account
        version = self.version
        self.set_error("")
        self.call("save", lambda: self.backend.update_ticket(self.user, t.id, changes, expected_version=version),
                  self._saved, self._failed)

    def _saved(self, ticket: Ticket) -> None:
        self.version = ticket.version
        self.query_one("#tt-reload").add_class("-hidden")
        self.succeeded(_("Ticket saved."))
        self.post_message(TicketChanged(ticket))

    def _failed(self, e: SagiccError) -> None:
        self.error_here(e)
        if isinstance(e, StaleWrite):
            reload = self.query_one("#tt-reload", Button)
            reload.remove_class("-hidden")
            reload.label = _("Reload (keeps your changes)")

    @on(Button.Pressed, "#tt-reload")
    def reload(self) -> None:
        t = self.ctx.ticket
        if t is None:
            return
        self.call("reload", lambda: self.backend.get_ticket(self.user, t.id), self._reloaded)

    def _reloaded(self, ticket: Ticket) -> None:
        self.fill(ticket, keep_input=True)
        self.query_one("#tt-reload").add_class("-hidden")
        self.set_error(_("Reloaded; your changes are kept. Save again to apply them."))
        self.post_message(TicketChanged(ticket))
