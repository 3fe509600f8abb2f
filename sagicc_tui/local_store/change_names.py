"""The change log names what its ids point to (T3): `customer_id 8275 -> 3515` reads as
the two customers' names. Resolved when the log is read, in one place.

A customer merged away or deleted is gone when the log is read, so the merge
and the delete write the display name it had into the log (`kept_name`, in
their transaction) and it is read from there. An id with neither a row nor a
kept name (a deleted account; a customer removed by a store written before
names were kept) keeps an empty name, and the UI says so."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, select

from sagicc_tui.domain.enums import ChangeKind, EntityKind
from sagicc_tui.domain.labels import ID_FIELDS
from sagicc_tui.domain.models import ChangeLogEntry
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.core import LogLine

#: The field of the line that keeps a removed customer's name (previous = the name).
KEPT_NAME = "name"


def kept_name(customer_id: int, name: str) -> LogLine:
    """The line a merge or a delete writes so the customer's name outlives its row."""
    return LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CUSTOMER_DELETED, KEPT_NAME, name, "")


def _ids(entries: list[ChangeLogEntry], what: str) -> set[int]:
    return {int(v) for e in entries if ID_FIELDS.get(e.field) == what
            for v in (e.previous, e.new) if v and v.isdigit()}


def _customers(conn: Connection, ids: set[int]) -> dict[int, str]:
    cu = schema.CustomerRow.__table__.c
    rows = conn.execute(select(cu.id, cu.first_name, cu.middle_name, cu.last_name, cu.second_last_name)
                        .where(cu.id.in_(ids))) if ids else []
    found = {r.id: " ".join(p for p in (r.first_name, r.middle_name, r.last_name, r.second_last_name) if p)
             for r in rows}
    return found | _kept(conn, ids - set(found))


def _kept(conn: Connection, ids: set[int]) -> dict[int, str]:
    """The names removed customers had, as their merge or delete kept them."""
    cl = schema.ChangeLogRow.__table__.c
    rows = conn.execute(select(cl.entity_id, cl.previous).where(
        cl.entity == EntityKind.CUSTOMER.value, cl.entity_id.in_(ids), cl.kind == ChangeKind.CUSTOMER_DELETED.value,
        cl.field == KEPT_NAME).order_by(cl.id)) if ids else []
    return {r.entity_id: r.previous for r in rows if r.previous}


def _accounts(conn: Connection, ids: set[int]) -> dict[int, str]:
    ac = schema.AccountRow.__table__.c
    rows = conn.execute(select(ac.id, ac.number, ac.name).where(ac.id.in_(ids))) if ids else []
    return {r.id: f"{r.number} ({r.name})" if r.name else r.number for r in rows}


def _campaigns(conn: Connection, ids: set[int]) -> dict[int, str]:
    ca = schema.CampaignRow.__table__.c
    rows = conn.execute(select(ca.id, ca.name).where(ca.id.in_(ids))) if ids else []
    return {r.id: r.name for r in rows}


def with_names(conn: Connection, entries: list[ChangeLogEntry]) -> list[ChangeLogEntry]:
    names = {"customer": _customers(conn, _ids(entries, "customer")),
             "account": _accounts(conn, _ids(entries, "account")),
             "campaign": _campaigns(conn, _ids(entries, "campaign"))}

    def name(field: str, value: str) -> str:
        what = ID_FIELDS.get(field)
        return names[what].get(int(value), "") if what and value.isdigit() else ""

    return [replace(e, previous_name=name(e.field, e.previous), new_name=name(e.field, e.new))
            if e.field in ID_FIELDS else e for e in entries]
