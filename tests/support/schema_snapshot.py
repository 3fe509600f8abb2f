"""What a store's schema is, as plain data to compare: tables, columns,
constraints, indexes, triggers, views and (PostgreSQL) functions, read from
the database's own catalog -- not from the models, so a fresh store and an
upgraded one are compared as they really are. Column order is left out: an
added column comes last, a created one where the model puts it."""

from __future__ import annotations

import re

from sqlalchemy import Connection, text


def _norm(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip()


def snapshot(conn: Connection) -> dict[tuple[str, str], object]:
    return _sqlite(conn) if conn.dialect.name == "sqlite" else _postgresql(conn)


def _sqlite(conn: Connection) -> dict[tuple[str, str], object]:
    out: dict[tuple[str, str], object] = {}
    rows = conn.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master").all()
    for kind, name, table, sql in rows:
        if kind == "table" and not (sql or "").upper().startswith("CREATE VIRTUAL"):
            columns = {r[1]: (r[2].upper(), r[3], r[4], r[5], r[6])
                       for r in conn.exec_driver_sql(f"PRAGMA table_xinfo('{name}')")}
            fks = sorted(tuple(r[2:]) for r in conn.exec_driver_sql(f"PRAGMA foreign_key_list('{name}')"))
            out[("table", name)] = (columns, fks)
        elif kind == "index" and sql is None:  # a UNIQUE or PRIMARY KEY constraint's own index
            cols = [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info('{name}')")]
            out[("index", name)] = (table, cols)
        else:
            out[(kind, name)] = _norm(sql)
    return out


def _postgresql(conn: Connection) -> dict[tuple[str, str], object]:
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()

    def local(sql: str) -> str:
        return _norm(sql).replace(f"{schema}.", "")

    out: dict[tuple[str, str], object] = {}
    for r in conn.execute(text(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name "
            "FROM information_schema.columns WHERE table_schema = :s"), {"s": schema}):
        out[("column", f"{r[0]}.{r[1]}")] = (r[2], r[3], local(r[4]) if r[4] else None, r[5])
    for r in conn.execute(text(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind IN ('r', 'v', 'S')"), {"s": schema}):
        out[("relation", r[0])] = r[1]
    for r in conn.execute(text(
            "SELECT t.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = :s"), {"s": schema}):
        out[("constraint", f"{r[0]}.{r[1]}")] = local(r[2])
    for r in conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s"), {"s": schema}):
        out[("index", r[0])] = local(r[1])
    for r in conn.execute(text(
            "SELECT t.relname, g.tgname, pg_get_triggerdef(g.oid) FROM pg_trigger g "
            "JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = :s AND NOT g.tgisinternal"), {"s": schema}):
        out[("trigger", f"{r[0]}.{r[1]}")] = local(r[2])
    for r in conn.execute(text(
            "SELECT p.proname, p.prokind, pg_get_function_identity_arguments(p.oid), p.prosrc FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :s"), {"s": schema}):
        out[("function", f"{r[0]}({r[2]})")] = (r[1], _norm(r[3]))
    return out


def differences(a: dict, b: dict) -> dict:
    """{key: (in a, in b)} for every object that differs or is in one only."""
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
