"""The scope columns of tickets, for scoping live events (server/live.py,
server/events.py): who may hear that which tickets changed."""

from __future__ import annotations

import asyncio
from typing import Any

from sagicc_tui.domain.models import User
from sagicc_tui.server import live
from sagicc_tui.server.callers import Caller


def scope_rows(store, ids: list[int]):
    """The scope columns of some tickets, for scoping a live event (events.py)."""
    from sagicc_tui.local_store import schema

    t = schema.ticket.c

    def read():
        from sqlalchemy import select

        with store.read() as conn:
            return [tuple(r) for r in conn.execute(
                select(t.id, t.campaign_id, t.assignee_id, t.origin_channel).where(t.id.in_(ids)))]

    return asyncio.to_thread(read)


def user_scope(store, user: User):
    """The L2 scope of an event stream's user (its events name only tickets in it)."""
    from sagicc_tui.local_store.tickets import scope

    with store.read() as conn:
        return scope(store, conn, user)[0]


async def rows_before(c: Caller, route_name: str, args: dict[str, Any]) -> list:
    """A write that can move a ticket out of someone's scope: the ticket's scope
    columns before it, so the one who loses it hears of the change too."""
    from sagicc_tui.domain.live import ASSIGNMENT

    if ASSIGNMENT not in live.TICKET_PARTS.get(route_name, ()) or not isinstance(args.get("ticket_id"), int):
        return []
    return await scope_rows(c.backend.store, [args["ticket_id"]])
