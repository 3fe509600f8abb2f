"""Similar customers (T4): candidates through indexes, scoring in domain/similarity.

Never a scan of the customer base. Candidates come from:
- the same document number (the id_number index; with and without a NIT's
  check digit);
- the same normalised phone or e-mail (the contact_info.normalized index);
- the search index (customer_fts on SQLite, textsearch's GIN index on
  PostgreSQL; accents folded): the first name word and
  a last name word, and, for typos, the first name with the first two
  letters of a last name. At most MAX_NAME_CANDIDATES of these are scored.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy import text as sql_text

from sagicc_tui.domain.customers import SimilarCustomer
from sagicc_tui.domain.enums import ContactKind, CustomerType
from sagicc_tui.domain.models import User
from sagicc_tui.domain.phones import match_keys
from sagicc_tui.domain.similarity import CustomerFacts, rank
from sagicc_tui.domain.text import fold
from sagicc_tui.local_store import customers as cs
from sagicc_tui.local_store import schema, textsearch
from sagicc_tui.local_store.core import Store

MAX_NAME_CANDIDATES = 300
MAX_CONTACT_CANDIDATES = 200
EMAIL = ContactKind.EMAIL.value
customer = cs.customer
cu = cs.cu
contact = schema.ContactRow.__table__
ct = contact.c


def _facts(conn: Connection, ids: list[int]) -> list[CustomerFacts]:
    if not ids:
        return []
    rows = conn.execute(select(*cs.LIST_COLUMNS).where(cu.id.in_(ids))).all()
    phones: dict[int, set[str]] = {}
    emails: dict[int, set[str]] = {}
    for r in conn.execute(select(ct.customer_id, ct.kind, ct.value, ct.normalized).where(ct.customer_id.in_(ids))):
        if r.kind == EMAIL:
            emails.setdefault(r.customer_id, set()).add(r.normalized)
        elif r.kind in cs.PHONE_KINDS and r.normalized:
            # Every key of the number: rows stored before E.164 meet the new ones (#15.9).
            phones.setdefault(r.customer_id, set()).update({r.normalized, *match_keys(r.value)})
    return [
        CustomerFacts(id=r.id, id_type=r.id_type, id_number=r.id_number, name=cs.row_name(r),
                      phones=frozenset(phones.get(r.id, ())), emails=frozenset(emails.get(r.id, ())))
        for r in rows
    ]


def _fts_ids(conn: Connection, match: str, limit: int, dialect: str) -> list[int]:
    if dialect != "sqlite":  # a tsquery over the GIN index of textsearch.py
        stmt = select(cu.id).where(textsearch.matches(textsearch.CUSTOMER_TSV, match)).limit(limit)
        return [r[0] for r in conn.execute(stmt)]
    return [r[0] for r in conn.execute(
        sql_text("SELECT rowid FROM customer_fts WHERE customer_fts MATCH :q LIMIT :n"), {"q": match, "n": limit})]


def _quoted(word: str, prefix: bool = False) -> str:
    return '"' + word.replace('"', "") + '"' + ("*" if prefix else "")


class _Fts5:
    """The candidate queries in FTS5 syntax (SQLite: customer_fts)."""

    words = staticmethod(lambda text: fold(text).split())

    @staticmethod
    def all_of(words: list[str]) -> str:
        return " AND ".join(_quoted(w) for w in words)

    @staticmethod
    def name_and_surname(first: str, lasts: list[str], prefix: bool) -> str:
        surnames = " OR ".join(_quoted(w, prefix=prefix) for w in lasts)
        return f"{{first_name middle_name}} : {_quoted(first)} AND {{last_name second_last_name}} : ({surnames})"


class _TsQuery:
    """The same queries as a tsquery (PostgreSQL): weight A is the first and
    middle names, B the last names (textsearch.CUSTOMER_TSV)."""

    @staticmethod
    def words(text: str) -> list[str]:
        return [w for w in textsearch.words(text) if len(w) <= textsearch.MAX_WORD_CHARS]

    @staticmethod
    def all_of(words: list[str]) -> str:
        return " & ".join(textsearch.term(w, prefix=False) for w in words)

    @staticmethod
    def name_and_surname(first: str, lasts: list[str], prefix: bool) -> str:
        surnames = " | ".join(textsearch.term(w, prefix=prefix, weights="B") for w in lasts)
        return f"{textsearch.term(first, prefix=False, weights='A')} & ({surnames})"


def _name_candidates(conn: Connection, row, dialect: str) -> set[int]:
    syntax = _Fts5 if dialect == "sqlite" else _TsQuery
    first = syntax.words(row.first_name)
    if row.type == CustomerType.COMPANY.value:
        words = [w for w in first if len(w) > 2][:4]
        if not words:
            return set()
        return set(_fts_ids(conn, syntax.all_of(words), MAX_NAME_CANDIDATES, dialect))
    lasts = [w for w in syntax.words(f"{row.last_name} {row.second_last_name}") if len(w) > 1][:2]
    if not first or not lasts:
        return set()
    found = set(_fts_ids(conn, syntax.name_and_surname(first[0], lasts, prefix=False), MAX_NAME_CANDIDATES,
                         dialect))
    if len(found) < MAX_NAME_CANDIDATES:
        typo = [w[:2] for w in lasts]
        found |= set(_fts_ids(conn, syntax.name_and_surname(first[0], typo, prefix=True),
                              MAX_NAME_CANDIDATES - len(found), dialect))
    return found


def similar(store: Store, conn: Connection, user: User, customer_id: int, limit: int) -> list[SimilarCustomer]:
    store.fresh_user(conn, user)
    row = cs.customer_row(conn, customer_id)
    (subject,) = _facts(conn, [customer_id])
    ids: set[int] = set()
    doc = row.id_number.strip()
    if len(doc) >= 5:
        variants = {doc, doc.split("-")[0]} if row.id_type == "nit" else {doc}
        ids |= {r[0] for r in conn.execute(select(cu.id).where(cu.id_number.in_(sorted(variants))).limit(100))}
        if row.id_type == "nit":  # the same NIT stored with its check digit
            base = doc.split("-")[0]
            ids |= {r[0] for r in conn.execute(select(cu.id).where(cs._prefix(cu.id_number, base + "-")).limit(100))}
    values = sorted(subject.phones | subject.emails)
    if values:
        ids |= {r[0] for r in conn.execute(
            select(ct.customer_id).where(ct.normalized.in_(values)).limit(MAX_CONTACT_CANDIDATES))}
    ids |= _name_candidates(conn, row, store.dialect)
    ids.discard(customer_id)
    ranked = rank(subject, _facts(conn, sorted(ids)), max(1, min(limit, 100)))
    if not ranked:
        return []
    items = {r.id: cs.item_from_row(r) for r in conn.execute(
        select(*cs.LIST_COLUMNS).where(cu.id.in_([f.id for f, _ in ranked])))}
    return [
        SimilarCustomer(customer=items[f.id], percentage=s.percentage, reasons=s.reasons, name_score=s.name_score)
        for f, s in ranked
    ]
