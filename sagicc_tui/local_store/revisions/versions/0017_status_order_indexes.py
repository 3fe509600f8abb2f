"""Schema 17 (#16): the orders by unread, next task and SLA deadline indexed per (campaign, status).

Every new ticket has no next task and every closed one is read and has no
deadline, so those statuses sit at one end of these orders: a one-status
filter walked the campaign's whole order index (or sorted every ticket of
that status), 220-530 ms at a million tickets. With the status second, its
page is one index range. The DDL as schema 17 wrote it (schema.STATUS_ORDERS
builds the same indexes for a new store; a change there is a new revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sagicc_tui.local_store.revisions.guards import create_index, dialect

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_KEYS = {
    "unread_asc": "coalesce(unread_at, 9000000000000)",
    "unread_desc": "coalesce(unread_at, -1)",
    "next_task_furthest": "coalesce(next_task_at, -1)",
    "next_task_closest": "coalesce(next_task_at, 9000000000000)",
    "sla_due": "coalesce(sla_due_at, 9000000000000)",
}


def upgrade() -> None:
    for name, key in _KEYS.items():
        create_index(f"ix_ticket_{name}_by_status", "ticket",
                     ["campaign_id", "status", sa.literal_column(key), "id"])
    # A store with planner statistics (a bulk-loaded one) needs them for the
    # new indexes too: without, SQLite takes an unmeasured index for the most
    # selective one and sorted whole campaigns (1M: every page 5 -> 600 ms).
    # A store never analysed stays so (all indexes alike, none favoured).
    if dialect() == "postgresql":
        op.execute("ANALYZE ticket")
        return
    analysed = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first()
    if analysed:
        for name in _KEYS:
            op.execute(f"ANALYZE ix_ticket_{name}_by_status")
