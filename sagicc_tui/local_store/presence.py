"""Who is inside which ticket (T1 agent status, T2/T15 collision awareness).

Entering a ticket records my presence and sets me Busy; the terminal calls
`heartbeat` every PRESENCE_HEARTBEAT seconds while the ticket is on screen;
leaving removes the presence and sets me Available when I am inside no other
ticket. A presence whose heartbeat is older than PRESENCE_TTL is a terminal
that went away (closed, crashed, SSH dropped): it no longer counts, so nobody
stays Busy forever. Precisely (#10.9):

- Every read of a user (`stale_busy`, used by Store.users/user_by_id, so the
  top bar, `sagicc users` and every rule check) shows Available a user whose
  stored status is Busy while every presence they have is stale: that Busy
  was set by entering a ticket, and the Exit that would have undone it never
  came. A Busy chosen by hand leaves no presence and stays Busy.
- Every presence write (enter, heartbeat, leave; any terminal's) sweeps the
  stale presences of everyone and stores Available for those users, so
  `app_user.status` follows within a heartbeat of any terminal.
- The "also open by" list (`others`) counts only fresh heartbeats, and the
  ticket screen reads it with every heartbeat: a dead terminal's entry goes
  within PRESENCE_TTL + PRESENCE_HEARTBEAT seconds.

Presence is session state, not a change to the ticket: it bumps no version
and writes no change-log entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from sagicc_tui.domain.enums import AgentStatus, TicketStatus
from sagicc_tui.domain.errors import RuleViolation
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.domain.ticket_screen import PRESENCE_TTL, WRITING_TTL, PresenceEntry
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import from_epoch
from sagicc_tui.local_store.core import Store

PRESENCE = schema.TicketPresenceRow.__table__
p = PRESENCE.c
t = schema.ticket.c


def _set_status(conn: Connection, user_id: int, status: AgentStatus) -> None:
    us = schema.UserRow.__table__
    conn.execute(update(us).where(us.c.id == user_id, us.c.status != status.value).values(status=status.value))


def _touch(store: Store, conn: Connection, user_id: int, ticket_id: int, *, entering: bool) -> None:
    now = store.now()
    values = {"heartbeat_at": now, **({"entered_at": now} if entering else {})}
    res = conn.execute(update(PRESENCE).where(p.user_id == user_id, p.ticket_id == ticket_id).values(**values))
    if res.rowcount == 0:
        conn.execute(insert(PRESENCE).values(user_id=user_id, ticket_id=ticket_id, entered_at=now, heartbeat_at=now))


def stale_busy(conn: Connection, user_ids: Iterable[int], now: int) -> set[int]:
    """Of these (Busy) users, those whose every presence is stale: a terminal
    that stopped heart-beating inside a ticket (see the module docstring)."""
    ids = list(user_ids)
    if not ids:
        return set()
    rows = conn.execute(select(p.user_id, func.max(p.heartbeat_at)).where(p.user_id.in_(ids)).group_by(p.user_id))
    return {uid for uid, last in rows if last < now - PRESENCE_TTL}


def sweep(store: Store, conn: Connection) -> None:
    """Forget stale presences (terminals that went away) and store Available for
    the users they left Busy, unless they are inside another ticket now."""
    stale = store.now() - PRESENCE_TTL
    gone = set(conn.execute(select(p.user_id).where(p.heartbeat_at < stale).distinct()).scalars())
    if not gone:
        return
    conn.execute(delete(PRESENCE).where(p.heartbeat_at < stale))
    still_inside = set(conn.execute(select(p.user_id).where(p.user_id.in_(gone)).distinct()).scalars())
    us = schema.UserRow.__table__
    left = gone - still_inside
    if left:
        conn.execute(update(us).where(us.c.id.in_(left), us.c.status == AgentStatus.BUSY.value)
                     .values(status=AgentStatus.AVAILABLE.value))


def enter(store: Store, conn: Connection, user: User, ticket_id: int) -> User:
    """T1: I open the ticket: my presence is recorded and I am Busy."""
    sweep(store, conn)
    me = store.fresh_user(conn, user)
    reads.get(store, conn, me, ticket_id=ticket_id)  # scope: NotFound outside it
    _touch(store, conn, me.id, ticket_id, entering=True)
    _set_status(conn, me.id, AgentStatus.BUSY)
    return store.fresh_user(conn, me)


def leave(store: Store, conn: Connection, user: User, ticket_id: int) -> User:
    """T1 Exit: my presence goes; I am Available unless I am inside another
    ticket (another terminal). No scope check: leaving a ticket that was
    reassigned away from me while I was inside must still work."""
    me = store.fresh_user(conn, user)
    conn.execute(delete(PRESENCE).where(p.user_id == me.id, p.ticket_id == ticket_id))
    sweep(store, conn)
    if inside(store, conn, me.id) is None:
        _set_status(conn, me.id, AgentStatus.AVAILABLE)
    return store.fresh_user(conn, me)


def heartbeat(store: Store, conn: Connection, user: User, ticket_id: int) -> tuple[PresenceEntry, ...]:
    """I still have the ticket open; returns who else has it open now.

    NotFound once the ticket left my scope (reassigned away): the screen exits.
    """
    me = store.fresh_user(conn, user)
    reads.get(store, conn, me, ticket_id=ticket_id)
    _touch(store, conn, me.id, ticket_id, entering=False)
    sweep(store, conn)
    return others(store, conn, me.id, ticket_id)


def others(store: Store, conn: Connection, my_id: int, ticket_id: int) -> tuple[PresenceEntry, ...]:
    """Everyone but me with a fresh heartbeat on the ticket, earliest first."""
    us = schema.UserRow.__table__
    dr = schema.DraftRow.__table__
    rows = conn.execute(
        select(p.user_id, p.entered_at, p.heartbeat_at, us.c.full_name, dr.c.updated_at.label("draft_at"))
        .join(us, us.c.id == p.user_id)
        .outerjoin(dr, and_(dr.c.user_id == p.user_id, dr.c.ticket_id == p.ticket_id, dr.c.form == "composer"))
        .where(p.ticket_id == ticket_id, p.user_id != my_id, p.heartbeat_at >= store.now() - PRESENCE_TTL)
        .order_by(p.entered_at, p.user_id)
    )
    writing_since = store.now() - WRITING_TTL
    return tuple(
        PresenceEntry(user_id=r.user_id, user_name=r.full_name, since=from_epoch(r.entered_at),
                      heartbeat_at=from_epoch(r.heartbeat_at),
                      writing=r.draft_at is not None and r.draft_at >= writing_since)
        for r in rows
    )


def inside(store: Store, conn: Connection, user_id: int) -> int | None:
    """The number of an open ticket the user is inside now (fresh heartbeat), or None."""
    return conn.execute(
        select(t.number)
        .select_from(PRESENCE.join(schema.ticket, t.id == p.ticket_id))
        .where(and_(p.user_id == user_id, p.heartbeat_at >= store.now() - PRESENCE_TTL,
                    t.status != TicketStatus.CLOSED.value))
        .order_by(p.heartbeat_at.desc())
        .limit(1)
    ).scalar()


def refuse_manual_available(store: Store, conn: Connection, user: User, status: AgentStatus) -> None:
    """T1: while I am inside a ticket my status stays Busy; only Exit or
    closing the ticket makes me Available. Called by `set_agent_status`, the
    manual change; entering and leaving change the status themselves."""
    if status is not AgentStatus.AVAILABLE:
        return
    number = inside(store, conn, user.id)
    if number is not None:
        raise RuleViolation(
            N_("You are inside ticket #{number}: your status stays Busy until you exit or close the ticket."),
            number=number,
        )
