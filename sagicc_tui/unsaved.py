"""Drafts the store has not taken yet (#10.6).

When a draft cannot be saved -- the disk holding the store is full, the store
is read-only or locked -- what the user typed must not depend on the screen
staying open. The ticket screen keeps every draft here before writing it and
forgets it once the store has it; the app retries what is left every few
seconds, and a ticket opened again shows the kept draft rather than the
store's older one. Memory only: it outlives a screen, not the process
(quitting while drafts are kept here asks first).
"""

from __future__ import annotations

from typing import Any

from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import SagiccError, as_error
from sagicc_tui.domain.models import User
from sagicc_tui.session import TicketsArea

#: The fields that make a composer draft worth keeping (the channel alone is not).
COMPOSER_TEXT = ("subject", "cc", "bcc", "text", "files", "other")


async def write_draft(tickets: TicketsArea, ticket_id: int, form: str, data: dict[str, Any]) -> None:
    """Save the draft, or clear it when nothing was typed (as the session's user)."""
    keys = COMPOSER_TEXT if form == "composer" else tuple(data)
    if any(data.get(k) for k in keys):
        await tickets.save_draft(ticket_id, form, data)
    else:
        await tickets.clear_draft(ticket_id, form)


class UnsavedDrafts:
    def __init__(self) -> None:
        self._items: dict[tuple[int, int, str], tuple[User, dict[str, Any]]] = {}

    def keep(self, user: User, ticket_id: int, form: str, data: dict[str, Any]) -> None:
        self._items[(user.id, ticket_id, form)] = (user, dict(data))

    def get(self, user: User, ticket_id: int, form: str) -> dict[str, Any] | None:
        found = self._items.get((user.id, ticket_id, form))
        return dict(found[1]) if found is not None else None

    def taken(self, user: User, ticket_id: int, form: str, data: dict[str, Any]) -> None:
        """The store has `data`: forget it, unless something newer was kept meanwhile."""
        key = (user.id, ticket_id, form)
        found = self._items.get(key)
        if found is not None and found[1] == data:
            del self._items[key]

    def forget(self, user: User, ticket_id: int, form: str) -> None:
        """The draft was used up (the message sent, the task saved) or cleared."""
        self._items.pop((user.id, ticket_id, form), None)

    def __len__(self) -> int:
        return len(self._items)

    async def flush(self, backend: Backend) -> SagiccError | None:
        """Hand every kept draft to the store; None when all were taken, else
        the first error (those drafts stay kept for the next try)."""
        problem: SagiccError | None = None
        for (_uid, ticket_id, form), (user, data) in list(self._items.items()):
            try:
                await write_draft(backend.session(user).tickets, ticket_id, form, data)
            except Exception as e:  # noqa: BLE001 - kept for the next try; the caller says it once
                problem = problem or as_error(e)
                continue
            self.taken(user, ticket_id, form, data)
        return problem
