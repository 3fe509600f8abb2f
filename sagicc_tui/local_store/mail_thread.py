"""#13 the threading headers of our outgoing e-mail, kept in the store.

Each e-mail we send gets its own Message-ID, stored (mail_header, and as a
message identity so the customer's reply finds its ticket by it), and names
the customer's last message in In-Reply-To and References, so their mail
program shows our answer in their thread. Written in the transaction that
commits the outgoing interaction; a retry sends the same headers again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from sagicc_tui.domain.enums import ChannelType, Direction
from sagicc_tui.domain.models import Ticket
from sagicc_tui.local_store import schema
from sagicc_tui.mail.thread import own_local_part, reply_subject

it = schema.InteractionRow.__table__
mh = schema.MailHeaderRow.__table__
IDENTITY = schema.MessageIdentityRow.__table__


@dataclass(frozen=True, slots=True)
class MailHeaders:
    message_id: str  # ours: the local part; the driver adds @ and the sender's domain
    in_reply_to: str
    references: tuple[str, ...]  # oldest first


def _last_incoming(conn: Connection, ticket_id: int):
    return conn.execute(
        select(it.c.id, it.c.subject, mh.c.message_id, mh.c.references)
        .select_from(it.outerjoin(mh, mh.c.interaction_id == it.c.id))
        .where(it.c.ticket_id == ticket_id, it.c.direction == Direction.INCOMING.value,
               it.c.channel == ChannelType.EMAIL.value)
        .order_by(it.c.created_at.desc(), it.c.id.desc()).limit(1)
    ).first()


def default_subject(conn: Connection, ticket: Ticket) -> str:
    """`Re: <the customer's last subject> [#N]`, else the ticket's description."""
    last = _last_incoming(conn, ticket.id)
    subject = (last.subject if last is not None and last.subject.strip() else "") or ticket.description
    return reply_subject(subject, ticket.number)[:900]


def record_outgoing(conn: Connection, ticket: Ticket, interaction_id: int, now: int) -> MailHeaders:
    last = _last_incoming(conn, ticket.id)
    parent = last.message_id if last is not None and last.message_id else ""
    refs = [r for r in ((last.references or "").split() if last is not None else []) if r]
    if parent and parent not in refs:
        refs.append(parent)
    refs = refs[-20:]  # mail programs only need the root and the last few
    own = own_local_part(interaction_id, secrets.token_hex(6))
    conn.execute(insert(mh).values(interaction_id=interaction_id, message_id=own, references=" ".join(refs)))
    conn.execute(insert(IDENTITY).values(key=f"mid:{own}", interaction_id=interaction_id, digest="", created_at=now))
    return MailHeaders(own, parent, tuple(refs))


def stored(conn: Connection, interaction_id: int) -> MailHeaders | None:
    row = conn.execute(select(mh.c.message_id, mh.c.references).where(mh.c.interaction_id == interaction_id)).first()
    if row is None or not row.message_id:
        return None
    refs = tuple(row.references.split())
    return MailHeaders(row.message_id, refs[-1] if refs else "", refs)


def envelope_fields(headers: MailHeaders | None, interaction_id: int) -> dict:
    if headers is None:  # not e-mail, or sent before threading headers were kept
        return {"message_id": f"sagicc-{interaction_id}"}
    return {"message_id": headers.message_id, "in_reply_to": headers.in_reply_to, "references": headers.references}
