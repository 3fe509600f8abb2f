"""Every enum value as a label in the UI language, and backend errors as sentences.

Tables hold English source strings marked with ``N_`` (so the catalog check
sees them) and are translated at call time, never at import: the language is
chosen after this module is imported.
"""

from __future__ import annotations

from sagicc_tui.domain.enums import (
    AgentStatus,
    ChangeKind,
    ChannelType,
    ContactKind,
    CustomerStatus,
    CustomerType,
    Direction,
    IdType,
    MassActionKind,
    Priority,
    Role,
    TicketOrder,
    TicketStatus,
    TicketType,
    UserFilter,
)
from sagicc_tui.domain import labels as shared
from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import Msg
from sagicc_tui.i18n import N_, _

# The tables the transcripts and external views share live in domain/labels.py.
_STATUS = shared.STATUS
_PRIORITY = {
    Priority.CRITICAL: N_("Critical"),
    Priority.HIGH: N_("High"),
    Priority.MEDIUM: N_("Medium"),
    Priority.LOW: N_("Low"),
}
_TYPE = {
    TicketType.QUESTION: N_("Question"),
    TicketType.SUGGESTION: N_("Suggestion"),
    TicketType.COMPLAINT: N_("Complaint"),
    TicketType.CLAIM: N_("Claim"),
}
_CHANNEL = shared.CHANNEL
# Short forms for the one-line cards, where "Correo electrónico" does not fit.
_CHANNEL_SHORT = {
    ChannelType.EMAIL: N_("Mail"),
    ChannelType.WHATSAPP: N_("WhatsApp"),
    ChannelType.TELEPHONY: N_("Phone"),
    ChannelType.CHAT: N_("Chat"),
    ChannelType.SMS: N_("SMS"),
}
_ROLE = {
    Role.AGENT: N_("Agent"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ADMINISTRATOR: N_("Administrator"),
}
_ROLE_SHORT = {  # the top bar at 80 columns (#12.7)
    Role.AGENT: N_("Agt."),
    Role.SUPERVISOR: N_("Sup."),
    Role.ADMINISTRATOR: N_("Adm."),
}
_AGENT_STATUS = {AgentStatus.AVAILABLE: N_("Available"), AgentStatus.BUSY: N_("Busy")}
_ORDER = {
    TicketOrder.CREATED_ASC: N_("Created, oldest first"),
    TicketOrder.CREATED_DESC: N_("Created, newest first"),
    TicketOrder.UNREAD_ASC: N_("Unread interaction, oldest first"),
    TicketOrder.UNREAD_DESC: N_("Unread interaction, newest first"),
    TicketOrder.NEXT_TASK_FURTHEST: N_("Next task, furthest first"),
    TicketOrder.NEXT_TASK_CLOSEST: N_("Next task, closest first"),
    TicketOrder.PRIORITY: N_("Priority, most urgent first"),
    TicketOrder.SLA_DUE: N_("SLA due, soonest first"),
}
_USER_FILTER = {
    UserFilter.ALL: N_("All users"),
    UserFilter.SPECIFIC: N_("Specific users"),
    UserFilter.UNASSIGNED: N_("Unassigned"),
}
_MASS = {
    MassActionKind.CLOSE: N_("Close"),
    MassActionKind.MERGE: N_("Merge"),
    MassActionKind.ASSIGN: N_("Assign"),
    MassActionKind.ADD_TASK: N_("Add Task"),
    MassActionKind.REDISTRIBUTE: N_("Redistribute"),
}
_DIRECTION_ARROW = {Direction.INCOMING: "←", Direction.OUTGOING: "→"}


def status(value: TicketStatus) -> str:
    return _(_STATUS[value])


def priority(value: Priority) -> str:
    return _(_PRIORITY[value])


def ticket_type(value: TicketType) -> str:
    return _(_TYPE[value])


def channel(value: ChannelType) -> str:
    return _(_CHANNEL[value])


def channel_short(value: ChannelType) -> str:
    return _(_CHANNEL_SHORT[value])


def contact_kind(value: ContactKind) -> str:
    return _(shared.CONTACT_KIND[value])


def role(value: Role) -> str:
    return _(_ROLE[value])


def role_short(value: Role) -> str:
    return _(_ROLE_SHORT[value])


def agent_status(value: AgentStatus) -> str:
    return _(_AGENT_STATUS[value])


def order(value: TicketOrder) -> str:
    return _(_ORDER[value])


def user_filter(value: UserFilter) -> str:
    return _(_USER_FILTER[value])


def mass_action(value: MassActionKind) -> str:
    return _(_MASS[value])


def direction_arrow(value: Direction | None) -> str:
    """← the customer wrote to us, → we wrote to the customer."""
    return _DIRECTION_ARROW.get(value, "") if value is not None else ""


def message(msg: Msg) -> str:
    """A sentence that crossed the Backend, in the UI language."""
    return _(msg.template, **msg.params)


def error_sentence(error: SagiccError) -> str:
    return message(error.message)


_CUSTOMER_TYPE = {CustomerType.PERSON: N_("Person"), CustomerType.COMPANY: N_("Company")}
_CUSTOMER_STATUS = {CustomerStatus.ACTIVE: N_("Active"), CustomerStatus.DISABLED: N_("Disabled")}
_ID_TYPE = {
    IdType.CC: N_("CC"),
    IdType.CE: N_("CE"),
    IdType.NIT: N_("NIT"),
    IdType.PASSPORT: N_("Passport"),
    IdType.OTHER: N_("Other"),
}


def customer_type(value: CustomerType) -> str:
    return _(_CUSTOMER_TYPE[value])


def customer_status(value: CustomerStatus) -> str:
    return _(_CUSTOMER_STATUS[value])


def id_type(value: IdType) -> str:
    return _(_ID_TYPE[value])


_CHANGE_KIND = {
    ChangeKind.CREATED: N_("Created"),
    ChangeKind.FIELD: N_("Field changed"),
    ChangeKind.STATUS: N_("Status"),
    ChangeKind.ASSIGNED: N_("Assigned"),
    ChangeKind.CAMPAIGN: N_("Campaign"),
    ChangeKind.MERGED: N_("Merged"),
    ChangeKind.MERGED_INTO: N_("Merged into"),
    ChangeKind.CLOSED: N_("Closed"),
    ChangeKind.TASK_ADDED: N_("Task added"),
    ChangeKind.NOTE_ADDED: N_("Note added"),
    ChangeKind.NOTE_DELETED: N_("Note deleted"),
    ChangeKind.ATTACHMENT_ADDED: N_("Attachment added"),
    ChangeKind.ATTACHMENT_REMOVED: N_("Attachment removed"),
    ChangeKind.INTERACTION_ADDED: N_("Interaction added"),
    ChangeKind.RELATED: N_("Related"),
    ChangeKind.READ: N_("Read"),
    ChangeKind.CUSTOMER_CHANGED: N_("Customer changed"),
    ChangeKind.CUSTOMER_MERGED: N_("Customer merged"),
    ChangeKind.CUSTOMER_DISABLED: N_("Customer disabled"),
    ChangeKind.CUSTOMER_DELETED: N_("Customer deleted"),
    ChangeKind.EXPORTED: N_("Exported"),
    ChangeKind.TRANSCRIPT_SENT: N_("Transcript sent"),
}


def change_kind(value: ChangeKind) -> str:
    """The change log's "type" column (T3)."""
    return _(_CHANGE_KIND[value])


# The change log's "field" column: the stored field names, as the forms name them.
_CHANGE_FIELD = {
    "status": N_("Status"),
    "priority": N_("Priority"),
    "type": N_("Ticket type"),
    "description": N_("Description"),
    "account_id": N_("Account"),
    "customer_id": N_("Customer"),
    "campaign_id": N_("Campaign"),
    "assignee": N_("Assigned user"),
    "merged_into": N_("Merged into"),
    "channel": N_("Channel"),
    "unread_count": N_("Unread"),
}
# Fields whose values are enum values, shown by their label.
_CHANGE_ENUM = {"status": (TicketStatus, status), "priority": (Priority, priority),
                "type": (TicketType, ticket_type)}
_ID_GONE = {"customer": N_("customer #{id}, no longer exists"), "account": N_("account #{id}, no longer exists"),
            "campaign": N_("campaign #{id}, no longer exists")}


def change_field(field: str) -> str:
    label = _CHANGE_FIELD.get(field)
    return _(label) if label else field


def change_value(field: str, value: str, name: str = "") -> str:
    """A change log value as people say it: a name for an id (the store resolved it),
    a label for a status, priority or type; other values as written."""
    if not value:
        return ""
    what = shared.ID_FIELDS.get(field)
    if what is not None:
        return name or _(_ID_GONE[what], id=value)
    enum = _CHANGE_ENUM.get(field)
    if enum is not None:
        try:
            return enum[1](enum[0](value))
        except ValueError:
            return value
    return value
