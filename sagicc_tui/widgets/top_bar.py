"""The bar above the list: campaign, pending tickets (L7), agent status, user (L1, L7).

It owns what it shows; clicks become requests the screen acts on (the same
actions have keys on the screen). The pending count is the session's
PendingWatch's, which also announces new assignments (once, whichever screen
is open).
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
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels
from sagicc_tui.widgets.pending_watch import PendingState, PendingWatch


def short_name(full_name: str) -> str:
    """"Sofía Supervisora Ruiz" -> "Sofía S.": who is signed in, in few columns."""
    words = one_line(full_name, max_len=40).split()
    if len(words) < 2:
        return one_line(full_name, max_len=16)
    return one_line(words[0], max_len=12) + " " + words[1][0] + "."


class TopBar(Horizontal):
    # Its own rules, with it: a reusable widget looks the same on every screen
    # that shows it (the list, the ticket). `.-narrow` is set on the screen, so
    # the rules are not scoped (scoping would prefix them with TopBar); each
    # one names TopBar itself.
    SCOPED_CSS = False
    DEFAULT_CSS = """
    TopBar {
        dock: top;
        height: 1;
        background: $panel;
    }

    TopBar Static {
        width: auto;
        padding: 0 1;
    }

    TopBar #brand {
        text-style: bold;
        color: $accent;
    }

    TopBar #spacer {
        width: 1fr;
    }

    TopBar #user {
        text-style: bold;
        padding-right: 0;
    }

    TopBar #role {
        color: $foreground-muted;
    }

    .-narrow TopBar #brand, .-narrow TopBar #role, .-narrow TopBar #user {
        display: none;
    }

    TopBar #user-short {
        display: none;
        text-style: bold;
    }

    .-narrow TopBar #user-short {
        display: block;
    }

    TopBar #pending.-some {
        color: $warning;
    }

    TopBar #status {
        color: $success;
    }

    TopBar #connection {
        width: auto;
        display: none;
    }

    TopBar #connection.-offline {
        display: block;
        color: $error;
        text-style: bold;
        padding-right: 2;
    }

    TopBar #status.-busy {
        color: $warning;
    }
    """

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
        self._pending_count: int | None = None  # None: not read yet

    def compose(self) -> ComposeResult:
        yield Static(Content("Sagicc"), id="brand")
        yield Static(id="campaign")
        yield Static(id="pending")
        yield Static(id="spacer")
        yield Static(id="connection")
        yield Static(id="status")
        yield Static(id="user")
        yield Static(id="user-short")  # below 100 columns: "Sofía S. · Sup."
        yield Static(id="role")

    def on_mount(self) -> None:
        # The session's one pending watcher (L7): every screen's bar shows its count.
        watch: PendingWatch | None = getattr(self.app, "pending_watch", None)
        if watch is not None:
            self._pending_count = watch.state.count
            watch.changed.subscribe(self, self._pending_changed)
        self._show_campaign()
        self._show_pending()
        self._show_user()

    # --- state ---------------------------------------------------------------------

    def set_campaign(self, campaign: Campaign | None) -> None:
        self._campaign = campaign
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

    def _pending_changed(self, state: PendingState) -> None:
        self._pending_count = state.count
        self._show_pending()

    # --- drawing -------------------------------------------------------------------

    def _show_campaign(self) -> None:
        name = one_line(self._campaign.name, max_len=40) if self._campaign else "—"
        self.query_one("#campaign", Static).update(
            Content.assemble((_("Campaign") + ": ", "dim"), (name, "bold"), " ▾")
        )

    def _show_pending(self) -> None:
        n = self._pending_count
        widget = self.query_one("#pending", Static)
        widget.update(Content.assemble((_("Pending tickets") + ": ", "dim"), ("…" if n is None else str(n), "bold")))
        widget.set_class(bool(n), "-some")

    def _show_user(self) -> None:
        status = self._user.status
        widget = self.query_one("#status", Static)
        mark = "●" if status is AgentStatus.AVAILABLE else "◐"
        widget.update(Content(f"{mark} {labels.agent_status(status)}"))
        widget.set_class(status is AgentStatus.BUSY, "-busy")
        self.query_one("#user", Static).update(Content(one_line(self._user.full_name, max_len=40)))
        self.query_one("#role", Static).update(Content(labels.role(self._user.role)))
        self.query_one("#user-short", Static).update(
            Content(short_name(self._user.full_name) + " · " + labels.role_short(self._user.role)))

    def on_click(self, event) -> None:
        target = getattr(event.widget, "id", None)
        if target == "campaign":
            self.post_message(self.CampaignRequested())
        elif target == "pending":
            self.post_message(self.PendingRequested())
        elif target == "status":
            self.post_message(self.StatusToggleRequested())
