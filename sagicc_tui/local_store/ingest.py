"""Ingest: one incoming interaction into the right customer and ticket.

Rules (issue 2, spec P1 and the manual's "when a customer contacts your
company, Sagicc creates a ticket"):
- the customer is found by the sender's normalised contact (e-mail lower-case,
  phone as E.164 in the campaign's country, matching rows stored as bare
  digits too: #15.9), or created with that contact;
- the campaign is the one that receives the channel;
- the interaction is appended to that customer's open ticket in the campaign
  (the most recent one), or opens a new ticket: New, unread.
Each message is one write transaction; attachments are read before it starts,
so a missing file refuses the line and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError

from sagicc_tui.domain.ingest import MAX_INCOMING_BYTES, IncomingMessage, IngestResult
from sagicc_tui.domain import phones
from sagicc_tui.domain.customers import name_sort_key
from sagicc_tui.domain.enums import (
    ChannelType,
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
from sagicc_tui.domain.errors import InvalidInput, NotFound, RuleViolation, SagiccError
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import AttachmentContent
from sagicc_tui.domain.rules import check_storable_text
from sagicc_tui.local_store import schema, ticket_numbers
from sagicc_tui.local_store import ticket_query as tq
from sagicc_tui.local_store.convert import normalize_contact, to_epoch
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import summary
from sagicc_tui.mail.thread import identity_of, normalize_message_id, ticket_tag

t = schema.ticket.c


def contact_kind_for(sender: str) -> ContactKind:
    return ContactKind.EMAIL if "@" in sender else ContactKind.MOBILE


def _check_attachments(files: tuple[AttachmentContent, ...]) -> list[tuple[str, bytes]]:
    """(name, content) pairs, the names made one plain file name each: a
    channel's "../../.bashrc" is kept as "bashrc"."""
    from sagicc_tui.files import safe_file_name

    for f in files:
        if len(f.data) > MAX_INCOMING_BYTES:
            raise InvalidInput(N_("The attachment {path} is larger than 25 MB; send a smaller file."), path=f.name)
    return [(safe_file_name(f.name), f.data) for f in files]


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
    prepared = _prepare(store, message)
    for attempt in range(3):
        try:
            with store.write() as conn:
                return _ingest_in(store, conn, *prepared)
        except IntegrityError:
            # PostgreSQL: another process committed the same message while this
            # transaction waited on its identity (the next attempt answers a
            # duplicate), or took the same new ticket's number; nothing of
            # this attempt was written.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def ingest_many(store: Store, messages: list[IncomingMessage]) -> list[IngestResult | SagiccError]:
    """Several messages in ONE write transaction (a fetched batch of mail: one
    commit, one fsync, instead of one each). Each message has its own
    savepoint, so one the store refuses (its sentence is in its place in the
    answer) leaves the others in; identities are written with their messages,
    so exactly-once holds as for `ingest`. Nothing is in the store -- and
    nothing may be flagged as read -- until this returns."""
    results: list[IngestResult | SagiccError | None] = [None] * len(messages)
    prepared: dict[int, tuple] = {}
    for i, message in enumerate(messages):
        try:
            prepared[i] = _prepare(store, message)
        except SagiccError as e:
            results[i] = e
    for attempt in range(3):
        try:
            with store.write() as conn:
                done: dict[int, IngestResult | SagiccError] = {}
                for i, args in prepared.items():
                    savepoint = conn.begin_nested()
                    try:
                        done[i] = _ingest_in(store, conn, *args)
                        savepoint.commit()
                    except (InvalidInput, NotFound, RuleViolation) as e:
                        savepoint.rollback()
                        done[i] = e
            break
        except IntegrityError:  # a concurrent process committed one of them: the whole batch again
            if attempt == 2:
                raise
    for i, outcome in done.items():
        results[i] = outcome
    return [r for r in results if r is not None]


