"""T3 external-view links: how long they live, who may still share them (#10.10).

A link is the unguessable token of a ticket's read-only page. It works while
all of these hold:

- it has not expired: SAGICC_EXTERNAL_VIEW_DAYS after it was made (default 7);
- nobody revoked it (options menu, API, `sagicc external-views revoke`);
- its creator could still open the ticket: an active user whose scope still
  includes it. A ticket reassigned away from an agent takes the agent's link
  with it; a disabled creator, or one whose server tokens an administrator
  revoked (`sagicc users revoke`, which revokes their links too), shares
  nothing any more.

Closing the ticket does not end the link. The manual's external view is for
"customers ... to view ticket information at any time", and the outcome of a
closed case is what a customer most wants to see; a closed ticket is final
(nothing reopens it, a new message opens a new ticket), so the page no
longer changes, and the expiry still bounds how long it is out there.

Asking for the external view again while the link works keeps its address
(and renders the page anew); once it expired or was revoked, a new token is
made: an old address never comes back to life.
"""

from __future__ import annotations

import os
import secrets

from sqlalchemy import Connection, select, update

from sagicc_tui.domain.enums import ChangeKind, EntityKind, Role
from sagicc_tui.domain.errors import NotFound, PermissionDenied, StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Ticket, User
from sagicc_tui.domain.ticket_screen import ExternalLink
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import from_epoch
from sagicc_tui.local_store.core import LogLine, Store

DEFAULT_DAYS = 7.0

ev = schema.ExternalViewRow.__table__
t = schema.ticket
us = schema.UserRow.__table__


def lifetime_seconds() -> int:
    """SAGICC_EXTERNAL_VIEW_DAYS (default 7): how long a new link works."""
    raw = os.environ.get("SAGICC_EXTERNAL_VIEW_DAYS", "").strip()
    if not raw:
        return int(DEFAULT_DAYS * 86400)
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not 0 < days <= 3650:
        raise StoreError(N_("SAGICC_EXTERNAL_VIEW_DAYS must be a number of days between 0 and 3650, like 7; "
                            "it is {value}."), value=raw)
    return max(1, int(days * 86400))


def issue(store: Store, conn: Connection, me: User, ticket: Ticket) -> tuple[str, int]:
    """The ticket's working link (token, expires_at): kept while it works, else a new one."""
    now = store.now()
    row = conn.execute(select(ev).where(ev.c.ticket_id == ticket.id)).first()
    if row is not None and works(store, conn, row, now):
        conn.execute(update(ev).where(ev.c.token == row.token).values(rendered_at=now))
        return row.token, row.expires_at
    token, expires = secrets.token_urlsafe(24), now + lifetime_seconds()  # 192 random bits
    values = dict(token=token, ticket_id=ticket.id, created_by=me.id, created_at=now, rendered_at=now,
                  expires_at=expires, revoked_at=None)
    if row is None:
        conn.execute(ev.insert().values(**values))
    else:
        conn.execute(update(ev).where(ev.c.token == row.token).values(**values))
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.FIELD, "external_view",
                                 "" if row is None else "expired or revoked", "created")], at=now)
    return token, expires


def works(store: Store, conn: Connection, row, now: int | None = None) -> bool:
    now = store.now() if now is None else now
    if row.revoked_at is not None or (row.expires_at is not None and now >= row.expires_at):
        return False
    if row.created_by is None:
        return True  # made by no user (older stores): expiry alone decides
    creator = store.user_by_id(conn, row.created_by)
    if creator is None or not creator.active:
        return False
    try:
        reads.get(store, conn, creator, ticket_id=row.ticket_id)  # the creator's scope, now
    except (NotFound, PermissionDenied):
        return False
    return True


def ticket_of(store: Store, conn: Connection, token: str) -> int | None:
    """For /external/{token}: the ticket a working link opens; None otherwise."""
    if not token:
        return None
    row = conn.execute(select(ev).where(ev.c.token == token)).first()
    return row.ticket_id if row is not None and works(store, conn, row) else None


def _link(store: Store, conn: Connection, row) -> ExternalLink:
    return ExternalLink(
        token=row.token, ticket_id=row.ticket_id, ticket_number=row.number,
        created_by_name=store.user_name(conn, row.created_by), created_at=from_epoch(row.created_at),
        expires_at=from_epoch(row.expires_at) if row.expires_at is not None else None,
        revoked_at=from_epoch(row.revoked_at) if row.revoked_at is not None else None,
        active=works(store, conn, row))


def list_links(store: Store, conn: Connection, user: User, ticket_id: int | None) -> list[ExternalLink]:
    """A ticket's link (anyone who can see the ticket), or without a ticket the
    links the user made (supervisors and administrators: every link they can see)."""
    me = store.fresh_user(conn, user)
    stmt = select(ev, t.c.number).join(t, t.c.id == ev.c.ticket_id).order_by(ev.c.created_at.desc(), ev.c.token)
    if ticket_id is not None:
        reads.get(store, conn, me, ticket_id=ticket_id)
        stmt = stmt.where(ev.c.ticket_id == ticket_id)
    elif me.role is Role.AGENT:
        stmt = stmt.where(ev.c.created_by == me.id)
    out = []
    for row in conn.execute(stmt.limit(500)):
        try:
            reads.get(store, conn, me, ticket_id=row.ticket_id)
        except NotFound:
            continue  # not theirs to see any more
        out.append(_link(store, conn, row))
    return out


def revoke(store: Store, conn: Connection, user: User, token: str) -> None:
    """Anyone who can see the ticket may stop sharing it; revoking twice is fine."""
    me = store.fresh_user(conn, user)
    row = conn.execute(select(ev).where(ev.c.token == token)).first()
    missing = NotFound(N_("There is no external-view link {token} that you can see; list them with "
                          "`sagicc external-views`."), token=token[:8] + "…")
    if row is None:
        raise missing
    try:
        reads.get(store, conn, me, ticket_id=row.ticket_id)
    except NotFound:
        raise missing from None
    if row.revoked_at is not None:
        return
    now = store.now()
    conn.execute(update(ev).where(ev.c.token == token).values(revoked_at=now))
    store.log(conn, me, [LogLine(EntityKind.TICKET, row.ticket_id, ChangeKind.FIELD, "external_view", "created",
                                 "revoked")], at=now)


def revoke_created_by(store: Store, conn: Connection, user_id: int) -> int:
    """With the user's server tokens: the links they shared stop too."""
    res = conn.execute(update(ev).where(ev.c.created_by == user_id, ev.c.revoked_at.is_(None))
                       .values(revoked_at=store.now()))
    return res.rowcount or 0
