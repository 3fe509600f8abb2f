"""Who committed to a SQLite store, so a server can tell another program's
write from its own (#16.2).

A server's SQLite watcher (server/events.py) sees only that the store
changed (PRAGMA data_version moved). Its own writes it announces itself;
those of the server processes sharing its live feed come through the feed;
any other program's write (a `sagicc` verb, a TUI opened on the file, a cron
`mail fetch`) must make every client reload. While the server itself was
writing, a move could be either, and another program's write landing then
went unannounced. So every write transaction that changed something also
sets its writer's row in `meta` -- key ``commits <group>|<pid>.<nonce>``,
value ``<epoch ms>.<n>`` -- in the same transaction: a row of another group
that moved is another program's commit, whoever else wrote meanwhile.

A writer's group is "-" unless it joined one (join): the server processes
of one store join the group of their live feed (every process of `serve
--workers N`), or one of their own. The first commit of each process deletes the rows
not written for a day. PostgreSQL needs none of this (its server processes
hear every write through LISTEN/NOTIFY).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time

from sqlalchemy import Connection

_PREFIX = "commits "
_END = "commits!"  # the first key past every "commits ..." key (" " is 0x20, "!" 0x21)
_DAY_MS = 86_400_000

_group = "-"
_key: tuple[int, str] | None = None  # (pid, key): a forked worker writes as itself
_commits = 0
_pruned_in: int | None = None  # the pid that pruned


def join(feed: str | None) -> None:
    """From now on this process writes as a server: one of the processes
    sharing the live feed ``feed`` (they hear each other's changes there), or
    with no feed a group of its own."""
    global _group, _key
    _group = (f"feed {hashlib.sha1(feed.encode()).hexdigest()[:12]}" if feed
              else f"serve {os.getpid()}.{secrets.token_hex(4)}")
    _key = None


def own_key() -> str:
    global _key
    pid = os.getpid()
    if _key is None or _key[0] != pid:
        _key = (pid, f"{_PREFIX}{_group}|{pid}.{secrets.token_hex(4)}")
    return _key[1]


def note(raw: sqlite3.Connection) -> None:
    """Inside a write transaction that changed something, just before its
    commit: this writer has committed once more."""
    global _commits, _pruned_in
    _commits += 1
    now = int(time.time() * 1000)
    if _pruned_in != os.getpid():
        raw.execute("DELETE FROM meta WHERE key >= ? AND key < ? AND CAST(value AS INTEGER) < ?",
                    (_PREFIX, _END, now - _DAY_MS))
        _pruned_in = os.getpid()
    raw.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (own_key(), f"{now}.{_commits}"))


def others(conn: Connection) -> dict[str, str]:
    """The writers of other groups than this process's, with what they last noted."""
    rows = conn.exec_driver_sql("SELECT key, value FROM meta WHERE key >= ? AND key < ?", (_PREFIX, _END)).all()
    mine = own_key()
    group = None if _group == "-" else f"{_PREFIX}{_group}|"
    return {k: v for k, v in rows if k != mine and not (group is not None and k.startswith(group))}
