"""Ingest: one incoming interaction into the right customer and ticket.

Rules (issue 2, spec P1 and the manual's "when a customer contacts your
company, Sagicc creates a ticket"):
- the customer is found by the sender's normalised contact (e-mail lower-case,
  phone digits), or created with that contact;
- the campaign is the one that receives the channel;
- the interaction is appended to that customer's open ticket in the campaign
  (the most recent one), or opens a new ticket: New, unread.
Each message is one write transaction; attachments are read before it starts,
so a missing file refuses the line and writes nothing.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, func, insert, select, update

from sagicc_tui.backend import IncomingMessage, IngestResult
from sagicc_tui.domain.enums import (
    ChangeKind,
    ContactKind,
    CustomerType,
    Direction,
    EntityKind,
    IdType,
    Priority,
    TicketStatus,
    TicketType,
)
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.local_store import schema, ticket_numbers
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store.convert import normalize_contact, to_epoch
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import summary

t = schema.ticket.c
MAX_ATTACHMENT = 25 * 1024 * 1024


def contact_kind_for(sender: str) -> ContactKind:
    return ContactKind.EMAIL if "@" in sender else ContactKind.MOBILE


def _read_attachments(paths: tuple[str, ...]) -> list[tuple[str, bytes]]:
    files = []
    for p in paths:
        path = Path(p).expanduser()
        try:
            size = path.stat().st_size
            if size > MAX_ATTACHMENT:
                raise InvalidInput(N_("The attachment {path} is larger than 25 MB; send a smaller file."), path=p)
            files.append((path.name, path.read_bytes()))
        except OSError as e:
            raise InvalidInput(N_("Cannot read the attachment {path}: {reason}."), path=p, reason=e.strerror or e) from None
    return files


def store_blob(store: Store, data: bytes) -> str:
    """Content stored once by its SHA-256 under the blob dir; returns the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = store.blob_dir / digest[:2] / digest
    if not target.exists():
        from sagicc_tui.local_store.engine import store_os_error
        from sagicc_tui.private_files import private_dir, write_private

        try:  # 0700/0600: customer files (atomic: a reader never sees half a file)
            private_dir(target.parent)
            write_private(target, data)
        except OSError as e:
            raise store_os_error(e, str(store.blob_dir)) from e
    return digest