def _prepare(store: Store, message: IncomingMessage) -> tuple:
    """Everything read and checked before the transaction: the text, the
    sender, the attachments (stored by hash), the identity."""
    sender = message.sender.strip()
    check_text(message)
    if not sender:
        raise InvalidInput(N_("The message has no sender (from); give an e-mail address or phone number."))
    if not message.text.strip() and not message.attachments:
        raise InvalidInput(N_("The message has no text and no attachments; nothing to ingest."))
    kind = contact_kind_for(sender)
    normalized = normalize_contact(kind, sender)
    if kind is not ContactKind.EMAIL and len(normalized) < 5:
        raise InvalidInput(N_("{sender} is neither an e-mail address nor a phone number."), sender=sender)
    files = _check_attachments(message.attachments)
    hashes = [(name, data, store_blob(store, data)) for name, data in files]
    digest = content_digest(message, normalized, [h for _n, _d, h in hashes])
    keys = identity_keys(message, digest)
    at = to_epoch(message.at) if message.at else store.now()
    return message, sender, kind, normalized, hashes, digest, keys, at


def _ingest_in(store: Store, conn: Connection, message: IncomingMessage, sender: str, kind: ContactKind,
               normalized: str, hashes, digest: str, keys: list[str], at: int) -> IngestResult:
    seen = _already_ingested(conn, keys, digest)
    if seen is not None:
        return seen
    # The identity first: a concurrent copy of this message blocks here
    # (PostgreSQL) or waits for the write lock (SQLite), then finds it.
    conn.execute(insert(IDENTITY), [{"key": k, "interaction_id": None, "digest": digest, "created_at": at}
                                    for k in keys])
    campaign = _campaign_for(store, conn, message)
    how = "mailbox of" if message.campaign_id else f"channel {message.channel.value} ->"
    rules: list[tuple[str, str]] = [("routing", f"{how} campaign {campaign.name}")]
    ticket_row = _thread_ticket(conn, message, rules)
    contact_keys = [normalized]
    if kind is not ContactKind.EMAIL:
        # One phone however written (#15.9): stored as its E.164 key in the
        # campaign's country, found under any key it may have been stored as.
        normalized = normalize_contact(kind, sender, campaign.country)
        contact_keys = sorted({normalized, *phones.match_keys(sender, (campaign.country,))})
    new_customer = False
    if ticket_row is not None:
        customer_id = ticket_row.customer_id
    elif message.automatic:
        customer_id = _find_customer(conn, kind, contact_keys)
    else:
        customer_id, new_customer = _find_or_create_customer(store, conn, kind, sender, normalized, contact_keys,
                                                             message.name, at)
        rules.append(("customer", f"{'created for' if new_customer else 'matched by'} contact {normalized}"))
    if ticket_row is None and customer_id is not None:
        ticket_row = _tagged_ticket(conn, message, customer_id, rules)
    if ticket_row is None and customer_id is not None:
        ticket_row = conn.execute(
            select(schema.ticket)
            .where(t.customer_id == customer_id, t.campaign_id == campaign.id,
                   true() if message.automatic else t.status.in_(tq.OPEN))
            .order_by(t.created_at.desc(), t.id.desc())
            .limit(1)
        ).first()
    if ticket_row is None and message.automatic:
        # An auto-reply or a bounce that belongs to no ticket: its identity
        # stays (a re-fetch skips it), nothing is opened.
        return IngestResult(0, 0, customer_id or 0, False, False, automatic=True)
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
            subject=message.subject, created_at=at, read=message.automatic, delivery="received",
        )
    ).inserted_primary_key[0]
    conn.execute(update(IDENTITY).where(IDENTITY.c.key.in_(keys)).values(interaction_id=interaction_id))
    if message.channel is ChannelType.EMAIL:
        conn.execute(insert(schema.MailHeaderRow.__table__).values(
            interaction_id=interaction_id, message_id=normalize_message_id(message.id),
            references=" ".join(reversed(message.references)), automatic=message.automatic))
    for name, data, digest_ in hashes:
        conn.execute(
            insert(schema.AttachmentRow.__table__).values(
                ticket_id=ticket_id, interaction_id=interaction_id, name=name, size=len(data),
                mime=mimetypes.guess_type(name)[0] or "application/octet-stream",
                sha256=digest_, created_at=at,
            )
        )
    if not message.automatic:
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
    if message.automatic:
        rules.append(("automatic", f"auto-reply or delivery report recorded on #{number}; "
                                   "the ticket's status is unchanged"))
    else:
        rules.append(("ticket", "opened a new ticket" if new_ticket else f"appended to open ticket #{number}"))
    conn.execute(insert(schema.RuleLogRow.__table__),
                 [{"ticket_id": ticket_id, "rule": r, "detail": d, "at": at} for r, d in rules])
    return IngestResult(ticket_id, number, customer_id, new_ticket, new_customer, automatic=message.automatic)


