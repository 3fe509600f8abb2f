"""Schema 16 (#16): ticket counters and the sign-in generation.

- `ticket_count`: how many tickets per campaign, assignee (0: none), origin
  channel, status, priority and type, kept by triggers on ticket, so the
  list's counts sum a few rows instead of walking the tickets; filled from
  the tickets already in the store.
- `meta.auth_generation`: bumped by triggers on every token revocation or
  deletion, user change (not their Available/Busy status) and membership
  change, so the server can keep token lookups per process and still refuse
  a revoked token at once.

The DDL as schema 16 wrote it (ticket_counts.py and auth_generation.py build
the same statements for a new store; a change there is a new revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sagicc_tui.local_store.revisions.guards import create_table, dialect, execute

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COUNTS_SQLITE = [
    'CREATE TRIGGER IF NOT EXISTS ticket_count_insert AFTER INSERT ON ticket BEGIN INSERT INTO ticket_count (campaign_id, assignee_id, origin_channel, status, priority, type, n) VALUES (NEW.campaign_id, coalesce(NEW.assignee_id, 0), NEW.origin_channel, NEW.status, NEW.priority, NEW.type, 1) ON CONFLICT (campaign_id, assignee_id, origin_channel, status, priority, type) DO UPDATE SET n = ticket_count.n + 1; END',
    'CREATE TRIGGER IF NOT EXISTS ticket_count_delete AFTER DELETE ON ticket BEGIN UPDATE ticket_count SET n = n - 1 WHERE campaign_id = OLD.campaign_id AND assignee_id = coalesce(OLD.assignee_id, 0) AND origin_channel = OLD.origin_channel AND status = OLD.status AND priority = OLD.priority AND type = OLD.type; END',
    'CREATE TRIGGER IF NOT EXISTS ticket_count_update AFTER UPDATE OF campaign_id, assignee_id, origin_channel, status, priority, type ON ticket WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.origin_channel IS NOT NEW.origin_channel OR OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority OR OLD.type IS NOT NEW.type BEGIN UPDATE ticket_count SET n = n - 1 WHERE campaign_id = OLD.campaign_id AND assignee_id = coalesce(OLD.assignee_id, 0) AND origin_channel = OLD.origin_channel AND status = OLD.status AND priority = OLD.priority AND type = OLD.type; INSERT INTO ticket_count (campaign_id, assignee_id, origin_channel, status, priority, type, n) VALUES (NEW.campaign_id, coalesce(NEW.assignee_id, 0), NEW.origin_channel, NEW.status, NEW.priority, NEW.type, 1) ON CONFLICT (campaign_id, assignee_id, origin_channel, status, priority, type) DO UPDATE SET n = ticket_count.n + 1; END',
]

_COUNTS_PG = [
    "CREATE OR REPLACE FUNCTION ticket_count_keep() RETURNS trigger AS $$ BEGIN\n        IF TG_OP <> 'INSERT' THEN UPDATE ticket_count SET n = n - 1 WHERE campaign_id = OLD.campaign_id AND assignee_id = coalesce(OLD.assignee_id, 0) AND origin_channel = OLD.origin_channel AND status = OLD.status AND priority = OLD.priority AND type = OLD.type; END IF;\n        IF TG_OP <> 'DELETE' THEN INSERT INTO ticket_count (campaign_id, assignee_id, origin_channel, status, priority, type, n) VALUES (NEW.campaign_id, coalesce(NEW.assignee_id, 0), NEW.origin_channel, NEW.status, NEW.priority, NEW.type, 1) ON CONFLICT (campaign_id, assignee_id, origin_channel, status, priority, type) DO UPDATE SET n = ticket_count.n + 1; END IF;\n        RETURN NULL; END $$ LANGUAGE plpgsql",
    'DROP TRIGGER IF EXISTS ticket_count_insert_delete ON ticket',
    'CREATE TRIGGER ticket_count_insert_delete AFTER INSERT OR DELETE ON ticket\n        FOR EACH ROW EXECUTE FUNCTION ticket_count_keep()',
    'DROP TRIGGER IF EXISTS ticket_count_update ON ticket',
    'CREATE TRIGGER ticket_count_update AFTER UPDATE OF campaign_id, assignee_id, origin_channel, status, priority, type ON ticket\n        FOR EACH ROW WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.origin_channel IS DISTINCT FROM NEW.origin_channel OR OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority OR OLD.type IS DISTINCT FROM NEW.type) EXECUTE FUNCTION ticket_count_keep()',
]

_BACKFILL = 'INSERT INTO ticket_count (campaign_id, assignee_id, origin_channel, status, priority, type, n) SELECT campaign_id, coalesce(assignee_id, 0), origin_channel, status, priority, type, count(*) FROM ticket GROUP BY campaign_id, coalesce(assignee_id, 0), origin_channel, status, priority, type'

_GENERATION_ROW = "INSERT INTO meta (key, value) SELECT 'auth_generation', '0' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'auth_generation')"

_GENERATION_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS auth_gen_token_update AFTER UPDATE ON api_token BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
    "CREATE TRIGGER IF NOT EXISTS auth_gen_token_delete AFTER DELETE ON api_token BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
    "CREATE TRIGGER IF NOT EXISTS auth_gen_user_update AFTER UPDATE OF username, full_name, role, can_export, active, os_user, language, version ON app_user BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
    "CREATE TRIGGER IF NOT EXISTS auth_gen_user_delete AFTER DELETE ON app_user BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
    "CREATE TRIGGER IF NOT EXISTS auth_gen_member_insert AFTER INSERT ON campaign_member BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
    "CREATE TRIGGER IF NOT EXISTS auth_gen_member_update AFTER UPDATE ON campaign_member BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
    "CREATE TRIGGER IF NOT EXISTS auth_gen_member_delete AFTER DELETE ON campaign_member BEGIN UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'auth_generation'; END",
]

_GENERATION_PG = [
    "CREATE OR REPLACE FUNCTION auth_generation_bump() RETURNS trigger AS $$ BEGIN\n        UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'auth_generation';\n        RETURN NULL; END $$ LANGUAGE plpgsql",
    'DROP TRIGGER IF EXISTS auth_gen_token ON api_token',
    'CREATE TRIGGER auth_gen_token AFTER UPDATE OR DELETE ON api_token\n        FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump()',
    "CREATE OR REPLACE FUNCTION auth_generation_user() RETURNS trigger AS $$ BEGIN\n        IF TG_OP = 'DELETE' OR to_jsonb(OLD) - 'status' IS DISTINCT FROM to_jsonb(NEW) - 'status' THEN\n            UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'auth_generation';\n        END IF;\n        RETURN NULL; END $$ LANGUAGE plpgsql",
    'DROP TRIGGER IF EXISTS auth_gen_user ON app_user',
    'CREATE TRIGGER auth_gen_user AFTER UPDATE OR DELETE ON app_user\n        FOR EACH ROW EXECUTE FUNCTION auth_generation_user()',
    'DROP TRIGGER IF EXISTS auth_gen_member ON campaign_member',
    'CREATE TRIGGER auth_gen_member AFTER INSERT OR UPDATE OR DELETE ON campaign_member\n        FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump()',
]


def upgrade() -> None:
    create_table(
        "ticket_count",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("origin_channel", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("priority", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "assignee_id", "origin_channel", "status", "priority", "type"),
    )
    pg = dialect() == "postgresql"
    execute(_COUNTS_PG if pg else _COUNTS_SQLITE)
    op.execute("DELETE FROM ticket_count")
    op.execute(_BACKFILL)
    op.execute(_GENERATION_ROW)
    execute(_GENERATION_PG if pg else _GENERATION_SQLITE)
