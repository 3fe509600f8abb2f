"""Schema 18 (#16): PostgreSQL's ticket-level word index holds each ticket's
campaign as the lexeme ``~c<id>``, kept when a ticket changes campaign, so a
search within campaigns is one GIN lookup (the word AND the campaigns'
lexemes) instead of hashing every match of a word that is common in another
campaign. The rows already there get their lexeme. Nothing changes in a
SQLite store.
"""

from __future__ import annotations

from alembic import op

from sagicc_tui.local_store.revisions.guards import dialect
from sagicc_tui.local_store.revisions.pg_fold_v5 import INTERACTION_TSV, TICKET_TSV, fold_sql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TAG = "CAST('~c' || ticket.campaign_id AS tsvector)"

_PG_WORDS = (f"strip({TICKET_TSV} || coalesce((SELECT sagicc_tsvector_agg({INTERACTION_TSV}) "
             f"FROM interaction WHERE interaction.ticket_id = ticket.id), ''::tsvector)) || {_TAG}")
_PG_WORDS_SHORT = (f"strip({TICKET_TSV} || coalesce((SELECT to_tsvector('simple', "
                   + fold_sql("string_agg(coalesce(interaction.subject, '') || ' ' || "
                              "coalesce(interaction.content, ''), ' ')")
                   + f") FROM interaction WHERE interaction.ticket_id = ticket.id), ''::tsvector)) || {_TAG}")

_SET = f"""CREATE OR REPLACE FUNCTION sagicc_ticket_words_set(tid BIGINT) RETURNS void LANGUAGE plpgsql AS $$
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
        END $$"""

_OF_MESSAGE = f"""CREATE OR REPLACE FUNCTION sagicc_ticket_words_of_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            BEGIN
              INSERT INTO ticket_words(ticket_id, words)
                SELECT NEW.ticket_id, strip({INTERACTION_TSV}) || {_TAG}
                FROM interaction JOIN ticket ON ticket.id = interaction.ticket_id WHERE interaction.id = NEW.id
                ON CONFLICT (ticket_id) DO UPDATE SET words = ticket_words.words || EXCLUDED.words;
            EXCEPTION WHEN program_limit_exceeded THEN
              PERFORM sagicc_ticket_words_set(NEW.ticket_id);
            END;
            RETURN NULL;
          END IF;
          PERFORM sagicc_ticket_words_set(OLD.ticket_id);
          IF TG_OP = 'UPDATE' AND NEW.ticket_id IS DISTINCT FROM OLD.ticket_id THEN
            PERFORM sagicc_ticket_words_set(NEW.ticket_id);
          END IF;
          RETURN NULL;
        END $$"""


def upgrade() -> None:
    if dialect() != "postgresql":
        return
    op.execute(_SET)
    op.execute(_OF_MESSAGE)
    op.execute("DROP TRIGGER IF EXISTS ticket_words_sync ON ticket")
    op.execute("CREATE TRIGGER ticket_words_sync AFTER INSERT OR DELETE OR UPDATE OF description, campaign_id "
               "ON ticket FOR EACH ROW EXECUTE FUNCTION sagicc_ticket_words_of_ticket()")
    op.execute(f"UPDATE ticket_words SET words = ticket_words.words || {_TAG} FROM ticket "
               f"WHERE ticket.id = ticket_words.ticket_id")
