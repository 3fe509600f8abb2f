"""The bar above the list: campaign, pending tickets (L7), agent status, user (L1, L7).

It owns what it shows; clicks become requests the screen acts on (the same
actions have keys on the screen). It also watches the pending list: a ticket
that newly appears assigned to me raises a notification.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from sagicc_tui.backend import OutboxState
from sagicc_tui.domain.enums import AgentStatus
from sagicc_tui.domain.models import Campaign, TicketCard, User
from sagicc_tui.domain.query import TicketPage
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels


class TopBar(Horizontal):
    @dataclass
    class CampaignRequested(Message):
        """The campaign name was clicked: choose another campaign."""

    @dataclass
    class PendingRequested(Message):
        """The pending count was clicked: show the pending list."""

    @dataclass
    class StatusToggleRequested(Message):
        """The agent status was clicked: switch Available/Busy."""

    def __init__(self, user: User, campaign: Campaign | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._user = user
        self._campaign = campaign
        self._pending: tuple[TicketCard, ...] = ()
        self._pending_ids: frozenset[int] | None = None  # None: not read yet
        self._pending_limit = 50

    def compose(self) -> ComposeResult:
        yield Static(Content("Sagicc"), id="brand")
        yield Static(id="campaign")
        yield Static(id="pending")
        yield Static(id="spacer")
        yield Static(id="connection")
        yield Static(id="status")
        yield Static(id="user")
        yield Static(id="role")

    def on_mount(self) -> None:
        self._show_campaign()
        self._show_pending()
        self._show_user()

    # --- state ---------------------------------------------------------------------

    @property
    def pending(self) -> tuple[TicketCard, ...]:
        return self._pending

    def set_campaign(self, campaign: Campaign | None) -> None:
        self._campaign = campaign
        self._pending_ids = None  # another campaign: its tickets are not "new to me"
        self._show_campaign()

    def set_connection(self, state: str | None, outbox: OutboxState | None = None) -> None:
        """Offline is said plainly, with since when: what is typed is kept and sent
        when the server is back; what still waits to be sent, and what the server
        refused, are counted (#10.7, #18.7)."""
        queued = outbox.queued if outbox is not None else 0
        refused = len(outbox.refused) if outbox is not None else 0
        shown = (state, queued, refused)
        if shown == getattr(self, "_shown_connection", None):
            return
        self._shown_connection = shown
        was = getattr(self, "_connection", None)
        self._connection = state
        widget = self.query_one("#connection", Static)
        offline = state == "offline"
        parts = []
        if offline:
            if was != "offline" or not getattr(self, "_offline_since", None):
                from datetime import datetime

                self._offline_since = datetime.now().astimezone().strftime("%H:%M")
            parts.append("⚠ " + _("Offline since {time}: your work is kept", time=self._offline_since))
        if queued:
            parts.append(_("{count} waiting to be sent", count=queued))
        if refused:
            parts.append("✗ " + _("{count} refused by the server: back in its ticket as a draft", count=refused))
        widget.update(Content(" · ".join(parts)))
        widget.set_class(offline or bool(refused), "-offline")
        if offline and was != "offline":
            self.app.notify(_("The server is not answering; what you type is kept and sent when it is back."),
                            severity="warning", timeout=8)
        elif was == "offline" and not offline:
            if queued or refused:
                self.app.notify(_("The server is back; sending what was kept."), timeout=4)
            else:
                self.app.notify(_("The server is back; everything is up to date."), timeout=4)

    def set_user(self, user: User) -> None:
        self._user = user
        self._show_user()

    def pending_ids(self) -> frozenset[int]:
        """Ids of the pending tickets shown (empty before the first read)."""
        return self._pending_ids or frozenset()

    def update_pending(self, page: TicketPage, limit: int = 50) -> list[TicketCard]:
        """Show the pending count; notify and return the tickets new since the last read."""
        self._pending = page.rows
        self._pending_limit = limit
        ids = frozenset(c.id for c in page.rows)
        new = [] if self._pending_ids is None else [c for c in page.rows if c.id not in self._pending_ids]
        self._pending_ids = ids
        self._show_pending()
        for card in new[:3]:  # a burst of assignments should not bury the screen
            self.app.notify(
                _("Ticket #{number} ({customer}) is now assigned to you.",
                  number=card.number, customer=one_line(card.customer_name, max_len=40)),
                title=_("Pending tickets"),
            )
        if len(new) > 3:
            self.app.notify(_("{count} more tickets are now assigned to you.", count=len(new) - 3),
                            title=_("Pending tickets"))
        return new

    # --- drawing -------------------------------------------------------------------

    def _show_campaign(self) -> None:
        name = one_line(self._campaign.name, max_len=40) if self._campaign else "—"
        self.query_one("#campaign", Static).update(
            Content.assemble((_("Campaign") + ": ", "dim"), (name, "bold"), " ▾")
        )

    def _show_pending(self) -> None:
        n = len(self._pending)
        count = f"{n}+" if n >= self._pending_limit else str(n)
        widget = self.query_one("#pending", Static)
        widget.update(Content.assemble((_("Pending tickets") + ": ", "dim"), (count, "bold")))
        widget.set_class(n > 0, "-some")

    def _show_user(self) -> None:
        status = self._user.status
        widget = self.query_one("#status", Static)
        mark = "●" if status is AgentStatus.AVAILABLE else "◐"
        widget.update(Content(f"{mark} {labels.agent_status(status)}"))
        widget.set_class(status is AgentStatus.BUSY, "-busy")
        self.query_one("#user", Static).update(Content(one_line(self._user.full_name, max_len=40)))
        self.query_one("#role", Static).update(Content(labels.role(self._user.role)))

    def on_click(self, event) -> None:
        target = getattr(event.widget, "id", None)
        if target == "campaign":
            self.post_message(self.CampaignRequested())
        elif target == "pending":
            self.post_message(self.PendingRequested())
        elif target == "status":
            self.post_message(self.StatusToggleRequested())
