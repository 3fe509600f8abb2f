"""Schema 3: the ticket screen and customers.

Who has a ticket open (presence), the external view's token, outgoing
delivery bookkeeping, per-campaign customer assignment, saved list views
(L11); indexes for the customer list and the conversation. The tables as
schema 3 had them (commit b1cd499); later columns come with later steps.
"""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import create_index, create_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name')
    )
    create_table('customer_assignment',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id']),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id']),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
    sa.PrimaryKeyConstraint('customer_id', 'campaign_id')
    )
    create_table('external_view',
    sa.Column('token', sa.String(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('rendered_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('token'),
    sa.UniqueConstraint('ticket_id')
    )
    create_table('ticket_presence',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.BigInteger(), nullable=False),
    sa.Column('heartbeat_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
    sa.PrimaryKeyConstraint('user_id', 'ticket_id')
    )
    create_table('outgoing_delivery',
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.BigInteger(), nullable=True),
    sa.Column('last_attempt_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id']),
    sa.PrimaryKeyConstraint('interaction_id')
    )
    create_index('ix_customer_created', 'customer', ['created_at', 'id'])
    # Replaced by ix_customer_sort_name in schema 12.
    create_index('ix_customer_name', 'customer', [sa.literal_column('lower(first_name)'), sa.literal_column('lower(last_name)'), 'id'])
    create_index('ix_customer_assignment_campaign_id', 'customer_assignment', ['campaign_id'])
    create_index('ix_customer_assignment_user_id', 'customer_assignment', ['user_id'])
    create_index('ix_customer_relation_related', 'customer_relation', ['related_customer_id'])
    create_index('ix_ticket_campaign_assignee', 'ticket', ['campaign_id', 'assignee_id', 'origin_channel', 'priority'])
    create_index('ix_interaction_ticket_time', 'interaction', ['ticket_id', 'created_at', 'id'])
    # Outgoing messages only carry a client key: the millions of incoming rows stay out.
    create_index('ux_interaction_client_key', 'interaction', ['client_key'], unique=True,
                 sqlite_where=sa.text('client_key IS NOT NULL'), postgresql_where=sa.text('client_key IS NOT NULL'))
    create_index('ix_ticket_presence_ticket', 'ticket_presence', ['ticket_id', 'heartbeat_at'])
    create_index('ix_ticket_relation_related_ticket_id', 'ticket_relation', ['related_ticket_id'])
