"""The search box on PostgreSQL: what FTS5 does on SQLite, with GIN indexes.

SQLite searches through FTS5 tables (migrations.create_fts, tokenizer
``unicode61 remove_diacritics 2``): words are split at punctuation, compared
without case or accents, and every word of the query is a prefix that must
occur in the same row (ticket description; customer names and document;
message subject and text).

PostgreSQL gets the same behaviour from expression indexes, so nothing has to
be kept up to date by the code that writes (ingest, the editors, merges, the
demo's bulk load): a GIN index over

    to_tsvector('simple', fold(<columns>))

where fold() (fold_sql) is plain SQL: ``normalize(..., NFKD)`` splits "ó"
into "o" and a combining accent, ``regexp_replace`` drops the accents and
turns ASCII punctuation into spaces (so e-mails, hosts and numbers with
dashes split into words as in FTS5), and the ``simple`` dictionary
lower-cases. Every function involved is built in and IMMUTABLE: no extension
(unaccent, pg_trgm) is needed. The query side folds the search words in
Python the same way (``words``) and matches them as prefixes (``'gom':*``).

The SQL text of each expression is built once here and used verbatim by both
the index (migrations) and the queries: PostgreSQL only uses an expression
index for a query that spells the same expression. Changing fold_sql() means
new indexes (a new revision in local_store/revisions, whose pg_fold_v5.py
holds the frozen copy of today's), or the search stops using them.

The customer vector weighs first/middle names A and last names B (the
document stays unweighted), which lets the similar-customers search
(similar.py) say "first name X and a last name starting with Y" as FTS5's
column filters do.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Connection, cast, literal, literal_column
from sqlalchemy.dialects.postgresql import TSQUERY

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.text import strip_accents

# Index only this many characters of a text: a tsvector is limited to 1 MB.
MAX_CHARS = 100_000
# As the SQLite search (ticket_query.fts_query): at most this many words.
MAX_WORDS = 8
# A tsquery word is limited to 2 kB; longer ones are searched by their start.
MAX_WORD_CHARS = 200

# Combining diacritical marks, left over by the NFKD decomposition of "ó": the range
# domain.text.strip_accents removes (ACCENT_MARKS), spelled for PostgreSQL's regex.
_MARKS_SQL = r"[\u0300-\u036f]+"
# ASCII punctuation (every printable ASCII character but letters and digits).
_PUNCT_SQL = r"[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+"
_PUNCT_RE = re.compile(r"[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+")
_WORD = re.compile(r"[^\W_]+")


def fold_sql(expr: str) -> str:
    """SQL: ``expr`` decomposed (NFKD: "ó" is "o" and a mark, "ﬁ" is "fi"),
    without the marks, ASCII punctuation as spaces. All IMMUTABLE, built in
    (PostgreSQL 13+, a UTF8 database), fast."""
    return (f"regexp_replace(regexp_replace(normalize(left({expr}, {MAX_CHARS}), NFKD), "
            f"'{_MARKS_SQL}', '', 'g'), '{_PUNCT_SQL}', ' ', 'g')")


def _tsv(*columns: str) -> str:
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    return f"to_tsvector('simple', {fold_sql(joined)})"


CUSTOMER_TSV = (
    f"setweight({_tsv('customer.first_name', 'customer.middle_name')}, 'A') || "
    f"setweight({_tsv('customer.last_name', 'customer.second_last_name')}, 'B') || "
    f"{_tsv('customer.id_number')}"
)
TICKET_TSV = _tsv("ticket.description")
INTERACTION_TSV = _tsv("interaction.subject", "interaction.content")

#: name -> (table, indexed expression)
INDEXES = {
    "ix_customer_search": ("customer", CUSTOMER_TSV),
    "ix_ticket_search": ("ticket", TICKET_TSV),
    "ix_interaction_search": ("interaction", INTERACTION_TSV),
}


def create_indexes(conn: Connection) -> None:
    """The GIN search indexes (PostgreSQL only; SQLite has its FTS5 tables)."""
    if conn.dialect.name != "postgresql":
        return
    encoding = conn.exec_driver_sql("SHOW server_encoding").scalar_one()
    if str(encoding).upper() not in ("UTF8", "UTF-8"):
        raise StoreError(
            N_("The PostgreSQL database uses the {encoding} encoding; the store needs a UTF8 "
               "database (CREATE DATABASE ... ENCODING 'UTF8')."), encoding=encoding)
    for name, (table, expr) in INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expr}))")


# --- the query side ------------------------------------------------------------------------


def fold(text: str) -> str:
    """fold_sql() in Python."""
    return _PUNCT_RE.sub(" ", strip_accents(text[:MAX_CHARS]))


def words(text: str) -> list[str]:
    """The words of ``text`` as the index holds them (folded, lower case)."""
    return _WORD.findall(fold(text).lower())


def term(word: str, *, prefix: bool = True, weights: str = "") -> str:
    """One tsquery operand; ``word`` comes from words() (no quotes, no punctuation)."""
    return f"'{word}'" + (":*" if prefix else (":" if weights else "")) + weights


def prefix_query(text: str) -> str | None:
    """Every word of the search box as a prefix, all required; None without words."""
    found = words(text)[:MAX_WORDS]
    if not found:
        return None
    return " & ".join(term(w[:MAX_WORD_CHARS]) for w in found)


def matches(tsvector_sql: str, tsquery: str) -> ColumnElement[bool]:
    """``<indexed expression> @@ <tsquery>``; the query text is a bound value."""
    return literal_column(tsvector_sql).op("@@")(cast(literal(tsquery), TSQUERY))
