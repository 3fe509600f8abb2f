"""The next ticket number, safe when many processes open tickets at once.

Numbers are the highest so far plus one. On SQLite the write transaction
(BEGIN IMMEDIATE) already holds the store's only write lock, so nobody else
can take the same number. On PostgreSQL (READ COMMITTED) two transactions
would both read the same maximum and the second insert would fail on the
unique number (issue #10.3): a transaction-scoped advisory lock makes
"read the maximum, insert" one step. The lock ends with the transaction; the
next holder's `max()` is a new statement, so it sees the number just committed.

A sequence would not need the lock, but the demo's bulk load, imports and
merges write numbers of their own; the maximum stays the one truth.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select, text

from sagicc_tui.local_store import schema

#: The advisory lock's key (a bigint no other code uses: "sagicc#n" in ASCII).
_LOCK_KEY = 0x736167696363236E

FIRST = 100001


def next_number(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    t = schema.ticket.c
    return (conn.execute(select(func.max(t.number))).scalar() or FIRST - 1) + 1
