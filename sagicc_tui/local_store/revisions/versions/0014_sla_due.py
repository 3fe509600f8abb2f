"""Schema 14: the SLA deadline of each ticket (ticket.sla_due_at), kept by triggers (+L5, #12.5).

The deadline: while unanswered, creation plus the campaign's first-response
minutes for its priority; once answered, plus the resolution minutes; none
when closed or without a rule. Triggers keep it on every write path in the
same transaction; indexed per campaign. The DDL as schema 14 wrote it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sagicc_tui.local_store.revisions.guards import add_column, dialect, execute

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = ("CREATE INDEX IF NOT EXISTS ix_ticket_sla_due_by_campaign "
         "ON ticket (campaign_id, coalesce(sla_due_at, 9000000000000), id)")

_SQLITE_DUE = """CASE WHEN {t}.closed_at IS NOT NULL THEN NULL ELSE {t}.created_at + 60 * (
    SELECT CASE WHEN {t}.first_response_at IS NULL THEN json_extract(r.value, '$.first_response_minutes')
                ELSE json_extract(r.value, '$.resolution_minutes') END
    FROM campaign AS sc, json_each(sc.config, '$.sla_rules') AS r
    WHERE sc.id = {t}.campaign_id AND json_extract(r.value, '$.priority') = {t}.priority LIMIT 1) END"""

_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS ticket_sla_due_insert AFTER INSERT ON ticket BEGIN
        UPDATE ticket SET sla_due_at = {_SQLITE_DUE.format(t='NEW')} WHERE id = NEW.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS ticket_sla_due_update
        AFTER UPDATE OF priority, campaign_id, first_response_at, closed_at, created_at ON ticket BEGIN
        UPDATE ticket SET sla_due_at = {_SQLITE_DUE.format(t='NEW')} WHERE id = NEW.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS campaign_sla_due_update AFTER UPDATE OF config ON campaign BEGIN
        UPDATE ticket SET sla_due_at = {_SQLITE_DUE.format(t='ticket')} WHERE campaign_id = NEW.id; END""",
]

_PG = [
    """CREATE OR REPLACE FUNCTION ticket_sla_due(bigint, text, bigint, bigint, bigint) RETURNS bigint AS $$
        SELECT CASE WHEN $5 IS NOT NULL THEN NULL ELSE $3 + 60 * (
            SELECT (CASE WHEN $4 IS NULL THEN r ->> 'first_response_minutes'
                         ELSE r ->> 'resolution_minutes' END)::bigint
            FROM campaign AS sc, jsonb_array_elements(coalesce(sc.config::jsonb -> 'sla_rules', '[]'::jsonb)) AS r
            WHERE sc.id = $1 AND r ->> 'priority' = $2 LIMIT 1) END
    $$ LANGUAGE sql STABLE""",
    """CREATE OR REPLACE FUNCTION ticket_sla_due_set() RETURNS trigger AS $$ BEGIN
        NEW.sla_due_at := ticket_sla_due(NEW.campaign_id, NEW.priority, NEW.created_at, NEW.first_response_at,
                                         NEW.closed_at);
        RETURN NEW; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS ticket_sla_due ON ticket",
    """CREATE TRIGGER ticket_sla_due BEFORE INSERT OR UPDATE OF priority, campaign_id, first_response_at, closed_at,
        created_at ON ticket FOR EACH ROW EXECUTE FUNCTION ticket_sla_due_set()""",
    """CREATE OR REPLACE FUNCTION campaign_sla_due_set() RETURNS trigger AS $$ BEGIN
        UPDATE ticket SET sla_due_at = ticket_sla_due(campaign_id, priority, created_at, first_response_at, closed_at)
        WHERE campaign_id = NEW.id;
        RETURN NULL; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS campaign_sla_due ON campaign",
    """CREATE TRIGGER campaign_sla_due AFTER UPDATE OF config ON campaign FOR EACH ROW
        EXECUTE FUNCTION campaign_sla_due_set()""",
]


def upgrade() -> None:
    add_column("ticket", sa.Column("sla_due_at", sa.BigInteger(), nullable=True))
    if dialect() == "postgresql":
        execute(_PG)
        op.execute("UPDATE ticket SET sla_due_at = ticket_sla_due(campaign_id, priority, created_at, "
                   "first_response_at, closed_at)")
    else:
        execute(_SQLITE)
        op.execute(f"UPDATE ticket SET sla_due_at = {_SQLITE_DUE.format(t='ticket')}")
    op.execute(INDEX)
