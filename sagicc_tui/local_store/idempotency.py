"""Idempotency-Key claims: the key is taken in the same transaction as the change.

A creating request that carries an Idempotency-Key sets a `Claim` for its
duration (`claiming`). The first write transaction it opens (`Store.write`)
inserts the key's row before anything else; the row commits or rolls back
with the change, so a committed change always has its key, and a key never
exists without its change. A duplicate running at the same time either finds
the row (SQLite: the writers take turns) or waits on it in the unique index
(PostgreSQL: until the first transaction ends) and gets `KeyTaken`: its own
transaction rolls back, nothing is done twice, and the server answers it with
the first request's answer (server/idempotency.py).

Row states (`status`): 0 while the first request finishes (the change is
committed, the answer not yet kept); the HTTP status once kept; LOST when the
request failed after its change committed (its answer can never be given).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sagicc_tui.local_store import schema

idem = schema.IdempotencyRow.__table__

KEEP_ANSWERS = 24 * 3600  # seconds an answer is replayed; a retry comes within minutes
RUNNING = 0
LOST = -1


@dataclass(slots=True)
class Claim:
    token_id: int
    key: str
    request_hash: str
    owner: str  # "host pid start" of the process running the request
    taken: bool = False  # the key's row committed with this request's change


@dataclass(frozen=True, slots=True)
class KeptKey:
    request_hash: str
    status: int
    body: str
    claimed_by: str


class KeyTaken(Exception):
    """Another request holds this Idempotency-Key; this one's transaction rolled back."""


_claim: ContextVar[Claim | None] = ContextVar("sagicc_idempotency_claim", default=None)


@contextlib.contextmanager
def claiming(claim: Claim) -> Iterator[Claim]:
    """Within the block, the first write transaction takes the key (contextvars
    follow the work into `asyncio.to_thread` and into tasks started here)."""
    token = _claim.set(claim)
    try:
        yield claim
    finally:
        _claim.reset(token)


def pending() -> Claim | None:
    """The claim the next write transaction must take, if any."""
    claim = _claim.get()
    return claim if claim is not None and not claim.taken else None


def take(store, conn: Connection, claim: Claim) -> None:
    """Insert the key's row first thing in the transaction (raises KeyTaken)."""
    now = store.now()
    # Pruned by token (the unique index's prefix), so it stays cheap.
    conn.execute(delete(idem).where(idem.c.token_id == claim.token_id, idem.c.created_at < now - KEEP_ANSWERS,
                                    idem.c.key != claim.key))
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(idem)
    inserted = conn.execute(ins.values(token_id=claim.token_id, key=claim.key, request_hash=claim.request_hash,
                                       status=RUNNING, body="", created_at=now, claimed_by=claim.owner)
                            .on_conflict_do_nothing(index_elements=["token_id", "key"])
                            .returning(idem.c.id)).first()  # rowcount is -1 with RETURNING on psycopg
    if inserted is None:
        raise KeyTaken()
    claim.taken = True


def read(store, token_id: int, key: str) -> KeptKey | None:
    with store.read() as conn:
        row = conn.execute(select(idem.c.request_hash, idem.c.status, idem.c.body, idem.c.claimed_by)
                           .where(idem.c.token_id == token_id, idem.c.key == key)).first()
    return KeptKey(row.request_hash, row.status, row.body, row.claimed_by) if row else None


def finish(store, token_id: int, key: str, status: int, body: str) -> None:
    """Keep the answer of the request whose change committed with the key."""
    with store.write() as conn:
        conn.execute(update(idem).where(idem.c.token_id == token_id, idem.c.key == key,
                                        idem.c.status.in_((RUNNING, LOST)))
                     .values(status=status, body=body))
