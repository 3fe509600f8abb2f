"""Schema 6: the OS account of a user on a shared host (app_user.os_user, unique).

`sagicc serve --socket` takes its clients' identity from it.
"""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import add_column, create_index

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column("app_user", sa.Column("os_user", sa.String(), nullable=True))
    create_index("ix_app_user_os_user", "app_user", ["os_user"], unique=True)
