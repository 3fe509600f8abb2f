"""T9 composer and T3 Send transcript: outgoing interactions, delivered once.

Sending is three steps, so a slow or dead gateway never holds the store's
write lock and a message is never lost:

1. `prepare_send` (write transaction): validate, then commit the interaction
   with delivery PENDING, its attachments, the ticket's new summary, the
   change-log entries, and a delivery claim.
2. The channel driver delivers it, outside any transaction.
3. `finish` (write transaction): SENT, FAILED with the error sentence, or
   RECORDED (no gateway configured); the claim is released.

Idempotency: the UI makes `client_key` when Send is pressed. A second call
with the same key returns the interaction the first call committed, whether
or not its caller saw the answer, and delivers nothing: one interaction, one
e-mail. A claim older than CLAIM_TTL belongs to a process that died while
delivering; its message is marked FAILED ("interrupted") instead of being
sent again blindly, and `retry_delivery` sends it on request.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, insert, select, update

from sagicc_tui.channels.driver import (
    CHANNELS_WITH_ATTACHMENTS,
    CHANNELS_WITH_MAIL_FIELDS,
    DeliveryReport,
    Envelope,
    OutboundFile,
)
from sagicc_tui.domain import phones
from sagicc_tui.domain.enums import (
    CHANNEL_CONTACT_KINDS,
    ChangeKind,
    ChannelType,
    ContactKind,
    DeliveryState,
    Direction,
    EntityKind,
    TicketStatus,
)
from sagicc_tui.domain.errors import InvalidInput, NotFound, RuleViolation
from sagicc_tui.domain.messages import N_, msg
from sagicc_tui.domain.models import AttachmentContent, Campaign, Interaction, Ticket, User
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.local_store import attachments as files_mod
from sagicc_tui.local_store import mail_thread, phone_match
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import customer_from_row, from_epoch, interaction_from_row, normalize_contact
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ticket_actions import refuse_closed, summary, write_ticket
from sagicc_tui.render import Gettext
from sagicc_tui.render import transcript as transcript_mod

DELIVERY = schema.OutgoingDeliveryRow.__table__
it = schema.InteractionRow.__table__
ct = schema.ContactRow.__table__
at = schema.AttachmentRow.__table__
dv = DELIVERY.c

CLAIM_TTL = 300  # seconds: longer than any delivery with the drivers' timeouts
MAX_TEXT = 200_000  # characters
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True, slots=True)
class Prepared:
    """The committed interaction, and what to hand to the driver (None: nothing,
    e.g. a replay of a key already used)."""

    interaction: Interaction
    envelope: Envelope | None


# --- reading ------------------------------------------------------------------


def _interaction(conn: Connection, interaction_id: int) -> Interaction:
    row = conn.execute(select(it).where(it.c.id == interaction_id)).one()
    refs = files_mod.refs_for(conn, [row.id]).get(row.id, ())
    i = interaction_from_row(row)
    return replace(i, attachments=refs) if refs else i


def find_by_key(store: Store, conn: Connection, user: User, client_key: str) -> Interaction | None:
    """The interaction an earlier Send with this key committed, if any (read only)."""
    if not client_key:
        return None
    row = conn.execute(select(it.c.id, it.c.ticket_id).where(it.c.client_key == client_key)).first()
    if row is None:
        return None
    reads.get(store, conn, user, ticket_id=row.ticket_id)
    return _interaction(conn, row.id)


# --- the composer ---------------------------------------------------------------


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise InvalidInput(N_("The message has no send key; the screen makes one when Send is pressed."))
    if key.startswith(transcript_mod.TRANSCRIPT_KEY_PREFIX):
        raise InvalidInput(N_("Send keys starting with {prefix} are reserved for transcripts."),
                           prefix=transcript_mod.TRANSCRIPT_KEY_PREFIX)
    return key


def _replay(store: Store, conn: Connection, me: User, row) -> Prepared:
    """The same Send again: hand back what the first call committed."""
    reads.get(store, conn, me, ticket_id=row.ticket_id)
    if row.author_id not in (None, me.id):
        raise InvalidInput(N_("This send key was already used for another message; send again."))
    if row.delivery == DeliveryState.PENDING.value and _claim_is_stale(store, conn, row.id):
        _mark_interrupted(store, conn, me, row)
    return Prepared(_interaction(conn, row.id), None)


def _claim_is_stale(store: Store, conn: Connection, interaction_id: int) -> bool:
    claimed = conn.execute(select(dv.claimed_at).where(dv.interaction_id == interaction_id)).first()
    return claimed is None or claimed.claimed_at is None or claimed.claimed_at < store.now() - CLAIM_TTL


def _mark_interrupted(store: Store, conn: Connection, me: User, row) -> None:
    error = msg(N_("The delivery was interrupted (the program stopped while sending); it may not have "
                   "left. Retry to send it again."))
    conn.execute(update(it).where(it.c.id == row.id).values(delivery=DeliveryState.FAILED.value, delivery_error=str(error)))
    conn.execute(update(DELIVERY).where(dv.interaction_id == row.id).values(claimed_at=None))
    store.log(conn, me, [LogLine(EntityKind.TICKET, row.ticket_id, ChangeKind.FIELD, "delivery",
                                 DeliveryState.PENDING, DeliveryState.FAILED)])


def prepare_send(
    store: Store, conn: Connection, user: User, ticket_id: int, message: OutgoingMessage,
    files: list[tuple[AttachmentContent, str]],
) -> Prepared:
    """Step 1 of Send: validate and commit the PENDING interaction (see module doc).

    `files` were checked and stored by hash
    before this transaction began.
    """
    me = store.fresh_user(conn, user)
    key = _check_key(message.client_key)
    existing = conn.execute(select(it).where(it.c.client_key == key)).first()
    if existing is not None:
        return _replay(store, conn, me, existing)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    campaign = store.campaign(conn, ticket.campaign_id)
    assert campaign is not None
    try:
        channel = ChannelType(message.channel)
    except ValueError:
        raise InvalidInput(N_("{value} is not a channel."), value=message.channel) from None
    if channel not in campaign.outgoing_channels:
        raise RuleViolation(
            N_("Campaign {campaign} does not send by {channel}; choose one of its outgoing channels: {channels}."),
            campaign=campaign.name, channel=channel.value,
            channels=", ".join(c.value for c in campaign.outgoing_channels) or "-",
        )
    to = _resolve_contact(conn, ticket, campaign, channel, message.contact,
                          _phone_countries(store, conn, ticket, campaign))
    customer_name = _customer_name(conn, ticket.customer_id)

    text, subject = message.text or "", message.subject or ""
    if message.template_key:
        tpl = next((x for x in campaign.templates if x.key == message.template_key), None)
        if tpl is None:
            raise InvalidInput(N_("Campaign {campaign} has no message template {key}."),
                               campaign=campaign.name, key=message.template_key)
        if tpl.channel is not None and tpl.channel is not channel:
            raise InvalidInput(N_("The template {name} is for the {channel} channel."), name=tpl.name,
                               channel=tpl.channel.value)
        text = text or tpl.body
        subject = subject or tpl.subject
    survey_at = None
    if message.survey_key:
        sv = next((x for x in campaign.surveys if x.key == message.survey_key), None)
        if sv is None:
            raise InvalidInput(N_("Campaign {campaign} has no survey {key}."), campaign=campaign.name,
                               key=message.survey_key)
        text = f"{text.rstrip()}\n\n{sv.name}: {sv.url}".lstrip()
        survey_at = store.now()
    text = fill_variables(text, customer_name, ticket.number)
    subject = fill_variables(subject, customer_name, ticket.number)
    if len(text) > MAX_TEXT:
        raise InvalidInput(N_("The message has {count} characters; the most is {max}."), count=len(text), max=MAX_TEXT)
    if files and channel not in CHANNELS_WITH_ATTACHMENTS:
        raise InvalidInput(N_("The {channel} channel cannot carry attachments; remove them or choose another channel."),
                           channel=channel.value)
    if not text.strip() and not files and channel is not ChannelType.TELEPHONY:
        raise InvalidInput(N_("The message is empty; write a message, choose a template or attach a file."))
    if channel is ChannelType.EMAIL and not subject.strip():
        subject = mail_thread.default_subject(conn, ticket)
    cc, bcc = _mail_fields(channel, to, subject, message.cc, message.bcc)

    now = store.now()
    interaction_id = _insert(conn, me, ticket, channel, to, text, subject, cc, bcc, key, now)
    headers = mail_thread.record_outgoing(conn, ticket, interaction_id, now) if channel is ChannelType.EMAIL else None
    files_mod.insert_rows(store, conn, me, ticket.id, interaction_id, files, now)
    draft = schema.DraftRow.__table__
    conn.execute(delete(draft).where(draft.c.user_id == me.id, draft.c.ticket_id == ticket.id,
                                     draft.c.form == "composer"))
    lines = [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.INTERACTION_ADDED, "interaction", "",
                     f"{channel.value}: {to}")]
    _touch_ticket(store, conn, me, ticket, text or subject, now, lines, survey_at=survey_at, response=True,
                  take=campaign.reply_takes_ticket)
    envelope = Envelope(
        channel=channel, to=to, text=text, subject=subject, cc=cc, bcc=bcc,
        files=tuple(OutboundFile(f.name, f.mime, f.data) for f, _digest in files),
        **mail_thread.envelope_fields(headers, interaction_id),
    )
    return Prepared(_interaction(conn, interaction_id), envelope)


def fill_variables(text: str, customer_name: str, ticket_number: int) -> str:
    """Template variables; only these two, never str.format on text people wrote."""
    return text.replace("{customer_name}", customer_name).replace("{ticket_number}", str(ticket_number))


def _customer_name(conn: Connection, customer_id: int) -> str:
    cu = schema.CustomerRow.__table__
    row = conn.execute(select(cu).where(cu.c.id == customer_id)).one()
    return customer_from_row(row, ()).full_name


def _phone_countries(store: Store, conn: Connection, ticket: Ticket, campaign: Campaign) -> tuple[str, ...]:
    """The countries a typed number is read in: the ticket's campaign's (how
    ingest stored the phone) and the customer's (how their profile stored it)."""
    return tuple(dict.fromkeys(c for c in (campaign.country,
                                           phone_match.customer_country(store, conn, ticket.customer_id)) if c))


