"""T14 Notes: private notes of a ticket, each with a colour.

Notes are for the people working the ticket: they are listed only here and
never appear in the transcript, the external view or any report (those
renderers are never given notes). The change log records that a note was
added or deleted, not its text.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from sagicc_tui.domain.enums import ChangeKind, EntityKind, NoteColor, Role
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Note, User
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import note_from_row
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import refuse_closed

nt = schema.NoteRow.__table__
MAX_NOTE = 5000  # characters


def list_for_ticket(store: Store, conn: Connection, user: User, ticket_id: int) -> list[Note]:
    """Newest first."""
    reads.get(store, conn, user, ticket_id=ticket_id)
    rows = conn.execute(select(nt).where(nt.c.ticket_id == ticket_id).order_by(nt.c.id.desc()))
    return [note_from_row(r) for r in rows]


def add(store: Store, conn: Connection, user: User, ticket_id: int, text: str, color: NoteColor | str) -> Note:
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    text = (text or "").strip()
    if not text:
        raise InvalidInput(N_("The note is empty; write something first."))
    if len(text) > MAX_NOTE:
        raise InvalidInput(N_("A note can have at most {max} characters; this one has {count}."),
                           max=MAX_NOTE, count=len(text))
    try:
        colour = NoteColor(color)
    except ValueError:
        raise InvalidInput(N_("{value} is not a note colour; use one of {choices}."), value=color,
                           choices=", ".join(c.value for c in NoteColor)) from None
    now = store.now()
    note_id = conn.execute(insert(nt).values(ticket_id=ticket.id, text=text, color=colour.value,
                                             author_id=me.id, created_at=now)).inserted_primary_key[0]
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.NOTE_ADDED, "note", "", f"#{note_id}")], at=now)
    return note_from_row(conn.execute(select(nt).where(nt.c.id == note_id)).one())


def delete_note(store: Store, conn: Connection, user: User, note_id: int) -> None:
    """Only the author, a supervisor or an administrator may delete a note."""
    me = store.fresh_user(conn, user)
    row, ticket = reads.child_in_scope(
        store, conn, me, nt, note_id, NotFound(N_("There is no note with id {id}; refresh the list."), id=note_id))
    refuse_closed(ticket)
    if row.author_id != me.id and me.role is Role.AGENT:
        raise PermissionDenied(N_("Only the author of a note, a supervisor or an administrator may delete it."))
    conn.execute(delete(nt).where(nt.c.id == row.id))
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.NOTE_DELETED, "note", f"#{row.id}", "")])
