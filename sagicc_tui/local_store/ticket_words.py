"""The ticket-level message index: one search row per ticket (L6, issue #16).

The message search used to match messages (one FTS5 row, or one GIN entry,
per interaction) and then map every matching message to its ticket: for a
common word ("factura", 234,626 messages at 1M tickets) that mapping -- one
primary-key lookup per message, then a sort of the distinct tickets -- cost
about half a second, however few cards the page shows. This index holds,
per ticket, the words of all its messages (subject and text), so a word
resolves straight to ticket ids.

Semantics: a one-word search ("factura") matches a ticket when some message
holds the word; that is exactly "the ticket's messages hold the word", so
this index answers it. A search of several words must find them all in ONE
message (as before); the ticket-level row cannot tell messages apart, so
ticket_query keeps the per-message indexes for those (they intersect inside
the index and are selective). tests/test_ticket_words.py compares both
paths on seeded stores.

SQLite: an FTS5 table ``ticket_words`` with external content (the view
``ticket_words_doc``: the concatenated messages of each ticket), kept up to
date by triggers on ``interaction`` in the same transaction as the message
write. FTS5 needs the old text to remove a row, so a BEFORE trigger removes
the ticket's row while its old messages are still there and an AFTER trigger
adds it back from the new ones. ``detail=none``: only "which tickets", no
positions -- the search uses prefixes, never phrases.

PostgreSQL: a table ``ticket_words(ticket_id, words)`` whose ``words`` is the
stripped tsvector of the ticket's messages -- the concatenation of each
message's own vector (textsearch.INTERACTION_TSV), so the folding is the
message index's -- with a GIN index, kept by a trigger on ``interaction``.
``words`` also holds the ticket's campaign as the lexeme ``~c<id>`` (no
folded word starts with "~", and no search term can match it), so a search
within campaigns is one GIN lookup of the word AND the campaigns' lexemes: a
word common in one campaign and rare in another ("envio" at 1M: 19,009
tickets, none in campaign 1) no longer hashes every match to filter them by
campaign. A trigger on ``ticket`` keeps the lexeme when a ticket changes
campaign.

Every statement is idempotent (IF NOT EXISTS / OR REPLACE). A new store and
a bulk load run ``create``; an upgraded store got the same statements from
the frozen revisions 0007, 0015 and 0018 (local_store/revisions), so a change here
is a new revision too -- tests/test_revisions.py compares the two stores.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

from sqlalchemy import Connection, column, literal, select, table

from sagicc_tui.local_store import textsearch

TOKENIZE = "unicode61 remove_diacritics 2"  # as the FTS5 tables of migrations.create_fts

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


def _pg_tag(campaign_id: str) -> str:
    """SQL: the campaign's lexeme as a tsvector (see the module's docstring)."""
    return f"CAST('~c' || {campaign_id} AS tsvector)"


def pg_in_campaigns(q: str, campaign_ids: tuple[int, ...]) -> str:
    """The tsquery ``q`` limited to tickets of these campaigns."""
    tags = " | ".join(f"'~c{int(c)}'" for c in sorted(campaign_ids))
    return f"({q}) & ({tags})"


# The ticket row's vector: its description's (textsearch.TICKET_TSV) and each
# of its messages' (textsearch.INTERACTION_TSV), positions stripped, and its campaign.
_PG_WORDS = (f"strip({textsearch.TICKET_TSV} || coalesce((SELECT sagicc_tsvector_agg({textsearch.INTERACTION_TSV}) "
             f"FROM interaction WHERE interaction.ticket_id = ticket.id), ''::tsvector)) || "
             f"{_pg_tag('ticket.campaign_id')}")
# Past a tsvector's 1 MB: the description and the start of the messages' text.
_PG_WORDS_SHORT = (f"strip({textsearch.TICKET_TSV} || coalesce((SELECT to_tsvector('simple', "
                   + textsearch.fold_sql("string_agg(coalesce(interaction.subject, '') || ' ' || "
                                         "coalesce(interaction.content, ''), ' ')")
                   + f") FROM interaction WHERE interaction.ticket_id = ticket.id), ''::tsvector)) || "
                   f"{_pg_tag('ticket.campaign_id')}")

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
    # A new message adds its own words to its ticket's row (the union of
    # stripped vectors is what the whole rebuild computes): rebuilding from
    # every message made each message of a long conversation cost the whole
    # conversation (5,000 messages: quadratic). Changes and deletes rebuild.
    f"""CREATE OR REPLACE FUNCTION sagicc_ticket_words_of_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            BEGIN
              INSERT INTO ticket_words(ticket_id, words)
                SELECT NEW.ticket_id, strip({textsearch.INTERACTION_TSV}) || {_pg_tag('ticket.campaign_id')}
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
    "CREATE TRIGGER ticket_words_sync AFTER INSERT OR DELETE OR UPDATE OF description, campaign_id "
    "ON ticket FOR EACH ROW EXECUTE FUNCTION sagicc_ticket_words_of_ticket()",
]