def ingest(store: Store, message: IncomingMessage) -> IngestResult:
    sender = message.sender.strip()
    if not sender:
        raise InvalidInput(N_("The message has no sender (from); give an e-mail address or phone number."))
    if not message.text.strip() and not message.attachments:
        raise InvalidInput(N_("The message has no text and no attachments; nothing to ingest."))
    kind = contact_kind_for(sender)
    normalized = normalize_contact(kind, sender)
    if kind is not ContactKind.EMAIL and len(normalized) < 5:
        raise InvalidInput(N_("{sender} is neither an e-mail address nor a phone number."), sender=sender)
    files = _read_attachments(message.attachments)
    hashes = [(name, data, store_blob(store, data)) for name, data in files]
    at = to_epoch(message.at) if message.at else store.now()
    with store.write() as conn:
        campaign = next((c for c in store.campaigns(conn) if message.channel in c.incoming_channels), None)
        if campaign is None:
            raise InvalidInput(
                N_("No campaign receives the {channel} channel; configure one or use another channel."),
                channel=message.channel.value,
            )
        customer_id, new_customer = _find_or_create_customer(store, conn, kind, sender, normalized, message.name, at)
        ticket_row = conn.execute(
            select(schema.ticket)
            .where(t.customer_id == customer_id, t.campaign_id == campaign.id, t.status.in_(tq.OPEN))
            .order_by(t.created_at.desc(), t.id.desc())
            .limit(1)
        ).first()
        new_ticket = ticket_row is None
        if new_ticket:
            number = ticket_numbers.next_number(conn)  # safe under concurrency (#10.3)
            ticket_id = conn.execute(
                insert(schema.ticket).values(
                    number=number, campaign_id=campaign.id, customer_id=customer_id,
                    status=TicketStatus.NEW.value, priority=Priority.MEDIUM.value,
                    type=TicketType.QUESTION.value, description=(message.subject or summary(message.text))[:200],
                    origin_channel=message.channel.value, created_at=at, updated_at=at,
                )
            ).inserted_primary_key[0]
            store.log(conn, None, [LogLine(EntityKind.TICKET, ticket_id, ChangeKind.CREATED, "channel", "", message.channel)], at=at)
        else:
            ticket_id, number = ticket_row.id, ticket_row.number
        interaction_id = conn.execute(
            insert(schema.InteractionRow.__table__).values(
                ticket_id=ticket_id, direction=Direction.INCOMING.value, channel=message.channel.value,
                sender=message.name.strip() or sender, contact=sender, content=message.text,
                subject=message.subject, created_at=at, read=False, delivery="received",
            )
        ).inserted_primary_key[0]
        for name, data, digest in hashes:
            conn.execute(
                insert(schema.AttachmentRow.__table__).values(
                    ticket_id=ticket_id, interaction_id=interaction_id, name=name, size=len(data),
                    mime=mimetypes.guess_type(name)[0] or "application/octet-stream",
                    sha256=digest, created_at=at,
                )
            )
        conn.execute(
            update(schema.ticket).where(t.id == ticket_id).values(
                unread_count=t.unread_count + 1,
                unread_at=func.coalesce(t.unread_at, at),
                last_interaction_at=at, last_summary=summary(message.text or message.subject),
                last_direction=Direction.INCOMING.value, last_channel=message.channel.value,
                # A customer's message is not an edit: it leaves the version alone,
                # so an agent's open edit of the ticket stays valid.
                updated_at=at,
            )
        )
        if not new_ticket:
            store.log(conn, None, [LogLine(EntityKind.TICKET, ticket_id, ChangeKind.INTERACTION_ADDED, "interaction", "", message.channel)], at=at)
        # The business rule log (T3): which automatic rules decided where this
        # message went, so an administrator can tell why a ticket is where it is.
        rules = [("routing", f"channel {message.channel.value} -> campaign {campaign.name}"),
                 ("customer", f"{'created for' if new_customer else 'matched by'} contact {normalized}"),
                 ("ticket", "opened a new ticket" if new_ticket else f"appended to open ticket #{number}")]
        conn.execute(insert(schema.RuleLogRow.__table__),
                     [{"ticket_id": ticket_id, "rule": r, "detail": d, "at": at} for r, d in rules])
    return IngestResult(ticket_id, number, customer_id, new_ticket, new_customer)


def _find_or_create_customer(store, conn: Connection, kind: ContactKind, sender: str, normalized: str,
                             name: str, at: int) -> tuple[int, bool]:
    ct = schema.ContactRow.__table__
    kinds = [ContactKind.EMAIL.value] if kind is ContactKind.EMAIL else [ContactKind.MOBILE.value, ContactKind.PHONE.value]
    found = conn.execute(
        select(ct.c.customer_id).where(ct.c.normalized == normalized, ct.c.kind.in_(kinds)).order_by(ct.c.customer_id).limit(1)
    ).scalar()
    if found is not None:
        return int(found), False
    first, _, last = (name.strip() or sender).partition(" ")
    customer_id = conn.execute(
        insert(schema.CustomerRow.__table__).values(
            type=CustomerType.PERSON.value, id_type=IdType.OTHER.value, id_number="",
            first_name=first[:80], last_name=last[:80], created_at=at, updated_at=at,
        )
    ).inserted_primary_key[0]
    conn.execute(insert(ct).values(customer_id=customer_id, kind=kind.value, value=sender, normalized=normalized))
    store.log(conn, None, [LogLine(EntityKind.CUSTOMER, customer_id, ChangeKind.CREATED, "contact", "", sender)], at=at)
    return int(customer_id), True


def parse_time(value: object) -> datetime | None:
    """ISO 8601 with a zone (a bare date-time is taken as UTC)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(N_("The time must be ISO 8601 text, like 2026-11-25T14:30:00Z."))
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(N_("The time {value} is not ISO 8601, like 2026-11-25T14:30:00Z."), value=value) from None
    if at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    return at