def _resolve_contact(conn: Connection, ticket: Ticket, campaign: Campaign, channel: ChannelType,
                     contact: int | str, countries: tuple[str, ...] = ()) -> str:
    """The address or number to send to, checked against the channel (T9)."""
    kinds = CHANNEL_CONTACT_KINDS[channel]
    wanted = ", ".join(sorted(k.value for k in kinds))
    if isinstance(contact, int) and not isinstance(contact, bool):
        row = conn.execute(select(ct).where(ct.c.id == contact)).first()
        if row is None:
            raise NotFound(N_("There is no contact with id {id}; refresh the customer's contacts."), id=contact)
        if row.customer_id != ticket.customer_id and not campaign.allow_other_contacts:
            raise RuleViolation(N_("That contact belongs to another customer; campaign {campaign} sends only to "
                                   "the ticket's customer."), campaign=campaign.name)
        if ContactKind(row.kind) not in kinds:
            raise InvalidInput(N_("{value} is a {kind} contact; the {channel} channel sends to {kinds}."),
                               value=row.value, kind=row.kind, channel=channel.value, kinds=wanted)
        return row.value
    value = str(contact or "").strip()
    if not value:
        raise InvalidInput(N_("Choose the contact to send to."))
    kind = ContactKind.EMAIL if "@" in value else ContactKind.MOBILE
    if ContactKind.EMAIL in kinds and kind is ContactKind.EMAIL:
        normalized, ok_kinds = normalize_contact(ContactKind.EMAIL, value), [ContactKind.EMAIL.value]
        keys = [normalized]
    elif kind is ContactKind.MOBILE and kinds & {ContactKind.MOBILE, ContactKind.PHONE}:
        normalized = normalize_contact(ContactKind.MOBILE, value)
        ok_kinds = [k.value for k in kinds & {ContactKind.MOBILE, ContactKind.PHONE}]
        # The same variants as ingest (#15.9): `301 555 0001` typed finds the
        # contact stored as 573015550001, and one stored before E.164 too.
        keys = sorted({normalized, *phones.match_keys(value, countries or (campaign.country,)),
                       *(phones.e164_key(value, c) for c in countries or (campaign.country,))})
    else:
        raise InvalidInput(N_("{value} cannot receive by the {channel} channel; it sends to {kinds}."),
                           value=value, channel=channel.value, kinds=wanted)
    own = conn.execute(
        select(ct.c.value).where(ct.c.customer_id == ticket.customer_id, ct.c.normalized.in_(keys),
                                 ct.c.kind.in_(ok_kinds)).order_by(ct.c.id).limit(1)
    ).scalar()
    if own is not None:
        return own
    if not campaign.allow_other_contacts:
        raise RuleViolation(N_("{value} is not a contact of the ticket's customer; campaign {campaign} sends only "
                               "to the customer's own contacts."), value=value, campaign=campaign.name)
    if kind is ContactKind.EMAIL:
        if not _EMAIL.match(value):
            raise InvalidInput(N_("{value} is not a valid e-mail address."), value=value)
    elif len(normalized) < 5 or len(normalized) > 15:
        raise InvalidInput(N_("{value} is not a valid phone number."), value=value)
    return value