PG_FILL = (f"INSERT INTO ticket_words(ticket_id, words) SELECT ticket.id, {_PG_WORDS} FROM ticket "
           f"ON CONFLICT (ticket_id) DO NOTHING")
PG_INDEX = "CREATE INDEX IF NOT EXISTS ix_ticket_words ON ticket_words USING gin (words)"


def create(conn: Connection, *, rebuild: bool) -> None:
    """The index, its triggers and (``rebuild``) its content from the messages
    already there. Idempotent."""
    if conn.dialect.name == "sqlite":
        for stmt in SQLITE_DDL:
            conn.exec_driver_sql(stmt)
        if rebuild:
            conn.exec_driver_sql("INSERT INTO ticket_words(ticket_words) VALUES('rebuild')")
        return
    if conn.dialect.name == "postgresql":
        present = conn.exec_driver_sql("SELECT to_regclass('ticket_words')").scalar() is not None
        for stmt in PG_DDL:
            conn.exec_driver_sql(stmt)
        if rebuild or not present:
            conn.exec_driver_sql(PG_FILL)
        conn.exec_driver_sql(PG_INDEX)


# --- the query side ------------------------------------------------------------------------------

#: Above this many estimated matches a page walks its order index and tests
#: each ticket against the match lists (materialised once); below, it looks
#: the matching tickets up one by one and sorts them. At 1M tickets "factura"
#: (187,732 tickets) fills a page after ~500 index steps instead of 187,732
#: lookups and a sort; a document number looks up its 3 tickets instead of
#: walking half a million index entries.
WALK_ABOVE = 3000
#: A prefix that stands for at most this many words is searched as those
#: words: FTS5 merges a prefix's lists into a buffer first (33 ms for
#: "factura*" at 1M tickets, 9 ms for the word).
MAX_EXPANDED = 32


#: How many of a word's matching tickets are looked at to tell how many of
#: them are in the searched campaigns (one primary-key lookup each: ~0.3 ms).
SAMPLE = 200


@dataclass(frozen=True, slots=True)
class WordPlan:
    """How to search one word (SQLite): the FTS5 query for ticket_words and
    about how many tickets match, through their messages and descriptions
    (``in_messages``) and through their customers (``in_customers``)."""

    match: str
    in_messages: int
    in_customers: int = 0

    @property
    def estimate(self) -> int:
        return self.in_messages + self.in_customers


def plan(conn: Connection, word: str, prefix_query: str) -> WordPlan:
    """The words of the index a prefix stands for (term statistics, 1-3 ms)
    and how many tickets they are in, through messages, descriptions and
    customers."""
    low = textsearch.fold(word).lower()  # as the index holds its terms (remove_diacritics)
    if not low:
        return WordPlan(prefix_query, 0)
    high = low[:-1] + chr(ord(low[-1]) + 1)
    terms = conn.exec_driver_sql(
        "SELECT term, doc FROM ticket_words_vocab WHERE term >= ? AND term < ? LIMIT ?",
        (low, high, MAX_EXPANDED + 1)).all()
    customers = conn.exec_driver_sql(
        "SELECT coalesce(sum(doc), 0) FROM customer_fts_vocab WHERE term >= ? AND term < ?", (low, high)).scalar()
    # A customer has about three tickets (demo and real stores alike).
    in_messages, in_customers = sum(doc for _, doc in terms), 3 * int(customers or 0)
    if not terms:
        return WordPlan(prefix_query, in_messages, in_customers)
    if len(terms) > MAX_EXPANDED:
        return WordPlan(prefix_query, max(in_messages, WALK_ABOVE + 1), in_customers)
    return WordPlan(" OR ".join('"' + term.replace('"', '""') + '"' for term, _ in terms), in_messages,
                    in_customers)


