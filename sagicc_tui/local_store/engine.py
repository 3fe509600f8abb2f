"""Engine construction and transaction discipline for the store.

The same code serves the local store (one SQLite file shared by several
terminals/processes) and the server store (PostgreSQL).  No UI imports here.

SQLite discipline
-----------------
* WAL journal: readers get a snapshot and never wait for the writer.
* pysqlite's own transaction handling is switched off
  (``dbapi_connection.isolation_level = None``) and we emit BEGIN ourselves in
  the engine "begin" event -- SQLAlchemy's documented recipe.
* Write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken
  up front, so a concurrent writer waits in the busy handler (30 s) instead
  of failing.  A deferred BEGIN followed by read-then-write cannot upgrade to
  a write lock once another connection has committed after our snapshot;
  SQLite then returns SQLITE_BUSY ("database is locked") *immediately*,
  busy timeout notwithstanding.  ``BEGIN IMMEDIATE`` is what prevents that.
* Read transactions use a plain (deferred) ``BEGIN`` so readers in other
  terminals are never serialized behind writers.

Use :func:`write_tx` for anything that writes and :func:`read_tx` for reads.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.private_files import create_private, private_dir

__all__ = [
    "BEGIN_OPTION",
    "ChangeWatcher",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreReadOnly",
    "StoreUnavailable",
    "data_version",
    "make_engine",
    "open_store_engine",
    "pg_commit_marker",
    "read_tx",
    "schema_tx",
    "write_tx",
]

#: Connection execution option read by the SQLite "begin" listener.  Values:
#: ``"WRITE"`` (the engine's write BEGIN, normally IMMEDIATE), ``"READ"`` or
#: ``"DEFERRED"`` (plain BEGIN), ``"IMMEDIATE"``, ``"EXCLUSIVE"``.
#: Absent means plain deferred BEGIN.
BEGIN_OPTION = "sagicc_begin"

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds

_WRITE_BEGIN_MODES = ("IMMEDIATE", "EXCLUSIVE", "DEFERRED")
_BEGIN_SQL = {
    "READ": "BEGIN",
    "DEFERRED": "BEGIN",
    "IMMEDIATE": "BEGIN IMMEDIATE",
    "EXCLUSIVE": "BEGIN EXCLUSIVE",
}

# SQLite primary result codes (extended codes carry them in the low byte).
_SQLITE_BUSY = 5
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

#: What a SQLite file starts with (https://www.sqlite.org/fileformat.html).
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: The URL schemes sagicc stores live in.
_BACKENDS = ("sqlite", "postgresql")


class StoreLocked(StoreError):
    """The store file stayed locked by another program past the busy timeout."""


class StoreUnavailable(StoreError):
    """The store file cannot be opened (bad path, permissions, not a sagicc store, ...)."""


class StoreFull(StoreError):
    """The disk (or quota) holding the store is full: nothing of that write was kept."""


class StoreReadOnly(StoreError):
    """The store file or its folder cannot be written (permissions, a read-only mount)."""


# --------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------


def _to_url(url: str | URL | os.PathLike[str]) -> URL:
    """SQLAlchemy URL for ``url``; anything without ``://`` is a SQLite path."""
    if isinstance(url, URL):
        return url
    if isinstance(url, os.PathLike) or "://" not in str(url):
        path = Path(os.fspath(url)).expanduser().absolute()
        return URL.create("sqlite", database=str(path))
    try:
        u = make_url(str(url))
    except sqlalchemy.exc.ArgumentError:
        u = None
    if u is None or u.get_backend_name() not in _BACKENDS:
        # Said before any driver is imported: "mysql://" must not end in a
        # ModuleNotFoundError, nor open anything.
        raise StoreUnavailable(
            N_("{url} is not a store sagicc can open: give a file path (SQLite) or a postgresql:// URL."),
            url=_without_password(str(url)),
        )
    return u


def _without_password(url: str) -> str:
    """The URL as it may be printed: the password (user:PASSWORD@host) masked."""
    scheme, sep, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    if at and ":" in auth:
        auth = auth.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{auth}{at}{host}"


def libpq_conninfo(url: str | URL) -> str:
    """The PostgreSQL URL as libpq connection keywords, for connections made
    without SQLAlchemy (LISTEN/NOTIFY). Not `render_as_string`: it spells
    a space in `options` (two -c settings) as "+", which libpq reads back as part
    of the value, so such a store's event connections were all refused."""
    from psycopg.conninfo import make_conninfo

    u = _to_url(url)
    keywords: dict[str, Any] = u.translate_connect_args(username="user", database="dbname")
    keywords.update({k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()})
    return make_conninfo(**keywords)


