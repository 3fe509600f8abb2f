"""Schema 9: exactly once (issue #10).

Versions on contacts, accounts and relations; the external view's expiry
and revocation; who holds an Idempotency-Key while its first request runs.
A constant default: existing rows get it, no table rebuild on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sagicc_tui.local_store.revisions.guards import add_column

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# external_links.DEFAULT_DAYS when this step was written: the constant, not the
# environment -- a bad setting must not stop a store from opening.
_LINK_SECONDS = 7 * 86400


def upgrade() -> None:
    for table in ("contact_info", "account", "customer_relation"):
        add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    add_column("external_view", sa.Column("expires_at", sa.BigInteger(), nullable=True))
    add_column("external_view", sa.Column("revoked_at", sa.BigInteger(), nullable=True))
    add_column("idempotency_key", sa.Column("claimed_by", sa.String(), server_default="", nullable=False))
    # Links made before expiry existed live the default lifetime from their creation.
    op.execute(sa.text("UPDATE external_view SET expires_at = created_at + :s WHERE expires_at IS NULL")
               .bindparams(s=_LINK_SECONDS))
