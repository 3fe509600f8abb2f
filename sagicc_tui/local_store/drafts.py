"""T9/T11 drafts: what the composer and the task form hold, kept as it is typed.

One row per user, ticket and form, replaced on every save (upsert) in its own
short write transaction: with WAL and synchronous=FULL a save that returned
is on disk, so the draft survives leaving the screen, a closed terminal or a
killed process. Sending the message (or saving the task) or Clear removes it.

A draft is the user's private scratch, not a change to the ticket: it bumps
no version, writes no change-log entry, and is kept even on a closed ticket
(so a colleague closing the ticket never makes typing fail).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Draft, User
from sagicc_tui.domain.ticket_screen import DRAFT_FORMS, draft_json
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import from_epoch
from sagicc_tui.local_store.core import Store

dr = schema.DraftRow.__table__


def _check_form(form: str) -> str:
    if form not in DRAFT_FORMS:
        raise InvalidInput(N_("{form} is not a draft form; use composer or task."), form=form)
    return form


def save(store: Store, conn: Connection, user: User, ticket_id: int, form: str, data: dict[str, Any]) -> Draft:
    _check_form(form)
    reads.get(store, conn, user, ticket_id=ticket_id)
    text = draft_json(data)
    now = store.now()
    key = (dr.c.user_id == user.id, dr.c.ticket_id == ticket_id, dr.c.form == form)
    if conn.execute(update(dr).where(*key).values(data=text, updated_at=now)).rowcount == 0:
        conn.execute(insert(dr).values(user_id=user.id, ticket_id=ticket_id, form=form, data=text, updated_at=now))
    return Draft(user_id=user.id, ticket_id=ticket_id, form=form, data=json.loads(text), updated_at=from_epoch(now))


def get(store: Store, conn: Connection, user: User, ticket_id: int, form: str) -> Draft | None:
    _check_form(form)
    reads.get(store, conn, user, ticket_id=ticket_id)
    row = conn.execute(select(dr).where(dr.c.user_id == user.id, dr.c.ticket_id == ticket_id, dr.c.form == form)).first()
    if row is None:
        return None
    return Draft(user_id=row.user_id, ticket_id=row.ticket_id, form=row.form, data=json.loads(row.data or "{}"),
                 updated_at=from_epoch(row.updated_at))


def clear(store: Store, conn: Connection, user: User, ticket_id: int, form: str) -> None:
    """No scope check: clearing my own draft must work after the ticket left my scope."""
    _check_form(form)
    conn.execute(delete(dr).where(dr.c.user_id == user.id, dr.c.ticket_id == ticket_id, dr.c.form == form))
