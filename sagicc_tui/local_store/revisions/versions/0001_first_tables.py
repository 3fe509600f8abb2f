"""Schema 1: the first tables (tickets, customers, interactions, tasks, logs, drafts).

The tables and indexes exactly as the first release (commit 3e23e76) made
them, written out: never derived from today's models, so a later change to
a model cannot change what an old store is upgraded from.
"""

from __future__ import annotations

import sqlalchemy as sa

from sagicc_tui.local_store.revisions.guards import create_index, create_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('full_name', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('can_export', sa.Boolean(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    create_table('meta',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    create_table('campaign_member',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id']),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
    sa.PrimaryKeyConstraint('user_id', 'campaign_id')
    )
    create_table('change_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('field', sa.String(), nullable=False),
    sa.Column('previous', sa.Text(), nullable=False),
    sa.Column('new', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('id_type', sa.String(), nullable=False),
    sa.Column('id_number', sa.String(), nullable=False),
    sa.Column('first_name', sa.String(), nullable=False),
    sa.Column('middle_name', sa.String(), nullable=False),
    sa.Column('last_name', sa.String(), nullable=False),
    sa.Column('second_last_name', sa.String(), nullable=False),
    sa.Column('birth_date', sa.String(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('assigned_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_user_id'], ['app_user.id']),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('extra', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('contact_info',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.Column('normalized', sa.String(), nullable=False),
    sa.Column('label', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('customer_feature',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
    sa.PrimaryKeyConstraint('customer_id', 'feature')
    )
    create_table('customer_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('related_customer_id', sa.Integer(), nullable=False),
    sa.Column('relation', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
    sa.ForeignKeyConstraint(['related_customer_id'], ['customer.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('priority', sa.String(), nullable=False),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('description', sa.String(), nullable=False),
    sa.Column('origin_channel', sa.String(), nullable=False),
    sa.Column('last_channel', sa.String(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('unread_count', sa.Integer(), nullable=False),
    sa.Column('unread_at', sa.BigInteger(), nullable=True),
    sa.Column('last_interaction_at', sa.BigInteger(), nullable=True),
    sa.Column('last_summary', sa.String(), nullable=False),
    sa.Column('last_direction', sa.String(), nullable=True),
    sa.Column('first_response_at', sa.BigInteger(), nullable=True),
    sa.Column('next_task_at', sa.BigInteger(), nullable=True),
    sa.Column('last_outcome', sa.String(), nullable=True),
    sa.Column('last_survey_at', sa.BigInteger(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id']),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id']),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id']),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
    sa.ForeignKeyConstraint(['merged_into_id'], ['ticket.id']),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    create_table('draft',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
    sa.PrimaryKeyConstraint('user_id', 'ticket_id', 'form')
    )
    create_table('interaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('sender', sa.String(), nullable=False),
    sa.Column('contact', sa.String(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('cc', sa.String(), nullable=False),
    sa.Column('bcc', sa.String(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('read', sa.Boolean(), nullable=False),
    sa.Column('delivery', sa.String(), nullable=False),
    sa.Column('delivery_error', sa.String(), nullable=False),
    sa.Column('client_key', sa.String(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_key')
    )
    create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('color', sa.String(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('rule_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(), nullable=False),
    sa.Column('detail', sa.String(), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.Column('observations', sa.Text(), nullable=False),
    sa.Column('next_task_at', sa.BigInteger(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_table('ticket_relation',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('related_ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['related_ticket_id'], ['ticket.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('ticket_id', 'related_ticket_id')
    )
    create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mime', sa.String(), nullable=False),
    sa.Column('sha256', sa.String(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id']),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
    sa.PrimaryKeyConstraint('id')
    )
    create_index('ix_campaign_member_campaign_id', 'campaign_member', ['campaign_id'])
    create_index('ix_change_log_entity', 'change_log', ['entity', 'entity_id', 'at'])
    create_index('ix_customer_id_number', 'customer', ['id_number'])
    create_index('ix_account_customer_id', 'account', ['customer_id'])
    create_index('ix_contact_info_customer_id', 'contact_info', ['customer_id'])
    create_index('ix_contact_info_normalized', 'contact_info', ['normalized'])
    create_index('ix_customer_feature_feature', 'customer_feature', ['feature'])
    create_index('ix_customer_relation_customer_id', 'customer_relation', ['customer_id'])
    create_index('ix_ticket_assignee_status', 'ticket', ['assignee_id', 'status'])
    create_index('ix_ticket_campaign_status', 'ticket', ['campaign_id', 'status'])
    create_index('ix_ticket_created_by_campaign', 'ticket', ['campaign_id', 'created_at', 'id'])
    create_index('ix_ticket_customer_status', 'ticket', ['customer_id', 'status'])
    create_index('ix_ticket_next_task_closest_by_campaign', 'ticket', ['campaign_id', sa.literal_column('coalesce(next_task_at, 9000000000000)'), 'id'])
    create_index('ix_ticket_next_task_furthest_by_campaign', 'ticket', ['campaign_id', sa.literal_column('coalesce(next_task_at, -1)'), 'id'])
    create_index('ix_ticket_unread_asc_by_campaign', 'ticket', ['campaign_id', sa.literal_column('coalesce(unread_at, 9000000000000)'), 'id'])
    create_index('ix_ticket_unread_desc_by_campaign', 'ticket', ['campaign_id', sa.literal_column('coalesce(unread_at, -1)'), 'id'])
    create_index('ix_interaction_ticket', 'interaction', ['ticket_id', 'id'])
    create_index('ix_note_ticket_id', 'note', ['ticket_id'])
    create_index('ix_rule_log_ticket_id', 'rule_log', ['ticket_id'])
    create_index('ix_task_ticket', 'task', ['ticket_id', 'id'])
    create_index('ix_attachment_ticket_id', 'attachment', ['ticket_id'])
