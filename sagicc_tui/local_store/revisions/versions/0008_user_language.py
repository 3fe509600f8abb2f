"""Schema 8: a user's language (app_user.language, P4).

A campaign's `active` and `version` live in its JSON config, which needs no step.
"""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import add_column

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column("app_user", sa.Column("language", sa.String(), nullable=True))
