"""Schema 2: full-text search for the list's search box (L6).

FTS5 tables over ticket descriptions, customer names and documents, and
message text, kept up to date by triggers (SQLite only; PostgreSQL's search
index is schema 5). remove_diacritics: "Gomez" finds "Gómez".
"""

from __future__ import annotations

from alembic import op

from sagicc_tui.local_store.revisions.guards import dialect

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FTS = {
    "ticket_fts": ("ticket", ("description",)),
    "customer_fts": ("customer", ("first_name", "middle_name", "last_name", "second_last_name", "id_number")),
    "interaction_fts": ("interaction", ("subject", "content")),
}


def _ddl(name: str, table: str, cols: tuple[str, ...]) -> list[str]:
    col_list = ", ".join(cols)
    new_vals = ", ".join(f"new.{c}" for c in cols)
    old_vals = ", ".join(f"old.{c}" for c in cols)
    delete = f"INSERT INTO {name}({name}, rowid, {col_list}) VALUES('delete', old.id, {old_vals});"
    insert = f"INSERT INTO {name}(rowid, {col_list}) VALUES (new.id, {new_vals});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5({col_list}, content='{table}', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF {col_list} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def upgrade() -> None:
    if dialect() != "sqlite":
        return
    for name, (table, cols) in _FTS.items():
        for statement in _ddl(name, table, cols):
            op.execute(statement)
        op.execute(f"INSERT INTO {name}({name}) VALUES('rebuild')")  # the rows already there
