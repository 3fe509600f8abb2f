"""The change log names what its ids point to (T3): `customer_id 8275 -> 3515` reads as
the two customers' names. Resolved when the log is read, in one place; an id whose
row is gone (a merged-away customer, a deleted account) keeps an empty name, and
the UI says so."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, select

from sagicc_tui.domain.labels import ID_FIELDS
from sagicc_tui.domain.models import ChangeLogEntry
from sagicc_tui.local_store import schema


def _ids(entries: list[ChangeLogEntry], what: str) -> set[int]:
    return {int(v) for e in entries if ID_FIELDS.get(e.field) == what
            for v in (e.previous, e.new) if v and v.isdigit()}


def _customers(conn: Connection, ids: set[int]) -> dict[int, str]:
    cu = schema.CustomerRow.__table__.c
    rows = conn.execute(select(cu.id, cu.first_name, cu.middle_name, cu.last_name, cu.second_last_name)
                        .where(cu.id.in_(ids))) if ids else []
    return {r.id: " ".join(p for p in (r.first_name, r.middle_name, r.last_name, r.second_last_name) if p)
            for r in rows}


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
