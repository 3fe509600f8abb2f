"""What the ticket management screen (T1-T15) asks for and gets back.

Plain frozen dataclasses, standard library only, like `models.py`: the UI and
the headless verbs import them on the first-paint path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sagicc_tui.domain.enums import ChannelType, IdType, TicketStatus
from sagicc_tui.domain.models import Interaction, Ticket

model = dataclass(frozen=True, slots=True, kw_only=True)

# Presence (T1, T2, T15): a terminal inside a ticket calls `heartbeat` at least
# every PRESENCE_HEARTBEAT seconds; a heartbeat older than PRESENCE_TTL means
# the terminal has gone (closed, crashed, lost its SSH session).
PRESENCE_HEARTBEAT = 10
PRESENCE_TTL = 30
# +T17: someone "is writing a reply" while their composer draft (saved a second after
# each pause in typing) is younger than this.
WRITING_TTL = 30

# T9/T13: the largest file one can attach or upload, per file.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

DRAFT_FORMS = ("composer", "task")
MAX_DRAFT = 1024 * 1024  # bytes of JSON


def draft_json(data: object) -> str:
    """A draft's fields as the JSON kept for it; refuses what cannot be kept."""
    import json

    from sagicc_tui.domain.errors import InvalidInput
    from sagicc_tui.domain.messages import N_

    if not isinstance(data, dict):
        raise InvalidInput(N_("A draft is a set of named fields."))
    try:
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        raise InvalidInput(N_("The draft holds a value that cannot be saved (only text, numbers, lists and fields).")) from None
    if len(text.encode("utf-8")) > MAX_DRAFT:
        raise InvalidInput(N_("The draft is larger than 1 MB; shorten the message."))
    return text


@model
class PresenceEntry:
    """Someone who has the ticket open now."""

    user_id: int
    user_name: str
    since: datetime
    heartbeat_at: datetime
    writing: bool = False  # +T17: typed a reply in the last WRITING_TTL seconds (their composer draft moved)


@model
class TicketHeader:
    """Section 1 of the ticket screen (T2), always visible."""

    ticket: Ticket
    campaign_name: str
    customer_name: str
    customer_id_type: IdType
    customer_id_number: str
    account_number: str | None
    assignee_name: str | None
    open_tickets_of_customer: int  # this one included when open
    sla_breached: bool
    last_survey_at: datetime | None
    others_viewing: tuple[PresenceEntry, ...]  # heartbeats younger than PRESENCE_TTL, not me
    # #13: the subject an e-mail reply gets when the agent leaves it empty, `Re: <thread> [#N]`
    # (the store's one rule, shown in the composer before sending).
    reply_subject: str = ""

    @property
    def several_open_tickets(self) -> bool:
        """The status alert: the customer has more than one open ticket."""
        return self.open_tickets_of_customer > 1


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Keyset position in a conversation: (created_at, id) of one interaction."""

    created_at: datetime
    id: int


@model
class ConversationItem:
    interaction: Interaction
    ticket_number: int
    previous: bool = False  # from another ticket of the customer ("view previous interactions")


@model
class ConversationPage:
    """Oldest first. `next_key`: pass as `after_key` for the following page
    (None: nothing newer). `prev_key`: pass as `before_key` for the page
    before this one (None: nothing older)."""

    items: tuple[ConversationItem, ...]
    next_key: ConversationKey | None
    prev_key: ConversationKey | None


@model
class OutgoingMessage:
    """The composer's Send (T9).

    `client_key` is made by the UI when Send is pressed and kept until the
    answer arrives: sending again with the same key returns the same
    interaction and never sends twice. `contact` is a ContactInfo id, or a
    contact value (e-mail address, phone number) where the campaign allows
    other contacts.
    """

    client_key: str
    channel: ChannelType
    contact: int | str
    text: str = ""
    subject: str = ""
    cc: str = ""  # comma-separated e-mail addresses
    bcc: str = ""
    template_key: str | None = None
    survey_key: str | None = None


@model
class ExternalView:
    """T3 Open external view: a read-only page of the ticket without notes.

    `token` is the unguessable part of the shareable address the server will
    serve (/external/TOKEN); `path` is the rendered file on this machine
    (empty over the API: a server's files are not the caller's). The link
    works until `expires_at`, unless revoked or its creator loses access.
    """

    token: str
    path: str
    html: str
    expires_at: datetime | None = None


@model
class ExternalLink:
    """One shared external-view link of a ticket (#10.10), as listed and revoked."""

    token: str
    ticket_id: int
    ticket_number: int
    created_by_name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None
    active: bool = True  # works now: not revoked, not expired, its creator still sees the ticket


@model
class AgendaItem:
    """T10: one scheduled next task of an assignee."""

    ticket_id: int
    ticket_number: int
    campaign_id: int
    status: TicketStatus
    customer_name: str
    next_task_at: datetime



@model
class PartStamp:
    """How one part of a ticket stands: its rows and the newest one. A new row
    moves `last_id`; a removed one moves `count`."""

    count: int = 0
    last_id: int = 0


@model
class TicketActivity:
    """A cheap stamp of everything the open ticket screen shows (T8, +T16).

    The screen reads it when the store's change token moves and reloads only
    the parts whose stamp moved; the `*_by` names and the newest change-log
    field say who changed what, for the one-line notice.
    """

    ticket_id: int
    ticket_version: int
    ticket_updated_by: str  # the name of whoever wrote the ticket row last ("" for the system)
    status: TicketStatus
    customer_id: int
    customer_version: int
    customer_change_id: int  # newest change-log entry of the customer (its contacts and accounts too)
    customer_change_by: str  # who wrote it
    change_id: int  # newest change-log entry of the ticket
    change_field: str  # what that entry changed ("description", "status", ...)
    change_by: str  # who wrote it
    interactions: PartStamp
    pending_deliveries: int  # outgoing messages not yet sent or failed: a delivery state moved
    last_direction: str  # Direction of the newest interaction ("" when none)
    last_author: str  # who wrote the newest outgoing interaction ("" when incoming)
    tasks: PartStamp
    notes: PartStamp
    attachments: PartStamp