def _addresses(raw: str, field: str) -> tuple[str, ...]:
    out = []
    for part in re.split(r"[,;]", raw or ""):
        addr = part.strip()
        if not addr:
            continue
        if not _EMAIL.match(addr):
            raise InvalidInput(N_("{value} in {label} is not a valid e-mail address."), value=addr,
                               label=field, field=field.lower())
        if addr.lower() not in (a.lower() for a in out):
            out.append(addr)
    return tuple(out)


def _mail_fields(channel: ChannelType, to: str, subject: str, cc: str, bcc: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if channel not in CHANNELS_WITH_MAIL_FIELDS:
        if (cc or "").strip() or (bcc or "").strip():
            raise InvalidInput(N_("Cc and Bcc are e-mail fields; the {channel} channel has none."), channel=channel.value)
        return (), ()
    if not _EMAIL.match(to):
        raise InvalidInput(N_("{value} is not a valid e-mail address."), value=to)
    if "\r" in subject or "\n" in subject:
        raise InvalidInput(N_("The subject must be one line."))
    if len(subject) > 900:
        raise InvalidInput(N_("The subject is too long; keep it under 900 characters."))
    if not subject.strip():
        raise InvalidInput(N_("An e-mail needs a subject."))
    return _addresses(cc, "Cc"), _addresses(bcc, "Bcc")


def _insert(conn: Connection, me: User, ticket: Ticket, channel: ChannelType, to: str, text: str, subject: str,
            cc: tuple[str, ...], bcc: tuple[str, ...], key: str, now: int) -> int:
    interaction_id = int(conn.execute(insert(it).values(
        ticket_id=ticket.id, direction=Direction.OUTGOING.value, channel=channel.value, sender=me.full_name,
        contact=to, content=text, subject=subject, cc=", ".join(cc), bcc=", ".join(bcc), created_at=now,
        read=True, delivery=DeliveryState.PENDING.value, delivery_error="", client_key=key, author_id=me.id,
    )).inserted_primary_key[0])
    conn.execute(insert(DELIVERY).values(interaction_id=interaction_id, attempts=0, claimed_at=now))
    return interaction_id


def _touch_ticket(store: Store, conn: Connection, me: User, ticket: Ticket, text: str, now: int,
                  lines: list[LogLine], *, survey_at: int | None = None, response: bool,
                  take: bool = False) -> Ticket:
    """The card follows the conversation; the first answer starts the SLA clock's
    first-response leg; a New ticket someone answered is Open; with `take` (the
    campaign's reply_takes_ticket) an unassigned ticket becomes the replier's, so it
    enters their pending list -- in the same transaction as the message."""
    values: dict = {"last_interaction_at": now, "last_summary": summary(text),
                    "last_direction": Direction.OUTGOING.value}
    if response and ticket.first_response_at is None:
        values["first_response_at"] = now
        lines.append(LogLine(EntityKind.TICKET, ticket.id, ChangeKind.FIELD, "first_response_at", "",
                             from_epoch(now)))
    if response and ticket.status is TicketStatus.NEW:
        values["status"] = TicketStatus.OPEN.value
        lines.append(LogLine(EntityKind.TICKET, ticket.id, ChangeKind.STATUS, "status", TicketStatus.NEW,
                             TicketStatus.OPEN))
    if take and ticket.assignee_id is None:
        values["assignee_id"] = me.id
        lines.append(LogLine(EntityKind.TICKET, ticket.id, ChangeKind.ASSIGNED, "assignee", "", me.full_name))
    if survey_at is not None:
        values["last_survey_at"] = survey_at
    # Only the status and assignee changes are edits; the card fields follow the conversation.
    return write_ticket(store, conn, me, ticket, None, values, lines,
                        bump="status" in values or "assignee_id" in values)


# --- delivery results and retries -----------------------------------------------------


def finish(store: Store, conn: Connection, user: User, interaction_id: int, report: DeliveryReport) -> Interaction:
    """Step 3: record what the driver said and release the claim."""
    row = conn.execute(select(it.c.id, it.c.ticket_id, it.c.delivery).where(it.c.id == interaction_id)).one()
    detail = str(report.detail) if report.detail is not None else ""
    conn.execute(update(it).where(it.c.id == interaction_id)
                 .values(delivery=report.state.value, delivery_error=detail))
    now = store.now()
    res = conn.execute(update(DELIVERY).where(dv.interaction_id == interaction_id)
                       .values(attempts=dv.attempts + 1, claimed_at=None, last_attempt_at=now))
    if res.rowcount == 0:
        conn.execute(insert(DELIVERY).values(interaction_id=interaction_id, attempts=1, claimed_at=None,
                                                last_attempt_at=now))
    store.log(conn, user, [LogLine(EntityKind.TICKET, row.ticket_id, ChangeKind.FIELD, "delivery",
                                   row.delivery, report.state)], at=now)
    return _interaction(conn, interaction_id)


def delivery_attempts(conn: Connection, interaction_id: int) -> int:
    return conn.execute(select(dv.attempts).where(dv.interaction_id == interaction_id)).scalar() or 0


def prepare_retry(store: Store, conn: Connection, user: User, interaction_id: int) -> Prepared:
    """Send a FAILED message again (or one whose delivery was interrupted)."""
    me = store.fresh_user(conn, user)
    row, ticket = reads.child_in_scope(
        store, conn, me, it, interaction_id, NotFound(N_("There is no interaction with id {id}."), id=interaction_id))
    refuse_closed(ticket)
    if row.direction != Direction.OUTGOING.value:
        raise RuleViolation(N_("Only messages sent from here can be sent again."))
    state = DeliveryState(row.delivery)
    stale_pending = state is DeliveryState.PENDING and _claim_is_stale(store, conn, row.id)
    if state is not DeliveryState.FAILED and not stale_pending:
        raise RuleViolation(N_("Only a message that failed can be sent again; this one is {state}."),
                            state=state.value)
    now = store.now()
    conn.execute(update(it).where(it.c.id == row.id).values(delivery=DeliveryState.PENDING.value, delivery_error=""))
    if conn.execute(update(DELIVERY).where(dv.interaction_id == row.id).values(claimed_at=now)).rowcount == 0:
        conn.execute(insert(DELIVERY).values(interaction_id=row.id, attempts=0, claimed_at=now))
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.FIELD, "delivery", state,
                                 DeliveryState.PENDING)], at=now)
    files = []
    for a in conn.execute(select(at).where(at.c.interaction_id == row.id).order_by(at.c.id)):
        try:
            data = files_mod.blob_path(store, a.sha256).read_bytes()
        except OSError:
            raise NotFound(N_("The content of {name} is missing from the store's files ({path})."),
                           name=a.name, path=str(files_mod.blob_path(store, a.sha256))) from None
        files.append(OutboundFile(a.name, a.mime, data))
    envelope = Envelope(
        channel=ChannelType(row.channel), to=row.contact, text=row.content, subject=row.subject,
        cc=tuple(x for x in row.cc.split(", ") if x), bcc=tuple(x for x in row.bcc.split(", ") if x),
        files=tuple(files), **mail_thread.envelope_fields(mail_thread.stored(conn, row.id), row.id),
    )
    return Prepared(_interaction(conn, row.id), envelope)


