"""Schema 15: the ticket-level word index's PostgreSQL trigger adds a new
message's words to its ticket's row instead of rebuilding it from every
message (#16: each message of a 5,000-message conversation re-read all 5,000).
Nothing changes in a SQLite store.
"""

from __future__ import annotations

from alembic import op

from sagicc_tui.local_store.revisions.guards import dialect
from sagicc_tui.local_store.revisions.pg_fold_v5 import INTERACTION_TSV

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# A new message adds its own words to its ticket's row (the union of stripped
# vectors is what the whole rebuild computes). Changes and deletes rebuild.
_OF_MESSAGE = f"""CREATE OR REPLACE FUNCTION sagicc_ticket_words_of_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            BEGIN
              INSERT INTO ticket_words(ticket_id, words)
                SELECT NEW.ticket_id, strip({INTERACTION_TSV}) FROM interaction WHERE interaction.id = NEW.id
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
    if dialect() == "postgresql":
        op.execute(_OF_MESSAGE)
