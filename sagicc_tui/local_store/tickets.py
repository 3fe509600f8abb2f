"""Reading tickets: pages of cards, counts, one ticket, its conversation and tasks."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, select

from sagicc_tui.domain.enums import Role
from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, Task, Ticket, User
from sagicc_tui.domain.query import TicketCursor, TicketPage, TicketQuery
from sagicc_tui.domain.rules import Scope, scope_for
from sagicc_tui.local_store import schema, ticket_counts
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store.cards import card_from_row
from sagicc_tui.local_store.convert import (
    task_from_row,
    ticket_from_row,
)
from sagicc_tui.local_store.core import Store

t = schema.ticket.c


def scope(store: Store, conn: Connection, user: User) -> tuple[Scope, dict[int, Campaign]]:
    campaigns = store.campaigns(conn)
    return scope_for(user, campaigns), {c.id: c for c in campaigns}


class PageRows(NamedTuple):
    """A page's rows as read (ticket_query.card_columns + sort_key), before
    they become cards: the server encodes them to JSON straight from here
    (server/encode.py), everyone else gets cards (list_page)."""

    rows: list[Any]
    campaigns: dict[int, Campaign]
    now: Any
    cursor: TicketCursor | None


def page_rows(
    store: Store, conn: Connection, user: User, query: TicketQuery, *, limit: int,
    after: TicketCursor | None, offset: int,
) -> PageRows:
    limit = max(1, min(limit, 500))
    sc, campaigns = scope(store, conn, user)
    # A page at an offset walks past the offset's rows too.
    plan = tq.search_plan(conn, sc, query, store.dialect, page=True, limit=offset + limit)
    stmt = tq.page_select(sc, query, store.dialect, limit=limit, after=after, offset=offset, plan=plan)
    rows = conn.execute(stmt).all()
    cursor = TicketCursor(int(rows[-1].sort_key), rows[-1].id) if len(rows) == limit else None
    return PageRows(rows, campaigns, store.clock(), cursor)


def list_page(
    store: Store, conn: Connection, user: User, query: TicketQuery, *, limit: int,
    after: TicketCursor | None, offset: int,
) -> TicketPage:
    found = page_rows(store, conn, user, query, limit=limit, after=after, offset=offset)
    return TicketPage(tuple(card_from_row(r, found.campaigns, found.now) for r in found.rows), found.cursor)


MAX_AT_MOST = 1_000_000  # a count capped higher is no cheaper than the exact one


def count(store: Store, conn: Connection, user: User, query: TicketQuery, at_most: int | None = None) -> int:
    if at_most is not None and not 1 <= at_most <= MAX_AT_MOST:
        raise InvalidInput(N_("at_most must be from 1 to {most}, or left out for the exact count (it was {value})."),
                           field="at_most", most=MAX_AT_MOST, value=at_most)
    sc, _ = scope(store, conn, user)
    if ticket_counts.answers(query):
        return ticket_counts.count(conn, sc, query)  # a few counter rows (ticket_counts.py)
    plan = tq.search_plan(conn, sc, query, store.dialect, page=False, at_most=at_most)
    # A capped count stops at the first at_most + 1 matches: a common word's
    # count at 1M visits 90,000 tickets (128 ms of CPU), its capped one 1,001 (29 ms).
    return int(conn.execute(tq.count_select(sc, query, store.dialect, plan=plan, at_most=at_most)).scalar_one())


def pending(store: Store, conn: Connection, user: User, campaign_id: int, limit: int) -> TicketPage:
    """L7: my open tickets in the campaign; a scheduled next task puts a ticket
    first (closest first), then the oldest unread, then the oldest."""
    sc, campaigns = scope(store, conn, user)
    key = schema.PENDING_ORDER[0]
    ordering = schema.PENDING_ORDER
    # A deferred join, as the list's pages: an agent can hold tens of thousands
    # of open tickets (18,011 for one demo agent at 1M); sort their ids, then
    # join customer and assignee for the `limit` kept (103 -> ~10 ms of CPU).
    inner = (
        select(t.id)
        .where(tq.scope_predicate(sc), t.campaign_id == campaign_id, t.assignee_id == user.id,
               schema.PENDING_WHERE)  # the statuses of tq.OPEN, spelled as ix_ticket_pending's
        .order_by(*ordering)
        .limit(limit)
    )
    stmt = (
        select(*tq.card_columns(), key.label("sort_key"))
        .select_from(
            schema.ticket.join(tq.customer, tq.cu.id == t.customer_id).outerjoin(
                tq.user_t, tq.user_t.c.id == t.assignee_id
            )
        )
        .where(t.id.in_(inner.scalar_subquery()))
        .order_by(*ordering)
    )
    now = store.clock()
    return TicketPage(tuple(card_from_row(r, campaigns, now) for r in conn.execute(stmt)), None)


def get(store: Store, conn: Connection, user: User, *, ticket_id: int | None = None,
        number: int | None = None) -> Ticket:
    sc, _ = scope(store, conn, user)
    stmt = select(schema.ticket).where(tq.scope_predicate(sc))
    stmt = stmt.where(t.id == ticket_id) if ticket_id is not None else stmt.where(t.number == number)
    row = conn.execute(stmt).first()
    if row is None:
        # Out of scope reads the same as missing: no one learns what exists.
        raise NotFound(
            N_("There is no ticket {ref} that you can see; check the number."),
            ref=f"#{number}" if number is not None else f"id {ticket_id}",
        )
    return ticket_from_row(row)


def child_in_scope(store: Store, conn: Connection, user: User, table, row_id: int,
                   missing: NotFound) -> tuple[Any, Ticket]:
    """A row that belongs to a ticket (note, attachment, interaction) and that ticket,
    through the user's L2 scope: a row outside it reads the same as a missing one."""
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        raise missing
    try:
        return row, get(store, conn, user, ticket_id=row.ticket_id)
    except NotFound:
        raise missing from None


def tasks(conn: Connection, ticket_id: int, limit: int) -> list[Task]:
    tk = schema.TaskRow.__table__
    us = schema.UserRow.__table__
    rows = conn.execute(
        select(tk, us.c.full_name.label("author_name"))
        .join(us, us.c.id == tk.c.author_id)
        .where(tk.c.ticket_id == ticket_id)
        .order_by(tk.c.id.desc())
        .limit(limit)
    )
    return [task_from_row(r, r.author_name) for r in rows]


def campaign_users(store: Store, conn: Connection, campaign_ids: tuple[int, ...]) -> list[User]:
    users = store.users(conn)
    if not campaign_ids:
        return [u for u in users if u.active]
    wanted = set(campaign_ids)
    return [
        u for u in users
        if u.active and (wanted & set(u.campaign_ids) or u.role is not Role.AGENT and not u.campaign_ids)
    ]


def features(conn: Connection) -> list[str]:
    f = schema.CustomerFeature.__table__
    return [r[0] for r in conn.execute(select(f.c.feature).distinct().order_by(f.c.feature))]


def open_ticket_ids_of_customer(conn: Connection, customer_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            select(t.id).where(and_(t.customer_id == customer_id, t.status.in_(tq.OPEN)))
        )
    ]
