"""T8 Conversation: the timeline of a ticket, a page at a time, and reading it.

Oldest first, keyset-paged on (created_at, id): a page costs the same at the
start or the end of a 5,000-message conversation. "View previous
interactions" adds the interactions of the customer's other tickets that the
user can see, each marked with its ticket number.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Connection, and_, or_, select, update

from sagicc_tui.domain.enums import ChangeKind, ChannelType, Direction, EntityKind
from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Interaction, Ticket, User
from sagicc_tui.domain.ticket_screen import ConversationItem, ConversationKey, ConversationPage
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.attachments import refs_for
from sagicc_tui.local_store.convert import interaction_from_row, to_epoch
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import write_ticket

it = schema.InteractionRow.__table__
t = schema.ticket.c
MAX_PAGE = 500


def page(
    store: Store, conn: Connection, user: User, ticket_id: int, *,
    channels: tuple[ChannelType, ...] = (), since: datetime | None = None, until: datetime | None = None,
    include_previous: bool = False, after_key: ConversationKey | None = None,
    before_key: ConversationKey | None = None, from_end: bool = False, limit: int = 100,
) -> ConversationPage:
    """One page of the conversation, oldest first.

    Start: no key (the first page). Forward: `after_key` (a page's
    `next_key`). Backward: `before_key` (a page's `prev_key`). Jump to the
    end: `from_end=True` (the last page). `since`/`until` filter on the time
    (until exclusive), `channels` on the channel.
    """
    if after_key is not None and (before_key is not None or from_end):
        raise InvalidInput(N_("Page forward or backward, not both."))
    limit = max(1, min(int(limit), MAX_PAGE))
    ticket = reads.get(store, conn, user, ticket_id=ticket_id)
    if include_previous:
        sc, _ = reads.scope(store, conn, user)
        others = select(t.id).where(t.customer_id == ticket.customer_id, tq.scope_predicate(sc))
        which = or_(it.c.ticket_id == ticket.id, it.c.ticket_id.in_(others.scalar_subquery()))
    else:
        which = it.c.ticket_id == ticket.id
    where = [which]
    if channels:
        where.append(it.c.channel.in_([ChannelType(c).value for c in channels]))
    if since is not None:
        where.append(it.c.created_at >= to_epoch(since))
    if until is not None:
        where.append(it.c.created_at < to_epoch(until))
    backward = before_key is not None or from_end
    if after_key is not None:
        k = to_epoch(after_key.created_at)
        where.append(or_(it.c.created_at > k, and_(it.c.created_at == k, it.c.id > after_key.id)))
    if before_key is not None:
        k = to_epoch(before_key.created_at)
        where.append(or_(it.c.created_at < k, and_(it.c.created_at == k, it.c.id < before_key.id)))
    order = (it.c.created_at.desc(), it.c.id.desc()) if backward else (it.c.created_at, it.c.id)
    stmt = (
        select(it, t.number.label("ticket_number"))
        .join(schema.ticket, t.id == it.c.ticket_id)
        .where(*where).order_by(*order).limit(limit + 1)
    )
    rows = conn.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
    refs = refs_for(conn, [r.id for r in rows])
    items = tuple(
        ConversationItem(
            interaction=_with_refs(interaction_from_row(r), refs.get(r.id, ())),
            ticket_number=r.ticket_number, previous=r.ticket_id != ticket.id,
        )
        for r in rows
    )
    first = _key(items[0].interaction) if items else None
    last = _key(items[-1].interaction) if items else None
    if backward:
        # Older rows exist when the backward read found more; newer ones exist
        # whenever we started from a key (they are the page we came from).
        return ConversationPage(items=items, next_key=last if before_key is not None else None,
                                prev_key=first if more else None)
    return ConversationPage(items=items, next_key=last if more else None,
                            prev_key=first if after_key is not None else None)


def _key(i: Interaction) -> ConversationKey:
    return ConversationKey(i.created_at, i.id)


def _with_refs(i: Interaction, refs) -> Interaction:
    return dataclasses.replace(i, attachments=refs) if refs else i


def one(store: Store, conn: Connection, user: User, interaction_id: int) -> Interaction:
    """'View more': one interaction in full, with its attachments."""
    row, _ticket = reads.child_in_scope(
        store, conn, user, it, interaction_id, NotFound(N_("There is no interaction with id {id}."), id=interaction_id))
    return _with_refs(interaction_from_row(row), refs_for(conn, [row.id]).get(row.id, ()))


def mark_read(store: Store, conn: Connection, user: User, ticket_id: int) -> Ticket:
    """Every incoming interaction of the ticket is read: the unread indicator
    goes (the card's unread count and time). Nothing unread: nothing changes.
    On a closed ticket it changes nothing (closed tickets do not change)."""
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    if ticket.is_closed:
        return ticket
    res = conn.execute(
        update(it)
        .where(it.c.ticket_id == ticket.id, it.c.direction == Direction.INCOMING.value, it.c.read.is_(False))
        .values(read=True)
    )
    marked = res.rowcount or 0
    if marked == 0 and ticket.unread_count == 0 and ticket.unread_at is None:
        return ticket
    return write_ticket(
        store, conn, me, ticket, None, {"unread_count": 0, "unread_at": None},
        [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.READ, "unread_count", ticket.unread_count, 0)],
        bump=False,  # reading is not editing: a colleague's open edit stays valid
    )