# --- T3 Send transcript ---------------------------------------------------------------


def prepare_transcript(
    store: Store, conn: Connection, user: User, ticket_id: int, contact_id: int, client_key: str | None,
    gettext: Gettext,
) -> Prepared:
    """Commit the transcript as an outgoing e-mail interaction (PENDING) to one
    of the customer's e-mail contacts; the e-mail driver delivers it."""
    me = store.fresh_user(conn, user)
    key = transcript_mod.TRANSCRIPT_KEY_PREFIX + (client_key or uuid.uuid4().hex)
    existing = conn.execute(select(it).where(it.c.client_key == key)).first()
    if existing is not None:
        return _replay(store, conn, me, existing)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    contact = conn.execute(select(ct).where(ct.c.id == contact_id)).first()
    if contact is None or contact.customer_id != ticket.customer_id:
        raise NotFound(N_("The ticket's customer has no contact with id {id}; choose one of their e-mail addresses."),
                       id=contact_id)
    if contact.kind != ContactKind.EMAIL.value:
        raise InvalidInput(N_("{value} is not an e-mail address; a transcript is sent by e-mail."), value=contact.value)
    rows = conn.execute(select(it).where(it.c.ticket_id == ticket.id).order_by(it.c.created_at, it.c.id)).all()
    refs = files_mod.refs_for(conn, [r.id for r in rows])
    interactions = tuple(replace(interaction_from_row(r), attachments=refs.get(r.id, ())) for r in rows)
    data = transcript_mod.TranscriptInput(ticket=ticket, customer_name=_customer_name(conn, ticket.customer_id),
                                          interactions=interactions)
    text = transcript_mod.text(data, gettext)
    html = transcript_mod.html_page(data, gettext)
    subject = transcript_mod.subject(ticket, gettext)
    now = store.now()
    interaction_id = _insert(conn, me, ticket, ChannelType.EMAIL, contact.value, text, subject, (), (), key, now)
    headers = mail_thread.record_outgoing(conn, ticket, interaction_id, now)
    lines = [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.TRANSCRIPT_SENT, "transcript", "", contact.value)]
    _touch_ticket(store, conn, me, ticket, subject, now, lines, response=False)
    envelope = Envelope(channel=ChannelType.EMAIL, to=contact.value, text=text, subject=subject, html=html,
                        **mail_thread.envelope_fields(headers, interaction_id))
    return Prepared(_interaction(conn, interaction_id), envelope)
