"""A fresh PostgreSQL schema per test, on the machine's server (127.0.0.1:5432,
trust auth, database `test`). Tests that need it skip nowhere: when the server
is absent `require_pg()` fails loudly (CI must run these; see conftest)."""

from __future__ import annotations

import atexit
import os
import uuid
from urllib.parse import quote

PG_BASE = os.environ.get("SAGICC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    import psycopg

    try:
        with psycopg.connect(_dsn(), connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        return f"{type(exc).__name__}: {exc}"
    return None


def _dsn() -> str:
    return PG_BASE.replace("postgresql+psycopg://", "postgresql://")


def _url(name: str) -> str:
    # synchronous_commit=off: a commit returns before its WAL reaches the disk. Every
    # other client sees it at once, as before; only a crash of the PostgreSQL server
    # itself could lose it, which no test does. Tests stop waiting on the shared disk's
    # fsyncs, one per transaction. (search_path last: `sagicc backup` reads it to the end.)
    return f"{PG_BASE}?options={quote(f'-csynchronous_commit=off -csearch_path={name}')}"


def new_schema() -> tuple[str, str]:
    """Create an empty schema; returns (its name, an SQLAlchemy URL using it)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f'create schema "{name}"')
    return name, _url(name)


_RECORDED: list[tuple[str, object, bool]] = []


def _migration_statements() -> list[tuple[str, object, bool]]:
    """What this process's migrations send to PostgreSQL to create a store: every
    statement `ensure_schema` runs on an empty schema, with its parameters, recorded
    once as the driver received it (SQLAlchemy's DDL compiled, its checks included)."""
    if not _RECORDED:
        from sqlalchemy import event

        from sagicc_tui.local_store.engine import open_store_engine
        from sagicc_tui.local_store.migrations import ensure_schema

        name, url = new_schema()
        atexit.register(drop_schema, name)
        engine = open_store_engine(url)

        @event.listens_for(engine, "before_cursor_execute")
        def _record(conn, cursor, statement, parameters, context, executemany):
            _RECORDED.append((statement, parameters, executemany))

        try:
            ensure_schema(engine)
        finally:
            engine.dispose()
        # Replayed under another search_path, so no statement may name this schema.
        assert not any(name in stmt for stmt, _, _ in _RECORDED)
    return _RECORDED


def migrated_schema() -> tuple[str, str]:
    """A new schema holding the current store schema as a fresh store's migrations
    create it (the same statements, replayed in one transaction and one pipeline
    instead of compiled again and sent one round trip at a time), with no rows yet;
    returns (its name, its SQLAlchemy URL). For tests that open the store right
    away; tests of the migrations themselves or of a first open use `new_schema`.
    Give it back with `release_schema`: the next test in this process then gets it
    emptied, under a new name, instead of one built again."""
    import psycopg

    statements = _migration_statements()
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        while _SPARE:
            try:
                conn.execute(f'alter schema "{_SPARE.pop()}" rename to "{name}"')
                return name, _url(name)
            except psycopg.Error:
                continue  # gone (a test dropped it): take the next or build one
        conn.execute(f'create schema "{name}"')
    with psycopg.connect(_dsn(), options=f"-csynchronous_commit=off -csearch_path={name}") as conn:
        with conn.pipeline(), conn.cursor() as cur:
            for statement, parameters, many in statements:
                if many:
                    cur.executemany(statement, parameters)
                else:
                    cur.execute(statement, parameters)
    global _SHAPE
    if _SHAPE is None:
        with psycopg.connect(_dsn()) as conn:
            _SHAPE = _shape(conn, name)
    return name, _url(name)


# Schemas of this process's ended tests, emptied, waiting for the next test. Building
# one costs PostgreSQL about a second (30 tables, 46 indexes, 9 triggers, each a catalog
# write and new files) and dropping it a third of one, for each of the ~400 PostgreSQL
# tests; emptying one with DELETE costs about 40 ms. (TRUNCATE is no cheaper here: it
# gives every table and index new files too.)
_SPARE: list[str] = []
_SHAPE: str | None = None  # the catalog of a freshly built schema, as `_shape` reads it

_SHAPE_SQL = """
select item from (
  select c.relname || ':' || c.relkind::text as item from pg_class c where c.relnamespace = %(ns)s::regnamespace
  union all
  select c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
           || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    from pg_attribute a join pg_class c on c.oid = a.attrelid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
   where c.relnamespace = %(ns)s::regnamespace and a.attnum > 0 and not a.attisdropped
  union all
  select t.tgname || ':' || c.relname || ':' || t.tgenabled::text from pg_trigger t
    join pg_class c on c.oid = t.tgrelid where c.relnamespace = %(ns)s::regnamespace and not t.tgisinternal
  union all
  select p.proname || ':' || md5(p.prosrc) from pg_proc p where p.pronamespace = %(ns)s::regnamespace
  union all
  select conname || ':' || pg_get_constraintdef(oid) from pg_constraint where connamespace = %(ns)s::regnamespace
) items"""


def _shape(conn, name: str) -> str:
    """The schema's tables, columns, defaults, indexes, triggers, functions and
    constraints, as one digest that does not depend on the schema's name."""
    import hashlib

    items = sorted(item.replace(name, "S") for (item,) in conn.execute(_SHAPE_SQL, {"ns": f'"{name}"'}))
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


def release_schema(name: str) -> None:
    """The test that had `name` has ended: empty it for the next test in this process,
    or drop it when it cannot be emptied to exactly a fresh schema (a test changed its
    tables, or a connection of that test still holds a lock).

    Its rows are deleted and its sequences restarted, then the migrations' own rows are
    written again, so the next test sees what a new schema holds. The schema is renamed
    at once: a connection the ended test left open (its search_path names the old name)
    then finds no tables rather than the next test's rows."""
    import psycopg

    statements = _migration_statements()
    spare = "spare_" + uuid.uuid4().hex[:16]
    try:
        with psycopg.connect(_dsn(), options="-csynchronous_commit=off") as conn:
            with conn.transaction():
                conn.execute("set local lock_timeout = '2s'")
                if _SHAPE is None or _shape(conn, name) != _SHAPE:  # (read as `migrated_schema` read it)
                    raise LookupError("changed")
                conn.execute(f'set local search_path = "{name}"')
                # replica: foreign keys and the store's triggers do not fire for these
                # deletes (the rows are all going; no word index needs keeping).
                conn.execute("set local session_replication_role = replica")
                tables = [t for (t,) in conn.execute(
                    "select tablename from pg_tables where schemaname = %s", (name,))]
                for table in tables:
                    conn.execute(f'delete from "{table}"')
                for seq, start in conn.execute(
                        "select sequencename, start_value from pg_sequences where schemaname = %s", (name,)).fetchall():
                    conn.execute("select setval(%s, %s, false)", (f'"{name}"."{seq}"', start))
                conn.execute("set local session_replication_role = origin")
                with conn.cursor() as cur:
                    for statement, parameters, many in statements:
                        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                            if many:
                                cur.executemany(statement, parameters)
                            else:
                                cur.execute(statement, parameters)
                conn.execute(f'alter schema "{name}" rename to "{spare}"')
    except (psycopg.Error, LookupError):
        drop_schema(name)
        return
    _SPARE.append(spare)


@atexit.register
def _drop_spares() -> None:
    while _SPARE:
        drop_schema(_SPARE.pop())


def pg_store_url(request, what: str = "these tests", *, empty: bool = False) -> str:
    """A migrated schema for the requesting test (given back when it ends), or with
    `empty` a new empty one (dropped when it ends: tests of migrations and first opens);
    or the test fails saying PostgreSQL is required: CI must run these, never skip them."""
    reason = pg_available()
    if reason:
        import pytest

        pytest.fail(f"PostgreSQL is required for {what} and is not reachable: {reason}")
    if empty:
        name, url = new_schema()
        request.addfinalizer(lambda: drop_schema(name))
    else:
        name, url = migrated_schema()
        request.addfinalizer(lambda: release_schema(name))
    return url


def drop_schema(name: str) -> None:
    import psycopg

    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{name}" cascade')
