"""Schema 5: PostgreSQL's search index (what the FTS5 tables of schema 2 are on SQLite).

GIN indexes over the folded words of customer names and documents, ticket
descriptions and message text. Nothing changes in a SQLite store.
"""

from __future__ import annotations

from alembic import op

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.local_store.revisions.guards import dialect
from sagicc_tui.local_store.revisions.pg_fold_v5 import CUSTOMER_TSV, INTERACTION_TSV, TICKET_TSV

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_customer_search": ("customer", CUSTOMER_TSV),
    "ix_ticket_search": ("ticket", TICKET_TSV),
    "ix_interaction_search": ("interaction", INTERACTION_TSV),
}


def upgrade() -> None:
    if dialect() != "postgresql":
        return
    encoding = op.get_bind().exec_driver_sql("SHOW server_encoding").scalar_one()
    if str(encoding).upper() not in ("UTF8", "UTF-8"):  # normalize() needs it
        raise StoreError(
            N_("The PostgreSQL database uses the {encoding} encoding; the store needs a UTF8 "
               "database (CREATE DATABASE ... ENCODING 'UTF8')."), encoding=encoding)
    for name, (table, expr) in _INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expr}))")
