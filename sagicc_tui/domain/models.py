"""Typed, plain models: what the Backend returns and the UI shows.

Frozen dataclasses with slots: cheap to build by the hundred for a page of
cards, safe to hand between threads, and free of any ORM session. They import
nothing but the standard library so the CLI and the UI can load them fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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

model = dataclass(frozen=True, slots=True, kw_only=True)


# --- campaign configuration (P4) -------------------------------------------


@model
class TaskField:
    key: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()


@model
class SlaRule:
    """Per priority: minutes to the first outgoing answer and to closing."""

    priority: Priority
    first_response_minutes: int
    resolution_minutes: int


@model
class MessageTemplate:
    key: str
    name: str
    body: str
    subject: str = ""
    channel: ChannelType | None = None  # None: any channel


@model
class Survey:
    key: str
    name: str
    url: str


@model
class CampaignMailbox:
    """The mailbox a campaign's e-mail comes from (#13): read by `sagicc mail
    fetch | watch` and `sagicc serve --mail` into this campaign.

    The password is never kept here nor returned by any read: `password_file`
    names a file only its owner can read on the machine that fetches; empty,
    that machine's system keyring entry for `user@host` is used (put there
    with `sagicc mail password --campaign`)."""

    host: str
    user: str
    port: int = 0  # 0: the security's default (993 ssl, 143 otherwise)
    security: MailSecurity = MailSecurity.SSL
    folder: str = "INBOX"
    password_file: str = ""

    @property
    def account(self) -> str:
        return f"{self.user}@{self.host}"


@model
class Campaign:
    id: int
    name: str
    view_all_tickets: bool = False
    mass_close_allowed: bool = True
    allow_other_contacts: bool = False
    reply_takes_ticket: bool = True  # replying to an unassigned ticket assigns it to the replier (#11.7)
    task_fields: tuple[TaskField, ...] = ()
    primary_field: str | None = None  # key of the task field shown on cards
    incoming_channels: tuple[ChannelType, ...] = ()
    outgoing_channels: tuple[ChannelType, ...] = ()
    script: str = ""
    sla_rules: tuple[SlaRule, ...] = ()
    templates: tuple[MessageTemplate, ...] = ()
    surveys: tuple[Survey, ...] = ()
    active: bool = True  # a disabled campaign takes no new tickets and is hidden from agents
    country: str = "CO"  # ISO 3166 region its phones without "+" are read in (#15.9)
    version: int = 1  # moves on every administration change (P4): stale edits are refused
    mailbox: CampaignMailbox | None = None  # its e-mail channel's mailbox (#13), if it reads one

    def sla_for(self, priority: Priority) -> SlaRule | None:
        for rule in self.sla_rules:
            if rule.priority is priority:
                return rule
        return None

    def primary_task_field(self) -> TaskField | None:
        for f in self.task_fields:
            if f.key == self.primary_field:
                return f
        return None


# --- people -----------------------------------------------------------------


@model
class User:
    id: int
    username: str
    full_name: str
    role: Role
    status: AgentStatus = AgentStatus.AVAILABLE
    campaign_ids: tuple[int, ...] = ()
    can_export: bool | None = None  # None: the role's default (C3)
    active: bool = True
    language: str | None = None  # "es" or "en"; None: the terminal's locale
    version: int = 1  # an administrator's save names it (update_user's expected_version)


@model
class Customer:
    id: int
    type: CustomerType
    id_type: IdType
    id_number: str
    first_name: str
    middle_name: str = ""
    last_name: str = ""
    second_last_name: str = ""
    birth_date: date | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    features: tuple[str, ...] = ()
    assigned_user_id: int | None = None
    created_at: datetime
    version: int = 1
    updated_at: datetime | None = None  # who saved it last, and when: for a refused save's comparison (T15)
    updated_by: int | None = None

    @property
    def full_name(self) -> str:
        parts = (self.first_name, self.middle_name, self.last_name, self.second_last_name)
        return " ".join(p for p in parts if p)


@model
class ContactInfo:
    id: int
    customer_id: int
    kind: ContactKind
    value: str
    normalized: str
    label: str = ""
    version: int = 1  # If-Match of update_contact (P10)


@model
class Account:
    id: int
    customer_id: int
    number: str
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    version: int = 1  # If-Match of update_account (P10)


@model
class CustomerRelation:
    id: int
    customer_id: int
    related_customer_id: int
    relation: str


# --- tickets ----------------------------------------------------------------


@model
class Ticket:
    id: int
    number: int
    campaign_id: int
    customer_id: int
    account_id: int | None = None
    assignee_id: int | None = None
    status: TicketStatus
    priority: Priority
    type: TicketType
    description: str = ""
    origin_channel: ChannelType
    last_channel: ChannelType | None = None  # channel of the last incoming interaction
    created_at: datetime
    updated_at: datetime
    updated_by: int | None = None
    unread_count: int = 0
    unread_at: datetime | None = None  # oldest unread incoming interaction
    last_interaction_at: datetime | None = None
    last_summary: str = ""
    last_direction: Direction | None = None
    first_response_at: datetime | None = None
    next_task_at: datetime | None = None
    last_outcome: str | None = None  # primary task field value of the last task
    last_survey_at: datetime | None = None
    merged_into_id: int | None = None
    closed_at: datetime | None = None
    version: int = 1

    @property
    def is_closed(self) -> bool:
        return self.status is TicketStatus.CLOSED


@model
class TicketCard:
    """The light row of the ticket list: every L3 component, nothing more."""

    id: int
    number: int
    campaign_id: int
    status: TicketStatus
    priority: Priority
    type: TicketType
    last_outcome: str | None
    unread_count: int
    unread_at: datetime | None
    last_summary: str
    last_direction: Direction | None
    customer_id: int
    customer_id_number: str
    customer_name: str
    assignee_id: int | None
    assignee_name: str | None
    description: str
    created_at: datetime
    last_channel: ChannelType | None
    next_task_at: datetime | None
    sla_breached: bool
    version: int
    assigned_at: datetime | None = None  # when the assignee got it (L7 notices)
    sla_due_at: datetime | None = None  # the next SLA deadline, for the countdown (L3)


@model
class TicketRelation:
    ticket_id: int
    related_ticket_id: int
    related_number: int
    created_at: datetime
    # What the list shows of the related ticket (T3): its status, customer and subject
    # (the first e-mail subject, else its description, else its last message).
    status: TicketStatus | None = None
    customer_name: str = ""
    subject: str = ""


@model
class AttachmentRef:
    id: int
    name: str
    size: int
    mime: str


@model
class Interaction:
    id: int
    ticket_id: int
    direction: Direction
    channel: ChannelType
    sender: str
    contact: str
    content: str
    created_at: datetime
    read: bool = False
    subject: str = ""
    cc: str = ""
    bcc: str = ""
    delivery: DeliveryState = DeliveryState.RECEIVED
    delivery_error: str = ""
    client_key: str | None = None  # made when Send is pressed: a retry never duplicates
    attachments: tuple[AttachmentRef, ...] = ()


@model
class Task:
    id: int
    ticket_id: int
    values: dict[str, Any]
    observations: str
    next_task_at: datetime | None
    author_id: int
    author_name: str
    created_at: datetime


@model
class TaskInput:
    """A filled task form (T11, L8 Add Task)."""

    values: dict[str, Any] = field(default_factory=dict)
    observations: str = ""
    next_task_at: datetime | None = None


@model
class Note:
    id: int
    ticket_id: int
    text: str
    color: NoteColor
    author_id: int
    created_at: datetime


@model
class Attachment:
    id: int
    ticket_id: int
    interaction_id: int | None
    name: str
    size: int
    mime: str
    sha256: str
    created_at: datetime


@model
class AttachmentContent:
    """A file as its name, type and bytes: one downloaded (T13), sent with a
    message (T9) or received with one (ingest). The Backend never reads or
    writes a path; the UI and the CLI do (sagicc_tui/files.py). `name` may be
    a customer's, untrusted, made safe when it names a file."""

    name: str
    mime: str
    data: bytes


@model
class ChangeLogEntry:
    id: int
    entity: EntityKind
    entity_id: int
    kind: ChangeKind
    field: str
    previous: str
    new: str
    user_id: int | None
    user_name: str
    at: datetime
    # When `field` holds ids (domain/labels.ID_FIELDS): the names the store has for them
    # now ("" when that customer, account or campaign no longer exists).
    previous_name: str = ""
    new_name: str = ""


@model
class RuleLogEntry:
    id: int
    ticket_id: int
    rule: str
    detail: str
    at: datetime


@model
class Draft:
    user_id: int
    ticket_id: int
    form: str  # "composer" or "task"
    data: dict[str, Any]
    updated_at: datetime
