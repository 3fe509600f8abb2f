"""Ticket counts without scanning (issue #16): counters kept by the database.

An agent's count at a million tickets walked a quarter of a million index
entries ("mine or unassigned, from the campaign's channels": ~60 ms of CPU,
230 ms with a status filter), and the list asks for one on every filter
change and live reload. `ticket_count` holds how many tickets there are per
(campaign, assignee, origin channel, status, priority, type); triggers keep
it on every insert, delete and update of those columns, in the writing
transaction, so no write path can forget it and a count never sees half a
change. A query whose filters are all of those columns -- the L2 scope plus
statuses, priorities, types, channels, assignee -- sums a few of its rows;
any other query (dates, search, customers, features, outcome) counts tickets
as before (tickets.count).

No assignee is stored as 0 (``NONE``): a key column cannot be NULL in
PostgreSQL, and SQLite's upsert never matches a NULL key. User ids start at 1.

Rows whose count went to 0 stay (a few thousand at most: the product of
campaigns, users, channels, statuses, priorities and types in use).

The demo's bulk load creates the triggers after the load and fills the table
once (``create(rebuild=True)``); the 15 -> 16 schema step does the same.
"""

from __future__ import annotations

from sqlalchemy import Connection, ColumnElement, and_, false, func, or_, select, true

from sagicc_tui.domain.enums import UserFilter
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.rules import Scope
from sagicc_tui.local_store import schema

NONE = 0  # the assignee key of an unassigned ticket
DIMENSIONS = ("campaign_id", "assignee_id", "origin_channel", "status", "priority", "type")

#: TicketQuery fields the counters answer (the order never changes a count);
#: every other field must be empty for a counter count.
COUNTED_FIELDS = frozenset({"campaign_ids", "statuses", "priorities", "user_filter", "user_ids", "types",
                            "channels", "order"})

c = schema.TicketCountRow.__table__.c


def answers(query: TicketQuery) -> bool:
    """Whether the counters can count this query exactly: every filter in use
    is a counter dimension. Truthiness, as ticket_query.filter_predicates
    reads the fields (an empty or blank search is no filter there either)."""
    for name in TicketQuery.__dataclass_fields__:
        if name in COUNTED_FIELDS:
            continue
        value = getattr(query, name)
        if name == "search":
            value = value.strip()
        if value:
            return False
    return True


def _scope(scope: Scope) -> ColumnElement[bool]:
    # ticket_query.scope_predicate over the counter's columns.
    if scope.all_campaigns:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.unrestricted_campaigns:
        parts.append(c.campaign_id.in_(sorted(scope.unrestricted_campaigns)))
    for campaign_id, channels in sorted(scope.restricted_campaigns.items()):
        parts.append(and_(c.campaign_id == campaign_id, c.assignee_id.in_((scope.user_id, NONE)),
                          c.origin_channel.in_(sorted(channels))))
    return or_(*parts) if parts else false()


def _filters(query: TicketQuery) -> list[ColumnElement[bool]]:
    # ticket_query.filter_predicates for the counted fields, in the same reading.
    preds: list[ColumnElement[bool]] = []
    if query.campaign_ids:
        preds.append(c.campaign_id.in_(query.campaign_ids))
    if query.statuses:
        preds.append(c.status.in_([s.value for s in query.statuses]))
    if query.priorities:
        preds.append(c.priority.in_([p.value for p in query.priorities]))
    if query.user_filter is UserFilter.UNASSIGNED:
        preds.append(c.assignee_id == NONE)
    elif query.user_filter is UserFilter.SPECIFIC and query.user_ids:
        # NONE is no user: `assignee_id IN (0)` on tickets matches nothing.
        preds.append(c.assignee_id.in_([u for u in query.user_ids if u != NONE]))
    if query.types:
        preds.append(c.type.in_([x.value for x in query.types]))
    if query.channels:
        preds.append(c.origin_channel.in_([x.value for x in query.channels]))
    return preds


def count_select(scope: Scope, query: TicketQuery):
    return select(func.coalesce(func.sum(c.n), 0)).where(_scope(scope), *_filters(query))


def count(conn: Connection, scope: Scope, query: TicketQuery) -> int:
    return int(conn.execute(count_select(scope, query)).scalar_one())


# --- the triggers ------------------------------------------------------------------------

_COLS = ", ".join(DIMENSIONS)


def _key(row: str) -> list[str]:
    return [f"coalesce({row}.assignee_id, {NONE})" if d == "assignee_id" else f"{row}.{d}" for d in DIMENSIONS]


def _add(row: str, table: str = "ticket_count") -> str:
    values = ", ".join(_key(row))
    return (f"INSERT INTO ticket_count ({_COLS}, n) VALUES ({values}, 1) "
            f"ON CONFLICT ({_COLS}) DO UPDATE SET n = {table}.n + 1;")


def _remove(row: str) -> str:
    match = " AND ".join(f"{d} = {k}" for d, k in zip(DIMENSIONS, _key(row), strict=True))
    return f"UPDATE ticket_count SET n = n - 1 WHERE {match};"


def _changed(old: str, new: str) -> str:
    return " OR ".join(f"{old}.{d} IS DISTINCT FROM {new}.{d}" for d in DIMENSIONS)


_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS ticket_count_insert AFTER INSERT ON ticket BEGIN {_add('NEW')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_count_delete AFTER DELETE ON ticket BEGIN {_remove('OLD')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_count_update AFTER UPDATE OF {_COLS} ON ticket "
    f"WHEN {_changed('OLD', 'NEW').replace('IS DISTINCT FROM', 'IS NOT')} "
    f"BEGIN {_remove('OLD')} {_add('NEW')} END",
]

_PG = [
    f"""CREATE OR REPLACE FUNCTION ticket_count_keep() RETURNS trigger AS $$ BEGIN
        IF TG_OP <> 'INSERT' THEN {_remove('OLD')} END IF;
        IF TG_OP <> 'DELETE' THEN {_add('NEW')} END IF;
        RETURN NULL; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS ticket_count_insert_delete ON ticket",
    """CREATE TRIGGER ticket_count_insert_delete AFTER INSERT OR DELETE ON ticket
        FOR EACH ROW EXECUTE FUNCTION ticket_count_keep()""",
    "DROP TRIGGER IF EXISTS ticket_count_update ON ticket",
    f"""CREATE TRIGGER ticket_count_update AFTER UPDATE OF {_COLS} ON ticket
        FOR EACH ROW WHEN ({_changed('OLD', 'NEW')}) EXECUTE FUNCTION ticket_count_keep()""",
]


def create(conn: Connection, *, rebuild: bool) -> None:
    """The table (if missing), its triggers, and with ``rebuild`` its rows
    counted afresh from the tickets (an upgraded store, a bulk load)."""
    schema.TicketCountRow.__table__.create(conn, checkfirst=True)
    for statement in (_PG if conn.dialect.name == "postgresql" else _SQLITE):
        conn.exec_driver_sql(statement)
    if rebuild:
        conn.exec_driver_sql("DELETE FROM ticket_count")
        conn.exec_driver_sql(
            f"INSERT INTO ticket_count ({_COLS}, n) SELECT campaign_id, coalesce(assignee_id, {NONE}), "
            f"origin_channel, status, priority, type, count(*) FROM ticket "
            f"GROUP BY campaign_id, coalesce(assignee_id, {NONE}), origin_channel, status, priority, type")
