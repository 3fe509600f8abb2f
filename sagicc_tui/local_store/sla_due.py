"""+L5 the SLA-due order: `ticket.sla_due_at`, kept by the database itself.

The deadline is domain/rules.sla_due: while the ticket is unanswered, creation
plus the campaign's first-response minutes for its priority; once answered,
creation plus the resolution minutes; none when closed or when the campaign
has no rule for the priority. It changes with the priority, the campaign, the
first response, the closing and the campaign's rules -- written by many
paths (ingest, the ticket tab, the composer, mass actions, merges, the
administration, the demo's bulk load). Triggers keep it on every one of them,
in the same transaction, so no path can forget it; the column is indexed per
campaign like the other orders, so the order pages by keyset at any size.

A new store runs these statements; an upgraded one got the same from the
frozen revision 0014 (local_store/revisions), so a change here is a new
revision too (tests/test_revisions.py compares the two). The rules are read from
the campaign's JSON config (`sla_rules`: priority, first_response_minutes,
resolution_minutes). Times are epoch seconds.
"""

from __future__ import annotations

from sqlalchemy import Connection

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


def create_triggers(conn: Connection) -> None:
    for statement in (_PG if conn.dialect.name == "postgresql" else _SQLITE):
        conn.exec_driver_sql(statement)


def backfill(conn: Connection) -> None:
    """Every ticket's deadline from its campaign's rules (an upgraded store)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("UPDATE ticket SET sla_due_at = ticket_sla_due(campaign_id, priority, created_at, "
                             "first_response_at, closed_at)")
    else:
        conn.exec_driver_sql(f"UPDATE ticket SET sla_due_at = {_SQLITE_DUE.format(t='ticket')}")
