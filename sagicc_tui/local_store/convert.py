"""Rows to plain domain models, and back. No session ever leaves the store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sagicc_tui.domain import phones
from sagicc_tui.domain.enums import (
    AgentStatus,
    ChangeKind,
    ChannelType,
    ContactKind,
    CustomerStatus,
    CustomerType,
    DeliveryState,
    Direction,
    EntityKind,
    FieldType,
    IdType,
    MailSecurity,
    NoteColor,
    Priority,
    Role,
    TicketStatus,
    TicketType,
)
from sagicc_tui.domain.models import (
    Account,
    Campaign,
    CampaignMailbox,
    ChangeLogEntry,
    ContactInfo,
    Customer,
    Interaction,
    MessageTemplate,
    Note,
    SlaRule,
    Survey,
    Task,
    TaskField,
    Ticket,
    User,
)


def to_epoch(at: datetime | None) -> int | None:
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone-aware UTC")
    return int(at.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


# --- campaign config as JSON ----------------------------------------------------


def campaign_to_config(c: Campaign) -> str:
    return json.dumps(
        {
            "view_all_tickets": c.view_all_tickets,
            "mass_close_allowed": c.mass_close_allowed,
            "allow_other_contacts": c.allow_other_contacts,
            "reply_takes_ticket": c.reply_takes_ticket,
            "task_fields": [
                {"key": f.key, "label": f.label, "type": f.type.value, "required": f.required,
                 "choices": list(f.choices)}
                for f in c.task_fields
            ],
            "primary_field": c.primary_field,
            "incoming_channels": [ch.value for ch in c.incoming_channels],
            "outgoing_channels": [ch.value for ch in c.outgoing_channels],
            "script": c.script,
            "sla_rules": [
                {"priority": r.priority.value, "first_response_minutes": r.first_response_minutes,
                 "resolution_minutes": r.resolution_minutes}
                for r in c.sla_rules
            ],
            "templates": [
                {"key": t.key, "name": t.name, "body": t.body, "subject": t.subject,
                 "channel": t.channel.value if t.channel else None}
                for t in c.templates
            ],
            "surveys": [{"key": s.key, "name": s.name, "url": s.url} for s in c.surveys],
            "active": c.active,
            "country": c.country,
            "version": c.version,
            "mailbox": mailbox_to_json(c.mailbox),
        },
        ensure_ascii=False,
    )


def campaign_from_row(id_: int, name: str, config: str) -> Campaign:
    d: dict[str, Any] = json.loads(config or "{}")
    return Campaign(
        id=id_,
        name=name,
        view_all_tickets=bool(d.get("view_all_tickets", False)),
        mass_close_allowed=bool(d.get("mass_close_allowed", True)),
        allow_other_contacts=bool(d.get("allow_other_contacts", False)),
        reply_takes_ticket=bool(d.get("reply_takes_ticket", True)),
        task_fields=tuple(
            TaskField(key=f["key"], label=f["label"], type=FieldType(f.get("type", "text")),
                      required=bool(f.get("required")), choices=tuple(f.get("choices", ())))
            for f in d.get("task_fields", ())
        ),
        primary_field=d.get("primary_field"),
        incoming_channels=tuple(ChannelType(x) for x in d.get("incoming_channels", ())),
        outgoing_channels=tuple(ChannelType(x) for x in d.get("outgoing_channels", ())),
        script=d.get("script", ""),
        sla_rules=tuple(
            SlaRule(priority=Priority(r["priority"]),
                    first_response_minutes=int(r["first_response_minutes"]),
                    resolution_minutes=int(r["resolution_minutes"]))
            for r in d.get("sla_rules", ())
        ),
        templates=tuple(
            MessageTemplate(key=t["key"], name=t["name"], body=t["body"], subject=t.get("subject", ""),
                            channel=ChannelType(t["channel"]) if t.get("channel") else None)
            for t in d.get("templates", ())
        ),
        surveys=tuple(Survey(key=s["key"], name=s["name"], url=s["url"]) for s in d.get("surveys", ())),
        active=bool(d.get("active", True)),
        country=str(d.get("country") or "CO"),
        version=int(d.get("version", 1)),
        mailbox=mailbox_from_json(d.get("mailbox")),
    )


def mailbox_to_json(m: CampaignMailbox | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"host": m.host, "user": m.user, "port": m.port, "security": m.security.value, "folder": m.folder,
            "password_file": m.password_file}


def mailbox_from_json(d: dict[str, Any] | None) -> CampaignMailbox | None:
    if not d:
        return None
    return CampaignMailbox(host=d["host"], user=d["user"], port=int(d.get("port", 0)),
                           security=MailSecurity(d.get("security", "ssl")), folder=d.get("folder", "INBOX"),
                           password_file=d.get("password_file", ""))


def user_from_row(r: Any, campaign_ids: tuple[int, ...]) -> User:
    return User(
        id=r.id, username=r.username, full_name=r.full_name, role=Role(r.role),
        status=AgentStatus(r.status), campaign_ids=campaign_ids,
        can_export=None if r.can_export is None else bool(r.can_export), active=bool(r.active),
        language=getattr(r, "language", None), version=getattr(r, "version", 1),
    )


def customer_from_row(r: Any, features: tuple[str, ...]) -> Customer:
    return Customer(
        id=r.id, type=CustomerType(r.type), id_type=IdType(r.id_type), id_number=r.id_number,
        first_name=r.first_name, middle_name=r.middle_name, last_name=r.last_name,
        second_last_name=r.second_last_name,
        birth_date=date.fromisoformat(r.birth_date) if r.birth_date else None,
        status=CustomerStatus(r.status), features=features, assigned_user_id=r.assigned_user_id,
        created_at=_dt(r.created_at), version=r.version,
        updated_at=_dt(r.updated_at) if r.updated_at else None, updated_by=r.updated_by,
    )


def contact_from_row(r: Any) -> ContactInfo:
    return ContactInfo(id=r.id, customer_id=r.customer_id, kind=ContactKind(r.kind), value=r.value,
                       normalized=r.normalized, label=r.label, version=r.version)


def account_from_row(r: Any) -> Account:
    return Account(id=r.id, customer_id=r.customer_id, number=r.number, name=r.name,
                   extra=json.loads(r.extra or "{}"), version=r.version)


def ticket_from_row(r: Any) -> Ticket:
    return Ticket(
        id=r.id, number=r.number, campaign_id=r.campaign_id, customer_id=r.customer_id,
        account_id=r.account_id, assignee_id=r.assignee_id, status=TicketStatus(r.status),
        priority=Priority(r.priority), type=TicketType(r.type), description=r.description,
        origin_channel=ChannelType(r.origin_channel),
        last_channel=ChannelType(r.last_channel) if r.last_channel else None,
        created_at=_dt(r.created_at), updated_at=_dt(r.updated_at), updated_by=r.updated_by,
        unread_count=r.unread_count, unread_at=from_epoch(r.unread_at),
        last_interaction_at=from_epoch(r.last_interaction_at), last_summary=r.last_summary,
        last_direction=Direction(r.last_direction) if r.last_direction else None,
        first_response_at=from_epoch(r.first_response_at), next_task_at=from_epoch(r.next_task_at),
        last_outcome=r.last_outcome, last_survey_at=from_epoch(r.last_survey_at),
        merged_into_id=r.merged_into_id, closed_at=from_epoch(r.closed_at), version=r.version,
    )


def interaction_from_row(r: Any) -> Interaction:
    return Interaction(
        id=r.id, ticket_id=r.ticket_id, direction=Direction(r.direction),
        channel=ChannelType(r.channel), sender=r.sender, contact=r.contact, content=r.content,
        created_at=_dt(r.created_at), read=bool(r.read), subject=r.subject, cc=r.cc, bcc=r.bcc,
        delivery=DeliveryState(r.delivery), delivery_error=r.delivery_error, client_key=r.client_key,
    )


def task_from_row(r: Any, author_name: str) -> Task:
    return Task(
        id=r.id, ticket_id=r.ticket_id, values=json.loads(r.values_json or "{}"),
        observations=r.observations, next_task_at=from_epoch(r.next_task_at),
        author_id=r.author_id, author_name=author_name, created_at=_dt(r.created_at),
    )


def note_from_row(r: Any) -> Note:
    return Note(id=r.id, ticket_id=r.ticket_id, text=r.text, color=NoteColor(r.color),
                author_id=r.author_id, created_at=_dt(r.created_at))


def change_from_row(r: Any, user_name: str) -> ChangeLogEntry:
    return ChangeLogEntry(
        id=r.id, entity=EntityKind(r.entity), entity_id=r.entity_id, kind=ChangeKind(r.kind),
        field=r.field, previous=r.previous, new=r.new, user_id=r.user_id, user_name=user_name,
        at=_dt(r.at),
    )


def normalize_contact(kind: ContactKind, value: str, country: str | None = None) -> str:
    """E-mail: trimmed, lower-case. Phones: E.164 digits read in `country`
    (#15.9); without a country, the bare digits as stores before kept them."""
    value = value.strip()
    if kind is ContactKind.EMAIL:
        return value.lower()
    if kind in (ContactKind.PHONE, ContactKind.MOBILE):
        return phones.digits_of(value) if country is None else phones.e164_key(value, country)
    return value.lower()
    if kind in (ContactKind.PHONE, ContactKind.MOBILE):
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits[2:] if digits.startswith("00") else digits
    return value.lower()
