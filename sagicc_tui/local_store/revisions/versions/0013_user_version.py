"""Schema 13: a user's version (app_user.version, #18).

An administrator's save names the version it was read at, so two
administrators never overwrite each other's change to the same user unseen.
"""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import add_column

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column("app_user", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