def _campaign_for(store: Store, conn: Connection, message: IncomingMessage):
    """The campaign whose own channel it came through, else the first that
    receives the channel -- one without a mailbox of its own first, since
    that one's mail comes from its mailbox."""
    if message.campaign_id:
        campaign = store.campaign(conn, message.campaign_id)
        if campaign is None:
            raise InvalidInput(N_("There is no campaign with id {id}."), id=message.campaign_id)
        if not campaign.active:
            raise InvalidInput(N_("Campaign {name} is disabled and takes no new messages; enable it, or stop reading "
                                  "its mailbox."), name=campaign.name)
        return campaign
    receiving = [c for c in store.campaigns(conn) if message.channel in c.incoming_channels]
    campaign = next((c for c in receiving if c.mailbox is None), None) or next(iter(receiving), None)
    if campaign is None:
        raise InvalidInput(
            N_("No campaign receives the {channel} channel; configure one or use another channel."),
            channel=message.channel.value,
        )
    return campaign


# --- identity: each message once (#10.4) -------------------------------------------------

IDENTITY = schema.MessageIdentityRow.__table__
_KEY_MAX = 400


def _key(namespace: str, value: str) -> str:
    key = f"{namespace}:{value}"
    if len(key) > _KEY_MAX:  # a Message-ID can be any length; the key stays indexable
        key = f"{namespace}#sha256:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return key


def content_digest(message: IncomingMessage, normalized_sender: str, file_hashes: list[str]) -> str:
    """What the message says, who sent it and when (as the channel gave it)."""
    parts = [message.channel.value, normalized_sender, message.at.isoformat() if message.at else "",
             message.subject, message.text, *file_hashes]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=True).encode()).hexdigest()


def identity_keys(message: IncomingMessage, digest: str) -> list[str]:
    """The channel's own id when it gives one, else the content hash; plus the
    Idempotency-Key of /inbound when there is one."""
    own = message.id.strip()
    if own and message.channel is ChannelType.EMAIL:
        keys = [_key("mid", identity_of(own))]
    elif own:
        keys = [_key(f"id:{message.channel.value}", own)]
    else:
        keys = [f"sha:{digest}"]
    if message.idempotency_key:
        keys.append(_key("idem", message.idempotency_key))
    return keys


def _already_ingested(conn: Connection, keys: list[str], digest: str) -> IngestResult | None:
    found = conn.execute(select(IDENTITY.c.key, IDENTITY.c.interaction_id, IDENTITY.c.digest)
                         .where(IDENTITY.c.key.in_(keys))).all()
    if not found:
        return None
    primary = next((r for r in found if r.key == keys[0]), None)
    if primary is None and any(r.key.startswith("idem") and r.digest != digest for r in found):
        raise InvalidInput(N_("This Idempotency-Key was already used for a different message; use a new key "
                              "for a new message."))
    row = primary or found[0]
    if row.interaction_id is None:
        return IngestResult(0, 0, 0, False, False, duplicate=True, automatic=True)
    it = schema.InteractionRow.__table__
    hit = conn.execute(select(t.id, t.number, t.customer_id).select_from(it.join(schema.ticket, it.c.ticket_id == t.id))
                       .where(it.c.id == row.interaction_id)).one()
    return IngestResult(hit.id, hit.number, hit.customer_id, False, False, duplicate=True)


