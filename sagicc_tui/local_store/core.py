"""The store's core: engine, clock, transactions and the change log writer.

Sync code: the async LocalBackend runs it in a thread. Everything that changes
data writes its change-log entries through `log()` on the same connection, so
the entry commits or rolls back with the change it describes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from sagicc_tui.domain.enums import AgentStatus, ChangeKind, EntityKind
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.local_store import commits, idempotency, schema
from sagicc_tui.local_store.convert import campaign_from_row, user_from_row
from sagicc_tui.local_store.engine import open_store_engine, read_tx, write_tx
from sagicc_tui.local_store.migrations import ensure_schema
from sagicc_tui.local_store.write_queue import WriteQueue

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One change-log entry to write; user and time come from the transaction."""

    entity: EntityKind
    entity_id: int
    kind: ChangeKind
    field: str = ""
    previous: object = ""
    new: object = ""


def _text(value: object) -> str:
    """Log values as text: enums by their stored value, times in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):  # StrEnum members included
        return str(value.value) if hasattr(value, "value") else value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Store:
    def __init__(self, url: str, *, clock: Clock = utc_now, blob_dir: Path | None = None) -> None:
        self.url = url
        self.engine: Engine = open_store_engine(url, busy_timeout=busy_timeout_from_env())
        self.dialect = self.engine.dialect.name
        self.clock = clock
        self.blob_dir = blob_dir or _default_blob_dir(url)
        #: How async code runs a write off the event loop (write_queue.py).
        self.writes = WriteQueue(one_at_a_time=self.dialect == "sqlite")
        ensure_schema(self.engine)

    # --- transactions ------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Connection]:
        with read_tx(self.engine) as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        # A request with an Idempotency-Key takes its key in its first write
        # transaction, so the key commits (or rolls back) with the change.
        claim = idempotency.pending()
        try:
            with write_tx(self.engine) as conn:
                raw = conn.connection.dbapi_connection if self.dialect == "sqlite" else None
                before = raw.total_changes if raw is not None else 0
                if claim is not None:
                    idempotency.take(self, conn, claim)
                yield conn
                if raw is not None and raw.total_changes != before:
                    commits.note(raw)  # who wrote, for the servers' watchers (commits.py)
        except BaseException:
            if claim is not None:
                claim.taken = False  # rolled back with the change
            raise

    def now(self) -> int:
        return int(self.clock().timestamp())

    # --- change log ------------------------------------------------------------
    def log(self, conn: Connection, user: User | None, lines: list[LogLine], at: int | None = None) -> None:
        if not lines:
            return
        at = self.now() if at is None else at
        uid = user.id if user else None
        conn.execute(
            insert(schema.ChangeLogRow.__table__),
            [
                {
                    "entity": ln.entity.value, "entity_id": ln.entity_id, "kind": ln.kind.value,
                    "field": ln.field, "previous": _text(ln.previous), "new": _text(ln.new),
                    "user_id": uid, "at": at,
                }
                for ln in lines
            ],
        )

    def versioned_update(
        self, conn: Connection, user: User, table, row_id: int, expected_version: int,
        values: dict, lines: list[LogLine], stale: Callable[[object], Exception], *, bump: bool = True,
    ) -> None:
        """Update one ticket or customer row if its version is still the expected one.

        Optimistic concurrency (T15): the version moves on every write; a
        stale one raises `stale(current_row)` (a StaleWrite naming who changed
        it), the caller's transaction rolls back, and nothing is overwritten.
        The change-log lines are written only when the update went through.
        `bump=False` is for derived fields (read state, the card's last
        message): they must not make a colleague's edit of the ticket stale.
        """
        now = self.now()
        c = table.c
        res = conn.execute(
            update(table).where(c.id == row_id, c.version == expected_version)
            .values(**values, version=c.version + (1 if bump else 0), updated_at=now, updated_by=user.id)
        )
        if res.rowcount != 1:
            # None: deleted meanwhile (a customer merged into another); `stale` says so.
            current = conn.execute(select(c.version, c.updated_by, c.updated_at).where(c.id == row_id)).first()
            raise stale(current)
        self.log(conn, user, lines, at=now)

    def check_version(self, conn: Connection, table, row_id: int, expected_version: int | None,
                      stale: Callable[[object], Exception]) -> None:
        """Refuse a write whose version is stale even when it changes nothing.

        Versions are checked, not values (P10): a read-modify-write whose new
        values happen to equal what another writer stored must still learn it
        lost the race, or its caller counts an update that never happened.
        The row is locked (FOR UPDATE, PostgreSQL) so the check holds until
        the transaction ends; SQLite's write transaction already holds the lock.
        """
        if expected_version is None:
            return
        c = table.c
        cols = [c.version] + [x for x in (getattr(c, "updated_by", None), getattr(c, "updated_at", None))
                              if x is not None]
        current = conn.execute(select(*cols).where(c.id == row_id).with_for_update()).first()
        if current is not None and current.version != expected_version:
            raise stale(current)

    # --- reference data -----------------------------------------------------------
    def campaigns(self, conn: Connection) -> list[Campaign]:
        tb = schema.CampaignRow.__table__
        rows = conn.execute(select(tb.c.id, tb.c.name, tb.c.config).order_by(tb.c.id))
        return [campaign_from_row(r.id, r.name, r.config) for r in rows]

    def campaign(self, conn: Connection, campaign_id: int) -> Campaign | None:
        tb = schema.CampaignRow.__table__
        r = conn.execute(select(tb.c.id, tb.c.name, tb.c.config).where(tb.c.id == campaign_id)).first()
        return campaign_from_row(r.id, r.name, r.config) if r else None

    def users(self, conn: Connection, where=None) -> list[User]:
        tb = schema.UserRow.__table__
        mem = schema.CampaignMember.__table__
        members: dict[int, list[int]] = {}
        for uid, cid in conn.execute(select(mem.c.user_id, mem.c.campaign_id).order_by(mem.c.campaign_id)):
            members.setdefault(uid, []).append(cid)
        stmt = select(tb).order_by(tb.c.id)
        if where is not None:
            stmt = stmt.where(where)
        return self._present([user_from_row(r, tuple(members.get(r.id, ()))) for r in conn.execute(stmt)], conn)

    def user_by_id(self, conn: Connection, user_id: int) -> User | None:
        # Called by every operation (fresh_user): read this user's memberships only.
        tb = schema.UserRow.__table__
        mem = schema.CampaignMember.__table__
        r = conn.execute(select(tb).where(tb.c.id == user_id)).first()
        if r is None:
            return None
        camps = conn.execute(select(mem.c.campaign_id).where(mem.c.user_id == user_id)
                             .order_by(mem.c.campaign_id)).scalars()
        return self._present([user_from_row(r, tuple(camps))], conn)[0]

    def _present(self, users: list[User], conn: Connection) -> list[User]:
        """Busy only while a terminal is really inside a ticket: a Busy left by
        a terminal that stopped heart-beating reads Available (presence.py)."""
        from sagicc_tui.local_store.presence import stale_busy

        busy = [u.id for u in users if u.status is AgentStatus.BUSY]
        gone = stale_busy(conn, busy, self.now()) if busy else set()
        if not gone:
            return users
        return [replace(u, status=AgentStatus.AVAILABLE) if u.id in gone else u for u in users]

    def user_name(self, conn: Connection, user_id: int | None) -> str:
        if user_id is None:
            return ""
        tb = schema.UserRow.__table__
        return conn.execute(select(tb.c.full_name).where(tb.c.id == user_id)).scalar() or ""

    def fresh_user(self, conn: Connection, user: User) -> User:
        """The acting user as the store knows them now: a role or membership
        changed by an administrator takes effect on the next call."""
        current = self.user_by_id(conn, user.id)
        if current is None or not current.active:
            from sagicc_tui.domain.errors import PermissionDenied
            from sagicc_tui.domain.messages import N_

            raise PermissionDenied(
                N_("The user {username} no longer exists or is disabled; choose another user."),
                username=user.username,
            )
        return current


def busy_timeout_from_env() -> float:
    """SAGICC_BUSY_TIMEOUT (seconds): how long a write waits for another
    terminal's write before saying the store is locked; default 30."""
    raw = os.environ.get("SAGICC_BUSY_TIMEOUT", "").strip()
    if not raw:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:  # also NaN and inf
        from sagicc_tui.domain.errors import InvalidInput
        from sagicc_tui.domain.messages import N_

        raise InvalidInput(N_("SAGICC_BUSY_TIMEOUT must be a number of seconds from 0 to 3600, like 30; "
                              "it is {value}."), value=repr(raw))
    return value


def _default_blob_dir(url: str) -> Path:
    """Attachments live beside a file store (<name>.files/); elsewhere in the data dir."""
    if "://" not in url:
        return Path(url).with_suffix(".files")
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite:///"):]).with_suffix(".files")
    from sagicc_tui.paths import data_dir

    return data_dir() / "files"
