"""A counter of every change that can end or alter a signed-in session (#16.3).

The server keeps each token's lookup (its user, role, campaigns) per process
so a request need not join tokens, users and memberships again; it stays
right only if any change to those is seen at once, by every worker process.
Triggers bump `meta.auth_generation` in the changing transaction whenever a
token is revoked or deleted, a user is edited, disabled or deleted (not
their Available/Busy status, which changes all day: the server re-reads
that with the counter), or a campaign membership changes. A kept lookup is
used only while the counter still has the value read with it.

Schema step 15 -> 16 creates the row and the triggers.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

KEY = "auth_generation"
# A user's columns except `status` (see above); PostgreSQL compares whole rows.
_USER_COLUMNS = "username, full_name, role, can_export, active, os_user, language, version"
_BUMP_SQLITE = f"UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '{KEY}';"

_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_token_update AFTER UPDATE ON api_token BEGIN {_BUMP_SQLITE} END",
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_token_delete AFTER DELETE ON api_token BEGIN {_BUMP_SQLITE} END",
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_user_update AFTER UPDATE OF {_USER_COLUMNS} ON app_user "
    f"BEGIN {_BUMP_SQLITE} END",
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_user_delete AFTER DELETE ON app_user BEGIN {_BUMP_SQLITE} END",
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_member_insert AFTER INSERT ON campaign_member BEGIN {_BUMP_SQLITE} END",
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_member_update AFTER UPDATE ON campaign_member BEGIN {_BUMP_SQLITE} END",
    f"CREATE TRIGGER IF NOT EXISTS auth_gen_member_delete AFTER DELETE ON campaign_member BEGIN {_BUMP_SQLITE} END",
]

_PG = [
    f"""CREATE OR REPLACE FUNCTION auth_generation_bump() RETURNS trigger AS $$ BEGIN
        UPDATE meta SET value = (value::bigint + 1)::text WHERE key = '{KEY}';
        RETURN NULL; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS auth_gen_token ON api_token",
    """CREATE TRIGGER auth_gen_token AFTER UPDATE OR DELETE ON api_token
        FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump()""",
    # Per row, comparing the whole row but its status: naming columns would
    # make the trigger depend on them (a later step could not drop one).
    f"""CREATE OR REPLACE FUNCTION auth_generation_user() RETURNS trigger AS $$ BEGIN
        IF TG_OP = 'DELETE' OR to_jsonb(OLD) - 'status' IS DISTINCT FROM to_jsonb(NEW) - 'status' THEN
            UPDATE meta SET value = (value::bigint + 1)::text WHERE key = '{KEY}';
        END IF;
        RETURN NULL; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS auth_gen_user ON app_user",
    """CREATE TRIGGER auth_gen_user AFTER UPDATE OR DELETE ON app_user
        FOR EACH ROW EXECUTE FUNCTION auth_generation_user()""",
    "DROP TRIGGER IF EXISTS auth_gen_member ON campaign_member",
    """CREATE TRIGGER auth_gen_member AFTER INSERT OR UPDATE OR DELETE ON campaign_member
        FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump()""",
]


def create(conn: Connection) -> None:
    conn.exec_driver_sql(f"INSERT INTO meta (key, value) SELECT '{KEY}', '0' WHERE NOT EXISTS "
                         f"(SELECT 1 FROM meta WHERE key = '{KEY}')")
    for statement in (_PG if conn.dialect.name == "postgresql" else _SQLITE):
        conn.exec_driver_sql(statement)


_READ = text(f"SELECT value FROM meta WHERE key = '{KEY}'")


def read(conn: Connection) -> str | None:
    """The counter now; None in a store without it (nothing may be kept then)."""
    return conn.execute(_READ).scalar()
