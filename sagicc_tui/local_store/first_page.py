"""The first screen's reads without the ORM: who signs in, their campaigns, the list's first pages.

Why: importing SQLAlchemy and SQLModel (and building the schema's classes)
costs about 0.4 s, more than the rest of the start-up; the first ticket card
must not wait for it (issue #16.6). This reader uses the standard library's
sqlite3 on a SQLite file store and answers only what it can answer exactly as
LocalBackend does; for anything else it returns None and the caller waits for
the full backend (opening.py). tests/test_first_page.py compares its answers
with LocalBackend's on seeded stores, for every role and scope.

What it answers:
- an active user by name (a Busy left by a terminal that stopped
  heart-beating inside a ticket reads Available, as presence.stale_busy says);
- an active user's campaigns (agents: their active ones);
- a list page of the list's opening query: campaigns, order by creation
  (either way), keyset or offset; no filters, no search. The user's L2 scope
  comes from domain.rules.scope_for, as for every page.

It never writes: the connection is opened without creating a file and with
``query_only``; a store of another version (an upgrade pending) is left to
the full backend, which migrates or refuses it with a sentence.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sagicc_tui.domain.enums import AgentStatus, Role, TicketOrder
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.query import TicketCursor, TicketPage, TicketQuery
from sagicc_tui.domain.rules import Scope, scope_for
from sagicc_tui.domain.ticket_screen import PRESENCE_TTL
from sagicc_tui.local_store.cards import card_from_row
from sagicc_tui.local_store.convert import campaign_from_row, user_from_row

#: The store version whose tables these statements read (schema.SCHEMA_VERSION;
#: tests/test_first_page.py fails when a migration moves it, so this file is looked at again).
SCHEMA_VERSION = 18  # 18 a PostgreSQL index only (#16), 17 indexes only (#16), 16 the ticket_count table (#16), 12 customer.sort_name (#15.8), 13 app_user.version (#18), 14 ticket.sla_due_at (#12.5), 15 a PostgreSQL trigger (#16): users are read with SELECT *, nothing these reads use moved

#: The orders a first page is read in: the list opens in the default order
#: (TicketQuery.order); the others' keys are the ORM's (schema.ORDER_KEYS).
_ORDERS = {TicketOrder.CREATED_DESC: True, TicketOrder.CREATED_ASC: False}

# ticket_query.card_columns(), in its order and with its labels, then the sort key.
_CARD_COLUMNS = (
    "ticket.id, ticket.number, ticket.campaign_id, ticket.status, ticket.priority, ticket.type, "
    "ticket.last_outcome, ticket.unread_count, ticket.unread_at, ticket.last_summary, ticket.last_direction, "
    "ticket.customer_id, customer.id_number AS customer_id_number, customer.first_name AS c_first, "
    "customer.middle_name AS c_middle, customer.last_name AS c_last, customer.second_last_name AS c_second, "
    "ticket.assignee_id, app_user.full_name AS assignee_name, ticket.description, ticket.created_at, "
    "ticket.last_channel, ticket.next_task_at, ticket.first_response_at, ticket.closed_at, ticket.version, "
    "ticket.assigned_at, ticket.created_at AS sort_key"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _row_factory(cursor: sqlite3.Cursor, row: tuple):
    """Rows with attributes, as the ORM's: card_from_row and user_from_row read `r.name`."""
    fields = tuple(d[0] for d in cursor.description)
    cls = _ROW_TYPES.get(fields)
    if cls is None:
        cls = _ROW_TYPES[fields] = namedtuple("Row", fields)  # noqa: PYI024 - one per column list
    return cls(*row)


_ROW_TYPES: dict[tuple[str, ...], type] = {}


def _marks(values: list) -> str:
    return ", ".join("?" * len(values))


def scope_sql(scope: Scope) -> tuple[str, list]:
    """ticket_query.scope_predicate as SQLite text and its parameters."""
    if scope.all_campaigns:
        return "1 = 1", []
    parts: list[str] = []
    args: list = []
    if scope.unrestricted_campaigns:
        ids = sorted(scope.unrestricted_campaigns)
        parts.append(f"ticket.campaign_id IN ({_marks(ids)})")
        args += ids
    for campaign_id, channels in sorted(scope.restricted_campaigns.items()):
        if not channels:
            continue  # no channel configured: nothing of that campaign (an empty IN)
        chs = sorted(channels)
        parts.append(f"(ticket.campaign_id = ? AND (ticket.assignee_id = ? OR ticket.assignee_id IS NULL) "
                     f"AND ticket.origin_channel IN ({_marks(chs)}))")
        args += [campaign_id, scope.user_id, *chs]
    return ("(" + " OR ".join(parts) + ")", args) if parts else ("0 = 1", [])


def is_first_page_query(query: TicketQuery) -> bool:
    """The list's opening query: campaigns and an order by creation, nothing else."""
    return query.order in _ORDERS and query == TicketQuery(campaign_ids=query.campaign_ids, order=query.order)


