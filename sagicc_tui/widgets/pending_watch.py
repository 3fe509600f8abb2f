"""The session's pending tickets (L7): how many, and every new assignment.

One watcher per session (the App holds it), not one per top bar: the list
screen and the ticket screen both show its count, and each assignment is
announced once, whichever screen is open. It reads through the same
`TicketQuery.pending` the list applies on `p`, so the count and the list
agree and neither has a cap. New assignments are the pending tickets given to
me since the last read (`assigned_since`), so a redistribution of 500 tickets
is announced in full, not only for the first page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual.dom import DOMNode
from textual.signal import Signal

from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.models import TicketCard, User
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.i18n import _
from sagicc_tui.sanitize import one_line
from sagicc_tui.widgets import labels

NAMED = 3  # a burst of assignments names this many tickets, then counts the rest
NEWS_PAGE = 100
NEWS_PAGES = 50  # a burst past 5,000 tickets is told from the next read on


@dataclass(frozen=True, slots=True)
class PendingState:
    campaign_id: int | None
    count: int | None  # None: not read yet


class PendingWatch:
    def __init__(self, owner: DOMNode, backend: Backend, clock: Callable[[], datetime]) -> None:
        self._owner = owner
        self._backend = backend
        self._clock = clock
        self.changed: Signal[PendingState] = Signal(owner, "pending-changed")
        self.state = PendingState(None, None)
        self._since: datetime | None = None  # news are assignments at or after this
        self._told: set[int] = set()  # tickets announced at `_since` (same second)

    def query(self, user: User, campaign_id: int) -> TicketQuery:
        return TicketQuery.pending(user.id, campaign_id)

    def refresh(self, user: User, campaign_id: int | None) -> None:
        """Read the count and the news in a worker; subscribers hear the result."""
        if campaign_id is None:
            return
        # The function, not its coroutine: a read replaced before it starts
        # (exclusive) is then never made, rather than made and never awaited.
        self._owner.run_worker(functools.partial(self._read, user, campaign_id), group="pending",
                               exclusive=True, exit_on_error=False)

    async def _read(self, user: User, campaign_id: int) -> None:
        if campaign_id != self.state.campaign_id:
            # Another campaign: what is already mine there is not news.
            self._since, self._told = self._clock(), set()
        q = self.query(user, campaign_id)
        try:
            count = await self._backend.session(user).lists.count_tickets(q)
            news = await self._news(user, q) if self._since is not None else []
        except SagiccError as e:
            self._owner.notify(labels.error_sentence(e), severity="error")
            return
        self._advance(news)
        self.state = PendingState(campaign_id, count)
        self.changed.publish(self.state)
        self._announce(news)

    async def _news(self, user: User, q: TicketQuery) -> list[TicketCard]:
        """Every pending ticket given to me since the last read, all pages:
        a burst is rare and must be told in full."""
        recent = q.with_(assigned_since=self._since)
        news: list[TicketCard] = []
        after = None
        for _page in range(NEWS_PAGES):
            page = await self._backend.session(user).lists.list_tickets(recent, limit=NEWS_PAGE, after=after)
            news += [c for c in page.rows if c.id not in self._told]
            after = page.next_cursor
            if after is None:
                break
        return news

    def _advance(self, news: list[TicketCard]) -> None:
        stamps = [c.assigned_at for c in news if c.assigned_at is not None]
        if not stamps:
            return
        newest = max(stamps)
        if self._since is None or newest > self._since:
            self._since = newest
            self._told = set()
        self._told |= {c.id for c in news if c.assigned_at == newest}

    def _announce(self, news: list[TicketCard]) -> None:
        news = sorted(news, key=lambda c: c.number)
        for card in news[:NAMED]:
            self._owner.notify(
                _("Ticket #{number} ({customer}) is now assigned to you.",
                  number=card.number, customer=one_line(card.customer_name, max_len=40)),
                title=_("Pending tickets"),
            )
        rest = len(news) - NAMED
        if rest > 0:
            self._owner.notify(_("{count} more tickets are now assigned to you.", count=rest),
                               title=_("Pending tickets"))
