"""Schema 12: the customer list's Spanish name order (#15.8, C1).

customer.sort_name, filled from the names, and its index (sort_name, id) in
place of ix_customer_name (lower-case names, which put Álvaro after Zoë).
Compared bytewise on both databases: COLLATE "C" on PostgreSQL is SQLite's BINARY.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sagicc_tui.local_store.revisions.guards import add_column, create_index

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column("customer", sa.Column("sort_name", sa.String().with_variant(sa.String(collation="C"), "postgresql"),
                                     server_default="", nullable=False))
    # Today's key, not a frozen copy: the program writes sort_name with it, and
    # the list's order must not depend on when a customer was written.
    from sagicc_tui.domain.customers import name_sort_key

    conn = op.get_bind()
    last = 0
    while True:  # in batches: a 300,000-customer store in bounded memory
        rows = conn.execute(sa.text("SELECT id, first_name, middle_name, last_name, second_last_name FROM customer "
                                    "WHERE id > :last ORDER BY id LIMIT 5000"), {"last": last}).all()
        if not rows:
            break
        conn.execute(sa.text("UPDATE customer SET sort_name = :k WHERE id = :id"),
                     [{"id": r.id, "k": name_sort_key(r.first_name, r.middle_name or "", r.last_name or "",
                                                      r.second_last_name or "")} for r in rows])
        last = rows[-1].id
    op.execute("DROP INDEX IF EXISTS ix_customer_name")
    create_index("ix_customer_sort_name", "customer", ["sort_name", "id"])