class FirstPageReader:
    """Reads of the first screen over one read-only sqlite3 connection (see the module docstring)."""

    def __init__(self, path: str | Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = str(path)
        self.clock = clock
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection; callers come from worker threads

    @classmethod
    def open(cls, path: str | Path, **kw) -> FirstPageReader | None:
        """A reader for this store, or None when it cannot vouch for it: not a file of
        this version (missing, foreign, older, newer, a bulk load unfinished, locked)."""
        reader = cls(path, **kw)
        try:
            conn = sqlite3.connect(f"file:{quote(reader.path)}?mode=rw", uri=True, check_same_thread=False,
                                   timeout=1.0, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            conn.execute("PRAGMA query_only=ON")
            meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('schema_version', 'bulk_load')"))
        except sqlite3.Error:
            conn.close()
            return None
        if meta.get("schema_version") != str(SCHEMA_VERSION) or "bulk_load" in meta:
            conn.close()
            return None
        conn.row_factory = _row_factory
        reader._conn = conn
        return reader

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _read(self, fn):
        """`fn(conn)` in one deferred read transaction (one WAL snapshot); None once
        closed, or when SQLite fails (locked, damaged): the full backend then says why."""
        with self._lock:
            conn = self._conn
            if conn is None:
                return None
            try:
                conn.execute("BEGIN")
                try:
                    return fn(conn)
                finally:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                return None

    def has_users(self) -> bool:
        """Initialised (`sagicc init` or a demo): what the TUI checks before it starts."""
        return bool(self._read(lambda c: c.execute("SELECT 1 AS found FROM app_user LIMIT 1").fetchone()))

    # --- the session -------------------------------------------------------------------

    @staticmethod
    def _user(conn: sqlite3.Connection, where: str, value) -> User | None:
        row = conn.execute(f"SELECT * FROM app_user WHERE {where} = ?", (value,)).fetchone()
        if row is None:
            return None
        camps = tuple(r.campaign_id for r in conn.execute(
            "SELECT campaign_id FROM campaign_member WHERE user_id = ? ORDER BY campaign_id", (row.id,)))
        return user_from_row(row, camps)

    @staticmethod
    def _campaigns(conn: sqlite3.Connection) -> list[Campaign]:
        return [campaign_from_row(r.id, r.name, r.config)
                for r in conn.execute("SELECT id, name, config FROM campaign ORDER BY id")]

    def get_user(self, username: str) -> User | None:
        """The user, or None: unknown (the full backend says so in its words) or
        disabled (no list follows: the picker does)."""
        def fn(conn: sqlite3.Connection) -> User | None:
            user = self._user(conn, "username", username)
            if user is None or not user.active:
                return None
            if user.status is AgentStatus.BUSY and self._busy_left_behind(conn, user.id):
                return replace(user, status=AgentStatus.AVAILABLE)
            return user

        return self._read(fn)

    def _busy_left_behind(self, conn: sqlite3.Connection, user_id: int) -> bool:
        """presence.stale_busy for one user: presences, all older than PRESENCE_TTL
        (a terminal that stopped heart-beating inside a ticket). No presence at all is a
        Busy chosen by hand, which stays."""
        last = conn.execute("SELECT max(heartbeat_at) AS last FROM ticket_presence WHERE user_id = ?",
                            (user_id,)).fetchone().last
        return last is not None and last < int(self.clock().timestamp()) - PRESENCE_TTL

    def list_campaigns(self, user: User) -> list[Campaign] | None:
        def fn(conn: sqlite3.Connection) -> list[Campaign] | None:
            me = self._user(conn, "id", user.id)  # as the store knows them now (Store.fresh_user)
            if me is None or not me.active:
                return None  # the full backend refuses with its sentence
            campaigns = self._campaigns(conn)
            if me.role is Role.AGENT:
                return [x for x in campaigns if x.id in me.campaign_ids and x.active]
            return campaigns

        return self._read(fn)

    # --- the list --------------------------------------------------------------------------

    def list_tickets(self, user: User, query: TicketQuery, *, limit: int, after: TicketCursor | None,
                     offset: int) -> TicketPage | None:
        """tickets.list_page for the opening query; None for any other query."""
        if not is_first_page_query(query):
            return None
        limit = max(1, min(limit, 500))
        desc = _ORDERS[query.order]

        def fn(conn: sqlite3.Connection) -> TicketPage:
            campaigns = self._campaigns(conn)
            where, args = scope_sql(scope_for(user, campaigns))
            if query.campaign_ids:
                where += f" AND ticket.campaign_id IN ({_marks(list(query.campaign_ids))})"
                args += list(query.campaign_ids)
            if after is not None:
                where += f" AND (ticket.created_at, ticket.id) {'<' if desc else '>'} (?, ?)"
                args += [after.key, after.id]
            direction = "DESC" if desc else "ASC"
            ordering = f"ticket.created_at {direction}, ticket.id {direction}"
            inner = f"SELECT ticket.id FROM ticket WHERE {where} ORDER BY {ordering} LIMIT ?"
            args.append(limit)
            if offset and after is None:
                inner += " OFFSET ?"
                args.append(offset)
            rows = conn.execute(
                f"SELECT {_CARD_COLUMNS} FROM ticket JOIN customer ON customer.id = ticket.customer_id "
                f"LEFT OUTER JOIN app_user ON app_user.id = ticket.assignee_id "
                f"WHERE ticket.id IN ({inner}) ORDER BY {ordering}", args).fetchall()
            now = self.clock()
            by_id = {c.id: c for c in campaigns}
            cards = tuple(card_from_row(r, by_id, now) for r in rows)
            cursor = TicketCursor(int(rows[-1].sort_key), rows[-1].id) if len(rows) == limit else None
            return TicketPage(cards, cursor)

        return self._read(fn)
