"""L11: saved ticket-list views, per user. A view is a named TicketQuery."""

from __future__ import annotations

import json

from sqlalchemy import Connection, delete, insert, select, update

from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.domain.query import (
    SavedView,
    TicketQuery,
    query_from_dict,
    query_to_dict,
)
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.convert import from_epoch
from sagicc_tui.local_store.core import Store

V = schema.SavedViewRow.__table__
v = V.c
MAX_NAME = 60
MAX_LINE = 500
LINE_KEY = "_line"  # beside the query's own keys in the stored JSON


def _view(r) -> SavedView:
    line = ""
    try:
        data = json.loads(r.query)
        line = str(data.pop(LINE_KEY, "") or "")
        query = query_from_dict(data)
    except (ValueError, TypeError, AttributeError):
        query = TicketQuery()  # a view this version cannot read opens as "no filters"
    return SavedView(id=r.id, name=r.name, query=query, updated_at=from_epoch(r.updated_at), line=line)


def list_views(store: Store, conn: Connection, user: User) -> list[SavedView]:
    rows = conn.execute(select(V).where(v.user_id == user.id).order_by(v.name))
    return [_view(r) for r in rows]


def save_view(store: Store, conn: Connection, user: User, name: str, query: TicketQuery,
              line: str = "") -> SavedView:
    """Create the view, or replace the filters of the user's view with that name."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(N_("Give the view a name."))
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("The view name is too long; use at most {max} characters."), max=MAX_NAME)
    now = store.now()
    if len(line) > MAX_LINE:
        raise InvalidInput(N_("The query line is too long for a view; use at most {max} characters."), max=MAX_LINE)
    # The line travels inside the query's JSON: no column of its own to migrate.
    data = json.dumps(query_to_dict(query) | ({LINE_KEY: " ".join(line.split())} if line.strip() else {}),
                      ensure_ascii=False)
    existing = conn.execute(select(v.id).where(v.user_id == user.id, v.name == name)).scalar()
    if existing is None:
        conn.execute(insert(V).values(user_id=user.id, name=name, query=data, created_at=now, updated_at=now))
    else:
        conn.execute(update(V).where(v.id == existing).values(query=data, updated_at=now))
    row = conn.execute(select(V).where(v.user_id == user.id, v.name == name)).one()
    return _view(row)


def delete_view(store: Store, conn: Connection, user: User, view_id: int) -> None:
    # Only one's own views: someone else's id reads as missing.
    if conn.execute(delete(V).where(v.id == view_id, v.user_id == user.id)).rowcount != 1:
        raise NotFound(N_("That view no longer exists."))