def in_campaigns(conn: Connection, words: WordPlan, campaign_ids: tuple[int, ...]) -> int:
    """About how many of the matching tickets are in these campaigns (all
    campaigns: every match). The index's statistics count the whole store,
    and a word common in one campaign can be rare in another: a page of that
    other campaign walked all of its order index ("envio" at 1M tickets:
    19,120 matches, almost none in campaign 1, 295 ms). The share among the
    first SAMPLE matches says which; customers' tickets are counted whole
    (they are looked up by customer, never walked for)."""
    if not campaign_ids or words.in_messages == 0:
        return words.estimate
    rows = conn.exec_driver_sql(
        "SELECT ticket.campaign_id FROM (SELECT rowid AS id FROM ticket_words WHERE ticket_words MATCH ? "
        "LIMIT ?) AS m JOIN ticket ON ticket.id = m.id", (words.match, SAMPLE)).all()
    if not rows:
        return words.in_customers
    wanted = set(campaign_ids)
    share = sum(1 for (campaign,) in rows if campaign in wanted) / len(rows)
    return int(words.in_messages * share) + words.in_customers


def matches_up_to(conn: Connection, match: str, n: int, *, index: str = "ticket_words") -> int:
    """How many rows of the FTS5 table ``index`` (ticket_words: tickets;
    interaction_fts: messages) match ``match``, counting no further than ``n``."""
    assert index in ("ticket_words", "interaction_fts")
    return conn.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT rowid FROM {index} WHERE {index} MATCH ? LIMIT ?)",
        (match, n)).scalar_one()


def sqlite_match() -> str:
    """SQL: the ids of tickets whose description or messages match the FTS5 query ``:words``."""
    return "SELECT rowid FROM ticket_words WHERE ticket_words MATCH :words"


#: How long a process trusts what it read of PostgreSQL's word statistics (s).
PG_STATS_TTL = 60.0
_pg_counts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (read at, word -> tickets)


def pg_common(conn: Connection, *, above: int) -> frozenset[str]:
    """Words of ticket_words in more than ``above`` tickets, by the planner's
    statistics (ANALYZE keeps the most common elements of ``words`` with the
    share of rows holding each; the bulk load analyses the table). Empty
    before any ANALYZE. Kept a minute per store."""
    kept = _pg_counts.get(conn.engine)
    if kept is None or time.monotonic() - kept[0] >= PG_STATS_TTL:
        row = conn.exec_driver_sql(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_stats AS s "
            "JOIN pg_class AS c ON c.oid = to_regclass('ticket_words') WHERE s.schemaname = current_schema() "
            "AND s.tablename = 'ticket_words' AND s.attname = 'words'").first()
        counts: dict[str, float] = {}
        if row is not None and row[0] and row[1]:
            counts = {w: share * max(row[2], 0) for w, share in zip(row[0], row[1])}
        kept = _pg_counts[conn.engine] = (time.monotonic(), counts)
    return frozenset(w for w, n in kept[1].items() if n > above)


_WORDS_TABLE = table("ticket_words", column("ticket_id"))


def pg_has_word(ticket_id, q: str):
    """SQL: the ticket's description or messages match the tsquery ``q``, tested
    for that one ticket. OFFSET 0 keeps PostgreSQL from turning the EXISTS into
    a hash of every ticket that matches (it drops a LIMIT there, not an OFFSET)."""
    return select(literal(1)).select_from(_WORDS_TABLE).where(
        _WORDS_TABLE.c.ticket_id == ticket_id, textsearch.matches("ticket_words.words", q)).offset(0).exists()


def pg_match() -> str:
    """SQL: the ids of tickets whose description or messages match the tsquery
    ``:q`` (with pg_in_campaigns: and that are in those campaigns)."""
    return "SELECT ticket_id FROM ticket_words WHERE words @@ CAST(:q AS tsquery)"
