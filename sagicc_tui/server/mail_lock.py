"""One reader per mailbox among every server process (`serve --workers N`, or
several machines on one PostgreSQL store).

The lock dies with its holder, whatever way it dies (a crash, kill -9, the
OOM killer), so another process takes the mailbox over without anyone
cleaning up:
- PostgreSQL: a session advisory lock on a connection of its own, taken off
  the pool (a pooled connection would keep the lock after we let it go);
- SQLite: flock(2) on a file beside the store (one machine by nature).
Exactly-once does not depend on it (the store knows every message by its
identity); it keeps N processes from fetching the same messages N times.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from sqlalchemy import text

from sagicc_tui.local_store.core import Store


def _number(key: str) -> int:
    """A signed 64-bit number for pg_try_advisory_lock, the same in every process."""
    digest = hashlib.sha256(f"sagicc-mail:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class MailboxLock:
    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key
        self._conn = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.store.dialect == "postgresql":
            conn = self.store.engine.connect()
            try:
                conn.detach()  # closing it really closes it: the lock goes with it
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _number(self.key)}).scalar())
                conn.commit()  # the session lock stays; no transaction is left open
            except Exception:
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn = conn
            return True
        import fcntl

        path = self._path()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def alive(self) -> bool:
        """Whether we still hold it: a PostgreSQL connection that dropped took the lock with it."""
        if self._conn is None:
            return self._fd is not None
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except Exception:  # noqa: BLE001 - any failure: the session, and the lock, are gone
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _number(self.key)})
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)  # flock goes with the last descriptor
            self._fd = None

    def _path(self) -> Path:
        database = self.store.engine.url.database or ""
        name = hashlib.sha256(self.key.encode()).hexdigest()[:16]
        if database and database != ":memory:":
            db = Path(database)
            return db.with_name(f"{db.name}.mail-{name}.lock")
        return self.store.blob_dir / f"mail-{name}.lock"
