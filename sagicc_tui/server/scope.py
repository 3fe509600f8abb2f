"""The scope columns of tickets, for scoping live events (server/live.py,
server/events.py): who may hear that which tickets changed."""

from __future__ import annotations

import asyncio
from typing import Any

from sagicc_tui.domain.models import User
from sagicc_tui.server import live
from sagicc_tui.server.callers import Caller
from sagicc_tui.server.store_port import ServedStore


def scope_rows(backend: ServedStore, ids: list[int]):
    """The scope columns of some tickets, for scoping a live event (events.py)."""
    return asyncio.to_thread(backend.ticket_scope_rows, ids)


def user_scope(backend: ServedStore, user: User):
    """The L2 scope of an event stream's user (its events name only tickets in it)."""
    return backend.user_scope(user)


async def rows_before(c: Caller, route_name: str, args: dict[str, Any]) -> list:
    """A write that can move a ticket out of someone's scope: the ticket's scope
    columns before it, so the one who loses it hears of the change too."""
    from sagicc_tui.domain.live import ASSIGNMENT

    if ASSIGNMENT not in live.TICKET_PARTS.get(route_name, ()) or not isinstance(args.get("ticket_id"), int):
        return []
    return await scope_rows(c.backend, [args["ticket_id"]])
