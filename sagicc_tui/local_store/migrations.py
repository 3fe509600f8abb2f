"""Schema creation and the upgrade path between store versions.

The version lives in the `meta` table. Opening a store runs every step from
its version up to SCHEMA_VERSION inside one write transaction, so an upgrade
either completes or leaves the file as it was. A store from a newer program
is refused with a sentence, never half-read.

History:
  1  the first tables (tickets, customers, interactions, tasks, logs, drafts).
  2  full-text search for the list's search box (L6): FTS5 indexes over ticket
     descriptions, customer names and documents, and message text, kept up to
     date by triggers (SQLite only; PostgreSQL gets its own text index with the
     server).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.engine import write_tx

_FTS = {
    "ticket_fts": ("ticket", ("description",)),
    "customer_fts": ("customer", ("first_name", "middle_name", "last_name", "second_last_name", "id_number")),
    "interaction_fts": ("interaction", ("subject", "content")),
}


def _fts_ddl(name: str, table: str, cols: tuple[str, ...]) -> list[str]:
    col_list = ", ".join(cols)
    new_vals = ", ".join(f"new.{c}" for c in cols)
    old_vals = ", ".join(f"old.{c}" for c in cols)
    delete = f"INSERT INTO {name}({name}, rowid, {col_list}) VALUES('delete', old.id, {old_vals});"
    insert = f"INSERT INTO {name}(rowid, {col_list}) VALUES (new.id, {new_vals});"
    return [
        # remove_diacritics: "Gomez" finds "Gómez"; customers type either.
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5({col_list}, content='{table}', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF {col_list} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def create_fts(conn: Connection, *, rebuild: bool) -> None:
    if conn.dialect.name != "sqlite":
        return
    for name, (table, cols) in _FTS.items():
        for stmt in _fts_ddl(name, table, cols):
            conn.exec_driver_sql(stmt)
        if rebuild:
            conn.exec_driver_sql(f"INSERT INTO {name}({name}) VALUES('rebuild')")


def _v1_to_v2(conn: Connection) -> None:
    create_fts(conn, rebuild=True)


STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2}


def read_version(conn: Connection) -> int | None:
    has_meta = conn.dialect.has_table(conn, "meta")
    if not has_meta:
        return None
    row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    return int(row[0]) if row else None


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(text("INSERT INTO meta(key, value) VALUES ('schema_version', :v)"), {"v": str(version)})


def ensure_schema(engine: Engine, *, indexes: bool = True) -> int:
    """Create a new store or upgrade an old one; returns the version now in the file.

    `indexes=False` is for the demo generator's bulk load, which builds the
    indexes (and search index) once at the end with `finish_bulk_load`.
    """
    with write_tx(engine) as conn:
        version = read_version(conn)
        if version is None:
            tables = [tb for tb in schema.ALL_TABLES.sorted_tables]
            schema.ALL_TABLES.create_all(conn, tables=tables, checkfirst=True)
            if not indexes:
                for tb in tables:
                    for ix in tb.indexes:
                        ix.drop(conn, checkfirst=True)
            else:
                create_fts(conn, rebuild=False)
            _set_version(conn, schema.SCHEMA_VERSION)
            return schema.SCHEMA_VERSION
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                N_("This store was written by a newer sagicc (schema {found}; this program reads up "
                   "to {known}); upgrade sagicc-tui to open it."),
                found=version, known=schema.SCHEMA_VERSION,
            )
        while version < schema.SCHEMA_VERSION:
            STEPS[version](conn)
            version += 1
            _set_version(conn, version)
        return version


def finish_bulk_load(engine: Engine) -> None:
    """After a bulk load with indexes=False: build every index and the search index."""
    with write_tx(engine) as conn:
        for tb in schema.ALL_TABLES.sorted_tables:
            for ix in tb.indexes:
                ix.create(conn, checkfirst=True)
        create_fts(conn, rebuild=True)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
