"""Similar customers (T4): candidates through indexes, scoring in domain/similarity.

Never a scan of the customer base. Candidates come from:
- the same document number (the id_number index; with and without a NIT's
  check digit);
- the same normalised phone or e-mail (the contact_info.normalized index);
- the search index (customer_fts, accents folded): the first name word and
  a last name word, and, for typos, the first name with the first two
  letters of a last name. At most MAX_NAME_CANDIDATES of these are scored.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy import text as sql_text

from sagicc_tui.domain.customers import SimilarCustomer
from sagicc_tui.domain.enums import ContactKind, CustomerType
from sagicc_tui.domain.models import User
from sagicc_tui.domain.similarity import CustomerFacts, fold, rank
from sagicc_tui.local_store import customers as cs
from sagicc_tui.local_store import schema
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
    for r in conn.execute(select(ct.customer_id, ct.kind, ct.normalized).where(ct.customer_id.in_(ids))):
        if r.kind == EMAIL:
            emails.setdefault(r.customer_id, set()).add(r.normalized)
        elif r.kind in cs.PHONE_KINDS and r.normalized:
            phones.setdefault(r.customer_id, set()).add(r.normalized)
    return [
        CustomerFacts(id=r.id, id_type=r.id_type, id_number=r.id_number, name=cs.row_name(r),
                      phones=frozenset(phones.get(r.id, ())), emails=frozenset(emails.get(r.id, ())))
        for r in rows
    ]


def _fts_ids(conn: Connection, match: str, limit: int) -> list[int]:
    return [r[0] for r in conn.execute(
        sql_text("SELECT rowid FROM customer_fts WHERE customer_fts MATCH :q LIMIT :n"), {"q": match, "n": limit})]


def _quoted(word: str, prefix: bool = False) -> str:
    return '"' + word.replace('"', "") + '"' + ("*" if prefix else "")


def _name_candidates(conn: Connection, row, dialect: str) -> set[int]:
    if dialect != "sqlite":
        return set()
    first = fold(row.first_name).split()
    if row.type == CustomerType.COMPANY.value:
        words = [w for w in first if len(w) > 2][:4]
        if not words:
            return set()
        return set(_fts_ids(conn, " AND ".join(_quoted(w) for w in words), MAX_NAME_CANDIDATES))
    lasts = [w for w in fold(f"{row.last_name} {row.second_last_name}").split() if len(w) > 1][:2]
    if not first or not lasts:
        return set()
    names = "{first_name middle_name}"
    surnames = "{last_name second_last_name}"
    exact = " OR ".join(_quoted(w) for w in lasts)
    found = set(_fts_ids(conn, f"{names} : {_quoted(first[0])} AND {surnames} : ({exact})", MAX_NAME_CANDIDATES))
    if len(found) < MAX_NAME_CANDIDATES:
        typo = " OR ".join(_quoted(w[:2], prefix=True) for w in lasts)
        found |= set(_fts_ids(conn, f"{names} : {_quoted(first[0])} AND {surnames} : ({typo})",
                              MAX_NAME_CANDIDATES - len(found)))
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