def _sqlite_file(u: URL) -> str | None:
    """Filesystem path of a file-backed SQLite URL, else None."""
    db = u.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return db


def make_engine(
    url: str | URL | os.PathLike[str],
    *,
    write_begin: str = "IMMEDIATE",
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
) -> Engine:
    """Create the store engine.

    ``url`` is an SQLAlchemy URL (``sqlite:///path``,
    ``postgresql+psycopg://...``) or a plain filesystem path (SQLite).

    ``write_begin`` exists ONLY for the negative-control test in
    ``tests/test_store_concurrency.py``: passing ``"DEFERRED"`` makes
    :func:`write_tx` emit a deferred BEGIN, reproducing the lock-upgrade
    failure the IMMEDIATE discipline prevents.  Production code must keep
    the default.

    ``busy_timeout`` (seconds) is how long a SQLite writer waits for another
    writer before :class:`StoreLocked` is raised.
    """
    write_begin = write_begin.upper()
    if write_begin not in _WRITE_BEGIN_MODES:
        raise ValueError(
            f"write_begin must be one of {_WRITE_BEGIN_MODES}, got {write_begin!r}"
        )

    u = _to_url(url)
    if u.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(u)

    path = _sqlite_file(u)
    if path is not None:
        try:
            # 0700/0600 whatever the umask: customer rows and token hashes.
            # SQLite gives the -wal and -shm files the mode of the store file.
            private_dir(Path(path).parent)
            create_private(path)
        except OSError as exc:
            raise _unavailable(path, exc) from exc

    busy_ms = int(busy_timeout * 1000)
    engine = sqlalchemy.create_engine(
        u,
        # QueuePool (the 2.x default for file databases): a few connections
        # per process, shareable with worker threads.
        connect_args={"timeout": busy_timeout, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # pysqlite must never emit its own BEGIN; the "begin" listener does.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            # Switching to WAL is persistent per file; only switch when
            # needed (the switch needs a brief exclusive lock).
            mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        kind = str(conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED"))
        kind = kind.upper()
        if kind == "WRITE":
            kind = write_begin
        conn.exec_driver_sql(_BEGIN_SQL.get(kind, "BEGIN"))

    return engine


def open_store_engine(url: str | URL | os.PathLike[str], **kw: Any) -> Engine:
    """The engine of a sagicc store: `make_engine`, after refusing a file that
    is not one (see `refuse_foreign_file`). Store and the demo builder open
    stores through here; `make_engine` itself opens any SQLite file."""
    u = _to_url(url)
    if u.get_backend_name() == "sqlite":
        path = _sqlite_file(u)
        if path is not None:
            refuse_foreign_file(path)
    return make_engine(u, **kw)


def refuse_foreign_file(path: str) -> None:
    """Refuse, before the engine touches it, a file that is not a sagicc store.

    An empty or missing file is a new store. Anything else must be a SQLite
    database holding sagicc's tables (its `meta` table, or none at all):
    opening another program's database would switch it to WAL and add our
    tables to it. The check reads through a read-only connection, so the
    file stays byte-identical when it is refused.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except IsADirectoryError as exc:
        raise _unavailable(path, exc) from exc
    except OSError as exc:
        raise _unavailable(path, exc) from exc
    if not head:
        return
    if head != _SQLITE_MAGIC:
        raise _foreign(path, "it is not a SQLite database")
    try:
        ro = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, timeout=DEFAULT_BUSY_TIMEOUT)
        try:
            names = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            ro.close()
    except sqlite3.DatabaseError as exc:
        err = _translate(exc, path)
        if err is not None:
            raise err from exc
        raise _foreign(path, str(exc).lower()) from exc
    tables = {n for n in names if not n.startswith("sqlite_")}
    if tables and "meta" not in tables:
        raise _foreign(path, "it holds another program's tables")


def _foreign(path: str, reason: str) -> StoreUnavailable:
    return StoreUnavailable(
        N_("{path} is not a sagicc store ({reason}); it was left untouched. Give another --db path."),
        path=path, reason=reason,
    )


# --------------------------------------------------------------------------
# Error translation
# --------------------------------------------------------------------------


def _unavailable(path: str, reason: object) -> StoreUnavailable:
    if isinstance(reason, OSError) and reason.strerror:
        reason = reason.strerror.lower()
    elif os.path.isdir(path):
        reason = "the path is a directory, not a file"
    return StoreUnavailable(
        N_("Cannot open the store file {path}: {reason}. Check the path and its permissions."),
        path=path, reason=reason,
    )


def store_os_error(exc: OSError, path: str) -> StoreError:
    """The sentence for a file of the store (an attachment) that could not be written."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _translate(sqlite3.OperationalError("database or disk is full"), path)  # type: ignore[return-value]
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _translate(sqlite3.OperationalError("attempt to write a readonly database"), path)  # type: ignore[return-value]
    return _unavailable(path, exc)


def _read_only_folder(path: str) -> bool:
    folder = os.path.dirname(path) or "."
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return False


def _sqlite_error_kind(exc: BaseException) -> str | None:
    """"locked", "full", "readonly", "io", "unavailable", "corrupt" or None
    for an (wrapped) sqlite3 error."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, sqlite3.DatabaseError):
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    msg = str(orig).lower()
    if primary == _SQLITE_BUSY or "database is locked" in msg:
        return "locked"
    if primary == _SQLITE_FULL or "database or disk is full" in msg:
        return "full"
    if primary == _SQLITE_READONLY or "readonly database" in msg:
        return "readonly"
    if primary == _SQLITE_CANTOPEN or "unable to open database file" in msg:
        return "unavailable"
    if primary == _SQLITE_IOERR or "disk i/o error" in msg:
        return "io"
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "disk image is malformed" in msg \
            or "file is not a database" in msg:
        return "corrupt"
    return None


def _translate(exc: BaseException, path: str) -> StoreError | None:
    kind = _sqlite_error_kind(exc)
    if kind == "locked":
        return StoreLocked(
            N_("The store file {path} is locked by another program; try again in a moment."),
            path=path,
        )
    if kind == "full":
        return StoreFull(
            N_("The disk holding the store {path} is full, so this was not saved; free some space "
               "and try again."),
            path=path,
        )
    if kind == "readonly" or kind == "unavailable" and _read_only_folder(path):
        # (A WAL store on a read-only mount cannot even be opened: its -shm
        # cannot be made. Say read-only, not "check the path".)
        return StoreReadOnly(
            N_("The store {path} cannot be written (read-only file, folder or disk), so this was not "
               "saved; ask for write access and try again."),
            path=path,
        )
    if kind == "io":
        return StoreUnavailable(
            N_("The disk holding the store {path} reported an error, so this was not saved; check the "
               "disk and try again."),
            path=path,
        )
    if kind == "corrupt":
        return StoreUnavailable(
            N_("{path} is damaged or is not a sagicc store; restore it from a backup or give another --db path."),
            path=path,
        )
    if kind == "unavailable":
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        return _unavailable(path, orig)
    return None


@contextmanager
def _translated(engine: Engine) -> Iterator[None]:
    try:
        yield
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        if engine.dialect.name != "sqlite":
            raise
        err = _translate(exc, engine.url.database or "(memory)")
        if err is None:
            raise
        raise err from exc


# --------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite.

    Commits when the block succeeds; rolls back and re-raises on any
    exception.  SQLite lock / open failures surface as :class:`StoreLocked`
    / :class:`StoreUnavailable`.
    """
    with _translated(engine):
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "WRITE"})
            with conn.begin():
                yield conn


@contextmanager
def schema_tx(engine: Engine) -> Iterator[Connection]:
    """The write transaction of a schema change (migrations.ensure_schema).

    On SQLite the foreign keys are off for it, as SQLite's own procedure for
    rebuilding a table asks (https://www.sqlite.org/lang_altertable.html):
    with them on, dropping the old copy of a table deletes every row that
    refers to it ON DELETE CASCADE (or fails on the others). The pragma
    cannot change inside a transaction, so it is set before BEGIN IMMEDIATE
    and set back after; the caller runs `PRAGMA foreign_key_check` before
    the commit (see migrations). legacy_alter_table too: renaming the copy
    back to the table's name must not fail on a view that names the table
    (ticket_words_doc names interaction) while the old copy is gone.
    PostgreSQL: write_tx.
    """
    if engine.dialect.name != "sqlite":
        with write_tx(engine) as conn:
            yield conn
        return
    with _translated(engine):
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection  # no autobegin: the pragma runs outside any transaction
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("PRAGMA legacy_alter_table=ON")
            try:
                conn.execution_options(**{BEGIN_OPTION: "WRITE"})
                with conn.begin():
                    yield conn
            finally:
                raw.execute("PRAGMA legacy_alter_table=OFF")
                raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read transaction: plain deferred ``BEGIN`` on SQLite (WAL snapshot).

    Never blocks behind a writer.  Ends with a rollback; writing inside a
    read transaction is a programming error (on SQLite it is detected and
    raises RuntimeError, since a deferred read-then-write is exactly the
    lock-upgrade hazard write_tx avoids).
    """
    with _translated(engine):
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "READ"})
            with conn.begin() as trans:
                raw = _sqlite_dbapi(conn)
                before = raw.total_changes if raw is not None else 0
                yield conn
                if raw is not None and raw.total_changes != before:
                    trans.rollback()
                    raise RuntimeError(
                        "read_tx was used to write; use write_tx (changes discarded)"
                    )
                trans.rollback()


def _sqlite_dbapi(conn: Connection) -> sqlite3.Connection | None:
    if conn.dialect.name != "sqlite":
        return None
    raw = conn.connection.dbapi_connection
    return raw if isinstance(raw, sqlite3.Connection) else None


# --------------------------------------------------------------------------
# Change detection
# --------------------------------------------------------------------------


def data_version(conn: Connection | sqlite3.Connection) -> int:
    """SQLite ``PRAGMA data_version`` for ``conn``.

    The value changes only when a *different* connection commits, so poll it
    on one dedicated connection (see :class:`ChangeWatcher`).
    """
    if isinstance(conn, sqlite3.Connection):
        return int(conn.execute("PRAGMA data_version").fetchone()[0])
    if conn.dialect.name != "sqlite":
        raise NotImplementedError("data_version is SQLite's; PostgreSQL has pg_commit_marker")
    return int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())


#: PostgreSQL's "has anything committed?" marker: the current snapshot
#: (xmin:xmax:in-progress xids). Any commit of a transaction that wrote
#: changes it -- the writer leaves the in-progress list, or (started and
#: committed between two polls) moves xmax -- and it changes exactly when the
#: commit becomes visible, so a refresh started because the marker moved sees
#: the change. A read-only transaction never changes it. Other databases of
#: the server, and writers merely starting, move it too: a spurious refresh
#: only. (The WAL position would also move for checkpoints and hint bits, and
#: can move a moment before the commit is visible.)
_PG_MARKER = "SELECT txid_current_snapshot()::text"


def pg_commit_marker(dbapi_connection: Any) -> str:
    """The marker on a raw (DB-API) PostgreSQL connection in autocommit mode."""
    cur = dbapi_connection.cursor()
    try:
        cur.execute(_PG_MARKER)
        return str(cur.fetchone()[0])
    finally:
        cur.close()


class ChangeWatcher:
    """Cheap "did another connection commit?" check.

    Holds one dedicated raw connection (detached from the pool) that never
    writes. SQLite: every commit by any other connection -- other terminals,
    or this process's pooled connections -- bumps its ``PRAGMA
    data_version``. PostgreSQL: the connection is in autocommit mode and
    compares :func:`pg_commit_marker` (any commit to the server moves it,
    ours included). Safe to call from any thread.
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"ChangeWatcher does not know {engine.dialect.name}")
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        with _translated(engine):
            self._raw = self._connect()
            self._last = self._current()

    def _connect(self) -> Any:
        raw = self._engine.raw_connection()
        raw.detach()  # ours alone; closing really closes it
        if not self._sqlite:
            raw.dbapi_connection.autocommit = True  # each poll sees the latest commits
        return raw

    def _dbapi(self) -> Any:
        return self._raw.dbapi_connection

    def _current(self) -> int | str:
        if self._sqlite:
            return data_version(self._dbapi())
        return pg_commit_marker(self._dbapi())

    def changed(self) -> bool:
        """True if another connection committed since the previous call."""
        with self._lock, _translated(self._engine):
            try:
                current = self._current()
            except Exception:
                if self._sqlite:
                    raise
                # PostgreSQL: the server restarted or dropped us. Connect
                # again (raising if it is still away); the changes missed
                # meanwhile are unknown, so report a change.
                with contextlib.suppress(Exception):
                    self._raw.close()
                self._raw = self._connect()
                self._last = self._current()
                return True
            if current != self._last:
                self._last = current
                return True
            return False

    def close(self) -> None:
        with self._lock:
            self._raw.close()

    def __enter__(self) -> ChangeWatcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
