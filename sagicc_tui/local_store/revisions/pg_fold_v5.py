"""The PostgreSQL search folding of schema 5 (textsearch.py then), frozen.

Revisions 0005, 0007 and 0015 build their index expressions and trigger
functions from these strings. Never edit them: PostgreSQL uses an
expression index only for a query spelling the same expression, and an old
revision must create what it created then. A new folding is a new module
and a new revision.
"""

from __future__ import annotations

MAX_CHARS = 100_000
_MARKS_SQL = r"[\u0300-\u036f]+"
_PUNCT_SQL = r"[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+"


def fold_sql(expr: str) -> str:
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
