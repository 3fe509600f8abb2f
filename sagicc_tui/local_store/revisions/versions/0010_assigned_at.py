"""Schema 10: when a ticket was given to its assignee (ticket.assigned_at).

So the pending list (L7) can say every new assignment, not only the first
page's; and the index of the list's order by priority (+L5). Earlier
assignments have no time: they are not news to anyone.
"""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import add_column, create_index, dialect

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The priority's rank in the high digits, the creation second in the low ones (schema.ORDER_KEYS).
_PRIORITY_KEY = ("CASE WHEN (priority = 'critical') THEN 0 WHEN (priority = 'high') THEN 1 "
                 "WHEN (priority = 'medium') THEN 2 WHEN (priority = 'low') THEN 3 ELSE 9 END "
                 "* 100000000000 + created_at")


def upgrade() -> None:
    add_column("ticket", sa.Column("assigned_at", sa.BigInteger(), nullable=True))
    # PostgreSQL wants an expression that is not a function call in parentheses;
    # SQLite keeps the text as written (the models' DDL has none there).
    key = f"({_PRIORITY_KEY})" if dialect() == "postgresql" else _PRIORITY_KEY
    create_index("ix_ticket_priority_by_campaign", "ticket", ["campaign_id", sa.literal_column(key), "id"])
