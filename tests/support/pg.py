"""A fresh PostgreSQL schema per test, on the machine's server (127.0.0.1:5432,
trust auth, database `test`). Tests that need it skip nowhere: when the server
is absent `require_pg()` fails loudly (CI must run these; see conftest)."""

from __future__ import annotations

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


def new_schema() -> tuple[str, str]:
    """Create an empty schema; returns (its name, an SQLAlchemy URL using it)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f'create schema "{name}"')
    return name, f"{PG_BASE}?options={quote(f'-csearch_path={name}')}"


def drop_schema(name: str) -> None:
    import psycopg

    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{name}" cascade')
