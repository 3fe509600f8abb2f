"""Schema 7: the ticket-level message index (ticket_words) and the pending tickets' index.

One search row per ticket holding its messages' words, kept by triggers on
interaction, so a common word resolves to tickets without a lookup per
message (#16.5); ix_ticket_pending for L7. The DDL as schema 7 wrote it
(commit 683faad); schema 15 replaces the PostgreSQL message trigger function.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sagicc_tui.local_store.revisions.guards import create_index, dialect, execute
from sagicc_tui.local_store.revisions.pg_fold_v5 import INTERACTION_TSV, TICKET_TSV, fold_sql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TOKENIZE = "unicode61 remove_diacritics 2"  # as the FTS5 tables of schema 2

# --- SQLite ----------------------------------------------------------------------------------

_MESSAGE = "coalesce(interaction.subject, '') || ' ' || coalesce(interaction.content, '')"


# The indexed text of the ticket row in scope: its description and its messages.
_BODY = (f"coalesce(ticket.description, '') || ' ' || coalesce((SELECT group_concat({_MESSAGE}, ' ') "
         f"FROM interaction WHERE interaction.ticket_id = ticket.id), '')")


def _doc(ticket: str) -> str:
    """SQL: the indexed text of ticket ``ticket`` (an expression)."""
    return f"(SELECT {_BODY} FROM ticket WHERE ticket.id = {ticket})"


def _remove(ticket: str, when: str = "") -> str:
    return (f"INSERT INTO ticket_words(ticket_words, rowid, body) SELECT 'delete', {ticket}, {_doc(ticket)} "
            f"WHERE {when}EXISTS (SELECT 1 FROM ticket WHERE ticket.id = {ticket});")


def _add(ticket: str, when: str = "") -> str:
    return (f"INSERT INTO ticket_words(rowid, body) SELECT {ticket}, {_doc(ticket)} "
            f"WHERE {when}EXISTS (SELECT 1 FROM ticket WHERE ticket.id = {ticket});")


_MOVED = "new.ticket_id IS NOT old.ticket_id AND "
_MSG_COLS = "subject, content, ticket_id"

SQLITE_DDL = [
    # Read by 'rebuild' (and by FTS5 only if a column value is asked for).
    f"CREATE VIEW IF NOT EXISTS ticket_words_doc AS SELECT ticket.id AS id, {_BODY} AS body FROM ticket",
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_words USING fts5(body, content='ticket_words_doc', "
    f"content_rowid='id', detail=none, tokenize='{TOKENIZE}')",
    # Term statistics (no storage of their own): how many tickets a word is
    # in, and which words a prefix stands for (see plan()).
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_words_vocab USING fts5vocab(ticket_words, 'row')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS customer_fts_vocab USING fts5vocab(customer_fts, 'row')",
    # A ticket's row: added with the ticket, replaced when its description changes ...
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_t_ai AFTER INSERT ON ticket BEGIN {_add('new.id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_t_bu BEFORE UPDATE OF description ON ticket "
    f"BEGIN {_remove('old.id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_t_au AFTER UPDATE OF description ON ticket "
    f"BEGIN {_add('new.id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_t_bd BEFORE DELETE ON ticket BEGIN {_remove('old.id')} END",
    # ... and when a message comes, changes or goes. FTS5 removes a row by
    # its old text: BEFORE removes it while the old messages are there, AFTER
    # adds it back from the new ones.
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_bi BEFORE INSERT ON interaction BEGIN {_remove('new.ticket_id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_ai AFTER INSERT ON interaction BEGIN {_add('new.ticket_id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_bd BEFORE DELETE ON interaction BEGIN {_remove('old.ticket_id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_ad AFTER DELETE ON interaction BEGIN {_add('old.ticket_id')} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_bu BEFORE UPDATE OF {_MSG_COLS} ON interaction "
    f"BEGIN {_remove('old.ticket_id')} {_remove('new.ticket_id', _MOVED)} END",
    f"CREATE TRIGGER IF NOT EXISTS ticket_words_au AFTER UPDATE OF {_MSG_COLS} ON interaction "
    f"BEGIN {_add('old.ticket_id')} {_add('new.ticket_id', _MOVED)} END",
]

# --- PostgreSQL --------------------------------------------------------------------------------

# The ticket row's vector: its description's (TICKET_TSV) and each
# of its messages' (INTERACTION_TSV), positions stripped.
_PG_WORDS = (f"strip({TICKET_TSV} || coalesce((SELECT sagicc_tsvector_agg({INTERACTION_TSV}) "
             f"FROM interaction WHERE interaction.ticket_id = ticket.id), ''::tsvector))")
# Past a tsvector's 1 MB: the description and the start of the messages' text.
_PG_WORDS_SHORT = (f"strip({TICKET_TSV} || coalesce((SELECT to_tsvector('simple', "
                   + fold_sql("string_agg(coalesce(interaction.subject, '') || ' ' || "
                                         "coalesce(interaction.content, ''), ' ')")
                   + ") FROM interaction WHERE interaction.ticket_id = ticket.id), ''::tsvector))")

PG_DDL = [
    "CREATE TABLE IF NOT EXISTS ticket_words (ticket_id BIGINT PRIMARY KEY, words TSVECTOR NOT NULL)",
    # || over rows: the built-in tsvector_concat as an aggregate.
    """DO $$ BEGIN
         CREATE AGGREGATE sagicc_tsvector_agg(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '');
       EXCEPTION WHEN duplicate_function THEN NULL; END $$""",
    f"""CREATE OR REPLACE FUNCTION sagicc_ticket_words_set(tid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE v tsvector;
        BEGIN
          BEGIN
            SELECT {_PG_WORDS} INTO v FROM ticket WHERE ticket.id = tid;
          EXCEPTION WHEN program_limit_exceeded THEN
            SELECT {_PG_WORDS_SHORT} INTO v FROM ticket WHERE ticket.id = tid;
          END;
          IF v IS NULL THEN
            DELETE FROM ticket_words WHERE ticket_id = tid;
          ELSE
            INSERT INTO ticket_words(ticket_id, words) VALUES (tid, v)
              ON CONFLICT (ticket_id) DO UPDATE SET words = EXCLUDED.words;
          END IF;
        END $$""",
    """CREATE OR REPLACE FUNCTION sagicc_ticket_words_of_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN PERFORM sagicc_ticket_words_set(OLD.ticket_id); END IF;
          IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket_id IS DISTINCT FROM OLD.ticket_id) THEN
            PERFORM sagicc_ticket_words_set(NEW.ticket_id);
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE OR REPLACE FUNCTION sagicc_ticket_words_of_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            DELETE FROM ticket_words WHERE ticket_id = OLD.id;
          ELSE
            PERFORM sagicc_ticket_words_set(NEW.id);
          END IF;
          RETURN NULL;
        END $$""",
    "DROP TRIGGER IF EXISTS ticket_words_sync ON interaction",
    "CREATE TRIGGER ticket_words_sync AFTER INSERT OR DELETE OR UPDATE OF subject, content, ticket_id "
    "ON interaction FOR EACH ROW EXECUTE FUNCTION sagicc_ticket_words_of_message()",
    "DROP TRIGGER IF EXISTS ticket_words_sync ON ticket",
    "CREATE TRIGGER ticket_words_sync AFTER INSERT OR DELETE OR UPDATE OF description "
    "ON ticket FOR EACH ROW EXECUTE FUNCTION sagicc_ticket_words_of_ticket()",
]

PG_FILL = (f"INSERT INTO ticket_words(ticket_id, words) SELECT ticket.id, {_PG_WORDS} FROM ticket "
           f"ON CONFLICT (ticket_id) DO NOTHING")
PG_INDEX = "CREATE INDEX IF NOT EXISTS ix_ticket_words ON ticket_words USING gin (words)"


_PENDING = "status IN ('new', 'open', 'transferred', 'escalated')"


def upgrade() -> None:
    if dialect() == "sqlite":
        execute(SQLITE_DDL)
        op.execute("INSERT INTO ticket_words(ticket_words) VALUES('rebuild')")  # the messages already there
    elif dialect() == "postgresql":
        execute(PG_DDL)
        op.execute(PG_FILL)
        op.execute(PG_INDEX)
    create_index("ix_ticket_pending", "ticket",
                 ["campaign_id", "assignee_id", sa.literal_column("coalesce(next_task_at, 9000000000000)"),
                  sa.literal_column("coalesce(unread_at, 9000000000000)"), "created_at", "id"],
                 sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))
