"""The closed vocabularies of the product (spec glossary).

Values are stable lowercase strings: they are stored in the database, sent over
the API and accepted on the command line, so they never change with the UI
language. Labels for people come from `label()` through the translation catalog.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    TRANSFERRED = "transferred"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is the most urgent; used for sorting and SLA lookups."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


class TicketType(StrEnum):
    QUESTION = "question"
    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"
    CLAIM = "claim"


class ChannelType(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    TELEPHONY = "telephony"
    CHAT = "chat"
    SMS = "sms"


class MailSecurity(StrEnum):
    """How a mailbox (IMAP) connection is protected (#13)."""

    SSL = "ssl"
    STARTTLS = "starttls"
    PLAIN = "plain"  # only to a server on this machine


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    MOBILE = "mobile"
    ADDRESS = "address"
    SOCIAL = "social"


# Which contact kinds a channel can deliver to (T9: email for email, phone and
# mobile for telephony and WhatsApp).
CHANNEL_CONTACT_KINDS: dict[ChannelType, frozenset[ContactKind]] = {
    ChannelType.EMAIL: frozenset({ContactKind.EMAIL}),
    ChannelType.WHATSAPP: frozenset({ContactKind.MOBILE, ContactKind.PHONE}),
    ChannelType.TELEPHONY: frozenset({ContactKind.PHONE, ContactKind.MOBILE}),
    ChannelType.SMS: frozenset({ContactKind.MOBILE}),
    ChannelType.CHAT: frozenset({ContactKind.SOCIAL, ContactKind.EMAIL}),
}


# Channels that can carry files, and channels with e-mail fields (subject, cc, bcc).
CHANNELS_WITH_ATTACHMENTS = frozenset({ChannelType.EMAIL, ChannelType.WHATSAPP, ChannelType.CHAT})
CHANNELS_WITH_MAIL_FIELDS = frozenset({ChannelType.EMAIL})
# Channels where the agent places a call rather than sends a message (T9 "Send or Call").
VOICE_CHANNELS = frozenset({ChannelType.TELEPHONY})


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class DeliveryState(StrEnum):
    RECEIVED = "received"  # incoming interactions
    PENDING = "pending"  # outgoing, not yet handed to the channel driver
    SENT = "sent"
    FAILED = "failed"  # shown with a retry, never lost
    RECORDED = "recorded"  # record-only driver: no gateway configured


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"


class CustomerType(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class IdType(StrEnum):
    CC = "cc"  # cédula de ciudadanía
    CE = "ce"  # cédula de extranjería
    NIT = "nit"  # company tax id
    PASSPORT = "passport"
    OTHER = "other"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class NoteColor(StrEnum):
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    RED = "red"
    PURPLE = "purple"


class ChangeKind(StrEnum):
    """What a change-log entry records (T3 Change log 'type')."""

    CREATED = "created"
    FIELD = "field"  # a field changed: field, previous, new
    STATUS = "status"
    ASSIGNED = "assigned"
    CAMPAIGN = "campaign"
    MERGED = "merged"
    MERGED_INTO = "merged_into"
    CLOSED = "closed"
    TASK_ADDED = "task_added"
    NOTE_ADDED = "note_added"
    NOTE_DELETED = "note_deleted"
    ATTACHMENT_ADDED = "attachment_added"
    ATTACHMENT_REMOVED = "attachment_removed"
    INTERACTION_ADDED = "interaction_added"
    RELATED = "related"
    READ = "read"
    CUSTOMER_CHANGED = "customer_changed"
    CUSTOMER_MERGED = "customer_merged"
    CUSTOMER_DISABLED = "customer_disabled"
    CUSTOMER_DELETED = "customer_deleted"
    EXPORTED = "exported"
    TRANSCRIPT_SENT = "transcript_sent"


class EntityKind(StrEnum):
    TICKET = "ticket"
    CUSTOMER = "customer"
    CAMPAIGN = "campaign"
    USER = "user"


class TicketOrder(StrEnum):
    """The six L5 orders."""

    CREATED_ASC = "created_asc"
    CREATED_DESC = "created_desc"
    UNREAD_ASC = "unread_asc"
    UNREAD_DESC = "unread_desc"
    NEXT_TASK_FURTHEST = "next_task_furthest"
    NEXT_TASK_CLOSEST = "next_task_closest"
    PRIORITY = "priority"  # +L5: most urgent first, the oldest first within a priority
    SLA_DUE = "sla_due"  # +L5: the closest SLA deadline first (domain/rules.sla_due); none last


class UserFilter(StrEnum):
    """L4 Users: all users, specific users, or unassigned."""

    ALL = "all"
    SPECIFIC = "specific"
    UNASSIGNED = "unassigned"


class MassActionKind(StrEnum):
    CLOSE = "close"
    MERGE = "merge"
    ASSIGN = "assign"
    ADD_TASK = "add_task"
    REDISTRIBUTE = "redistribute"


OPEN_STATUSES = frozenset(s for s in TicketStatus if s is not TicketStatus.CLOSED)
