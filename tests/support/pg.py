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
    away; tests of the migrations themselves or of a first open use `new_schema`."""
    import psycopg

    statements = _migration_statements()
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f'create schema "{name}"')
    with psycopg.connect(_dsn(), options=f"-csynchronous_commit=off -csearch_path={name}") as conn:
        with conn.pipeline(), conn.cursor() as cur:
            for statement, parameters, many in statements:
                if many:
                    cur.executemany(statement, parameters)
                else:
                    cur.execute(statement, parameters)
    return name, _url(name)


def drop_schema(name: str) -> None:
    import psycopg

    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{name}" cascade')