def check_text(message: IncomingMessage) -> None:
    """Text the store can keep, in every field (no NUL, no lone surrogate)."""
    check_storable_text({"from": message.sender, "name": message.name, "subject": message.subject,
                         "text": message.text, "id": message.id,
                         **{f"attachments[{i}]": f.name for i, f in enumerate(message.attachments)},
                         **{f"references[{i}]": r for i, r in enumerate(message.references)}})


# --- threading (#13): a reply joins its ticket before the open-ticket rule --------------


def _live(conn: Connection, row):
    """A merged ticket's messages continue on the ticket it was merged into."""
    hops = 0
    while row is not None and row.merged_into_id is not None and hops < 10:
        row = conn.execute(select(schema.ticket).where(t.id == row.merged_into_id)).first()
        hops += 1
    return row


def _thread_ticket(conn: Connection, message: IncomingMessage, rules: list[tuple[str, str]]):
    """The ticket of a message this one answers (by Message-ID we sent or received)."""
    if not message.references:
        return None
    it = schema.InteractionRow.__table__
    wanted = [_key("mid", identity_of(r)) for r in message.references[:50]]
    rows = conn.execute(select(IDENTITY.c.key, it.c.ticket_id)
                        .select_from(IDENTITY.join(it, IDENTITY.c.interaction_id == it.c.id))
                        .where(IDENTITY.c.key.in_(wanted))).all()
    by_key = {r.key: r.ticket_id for r in rows}
    for key in wanted:  # the most recent reference first
        if key in by_key:
            row = _live(conn, conn.execute(select(schema.ticket).where(t.id == by_key[key])).first())
            if row is None:
                continue
            if row.status == TicketStatus.CLOSED.value and not message.automatic:
                # A closed ticket stays closed: the customer's new message opens a new one.
                rules.append(("thread", f"answers closed ticket #{row.number}; not reopened"))
                return None
            rules.append(("thread", f"answers {key[4:]} of ticket #{row.number}"))
            return row
    return None


def _tagged_ticket(conn: Connection, message: IncomingMessage, customer_id: int, rules: list[tuple[str, str]]):
    """A `[#100123]` tag in the subject, when that ticket is this customer's."""
    number = ticket_tag(message.subject)
    if number is None:
        return None
    row = _live(conn, conn.execute(select(schema.ticket).where(t.number == number)).first())
    if row is None or row.customer_id != customer_id:
        return None
    if row.status == TicketStatus.CLOSED.value and not message.automatic:
        return None
    rules.append(("thread", f"subject tag [#{number}]"))
    return row


def _find_customer(conn: Connection, kind: ContactKind, keys: list[str]) -> int | None:
    """The customer with this contact: an e-mail by its one key, a phone by
    every key its number may be stored under (#15.9)."""
    ct = schema.ContactRow.__table__
    kinds = [ContactKind.EMAIL.value] if kind is ContactKind.EMAIL else [ContactKind.MOBILE.value, ContactKind.PHONE.value]
    found = conn.execute(
        select(ct.c.customer_id).where(ct.c.normalized.in_(keys), ct.c.kind.in_(kinds))
        .order_by(ct.c.customer_id).limit(1)
    ).scalar()
    return None if found is None else int(found)


def _find_or_create_customer(store, conn: Connection, kind: ContactKind, sender: str, normalized: str,
                             keys: list[str], name: str, at: int) -> tuple[int, bool]:
    ct = schema.ContactRow.__table__
    found = _find_customer(conn, kind, keys)
    if found is not None:
        return found, False
    first, _, last = (name.strip() or sender).partition(" ")
    customer_id = conn.execute(
        insert(schema.CustomerRow.__table__).values(
            type=CustomerType.PERSON.value, id_type=IdType.OTHER.value, id_number="",
            first_name=first[:80], last_name=last[:80], sort_name=name_sort_key(first[:80], "", last[:80]),
            created_at=at, updated_at=at,
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
