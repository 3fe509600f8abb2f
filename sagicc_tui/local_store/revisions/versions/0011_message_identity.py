"""Schema 11: message identity (each incoming message once, #10.4) and e-mail threading headers (#13)."""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import create_index, create_table

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('mail_header',
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(), nullable=False),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('interaction_id')
    )
    create_table('message_identity',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key')
    )
    create_index('ix_message_identity_interaction_id', 'message_identity', ['interaction_id'])
