"""Live events across server processes on one SQLite store: SQLite's NOTIFY.

`sagicc serve --workers N` on a SQLite file runs N processes, and each knows
only its own writes: the others' moved the store's change token, which can
say that something changed but not what, so every client of every process
was told to reload everything ("refresh") for every write anywhere.

So each process appends the changes it publishes (the same payload as
PostgreSQL's NOTIFY: ticket ids, parts, the scope rows before the write) to
a small SQLite file beside the store, `<store>-live`, and reads the other
processes' lines every second. It is not part of the store: nothing to
migrate, back up or restore, and its writes never wait for the store's
write lock. Lines older than KEEP seconds are removed.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid

from sagicc_tui.private_files import FILE_MODE, create_private

KEEP = 60.0  # seconds a line stays (a process that slept longer refreshes instead)
PRUNE_EVERY = 100  # appends between removals of old lines


class SqliteFeed:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.origin = uuid.uuid4().hex  # this process: its own lines are not read back
        create_private(self.path)  # 0600 before SQLite creates it with the umask's mode
        self._lock = threading.Lock()  # one connection, used from the event loop's worker threads
        self._conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        for side in ("-wal", "-shm"):  # SQLite made them with the umask's mode
            if os.path.exists(self.path + side):
                os.chmod(self.path + side, FILE_MODE)
        self._conn.execute("CREATE TABLE IF NOT EXISTS line (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "at REAL NOT NULL, origin TEXT NOT NULL, payload TEXT NOT NULL)")
        self._last = self._conn.execute("SELECT coalesce(max(id), 0) FROM line").fetchone()[0]
        self._appended = 0

    def append(self, payload: str) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO line (at, origin, payload) VALUES (?, ?, ?)",
                               (time.time(), self.origin, payload))
            self._appended += 1
            if self._appended % PRUNE_EVERY == 0:
                self._conn.execute("DELETE FROM line WHERE at < ?", (time.time() - KEEP,))

    def read_new(self) -> list[str]:
        """The other processes' payloads since the last read, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT id, origin, payload FROM line WHERE id > ? ORDER BY id",
                                      (self._last,)).fetchall()
        if rows:
            self._last = rows[-1][0]
        return [payload for _id, origin, payload in rows if origin != self.origin]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
