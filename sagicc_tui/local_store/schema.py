"""The store's tables, declared once with SQLModel for SQLite and PostgreSQL.

Conventions that keep the list fast at a million tickets:
- times are integer seconds since the epoch (UTC): compact, index-friendly,
  the same on both databases;
- the ticket row carries what a card shows (last summary, unread, outcome), so
  a page of cards is one indexed query joined to customer and user by key;
- every L5 order has an index that starts with campaign_id and ends with id,
  so keyset paging reads only the rows it returns. Orders whose key can be
  missing (no unread, no next task) index an expression that puts the missing
  ones last; the store's queries use the very same expressions (`order_key`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint, case, func, literal_column, text
from sqlmodel import Field, SQLModel

from sagicc_tui.domain.enums import Priority

SCHEMA_VERSION = 18

# Larger than any epoch second we will see; puts "no value" last in ascending orders.
NEVER = 9_000_000_000_000
PRIORITY_STRIDE = 100_000_000_000  # > any creation epoch second we will see (year 5138)


def _int(**kw) -> object:
    return Field(sa_type=BigInteger, **kw)


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class CampaignRow(SQLModel, table=True):
    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    config: str = Field(sa_type=Text, default="{}")  # JSON: domain.models.Campaign fields


class UserRow(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    full_name: str
    role: str
    status: str = "available"
    can_export: bool | None = None
    active: bool = True
    # The user's account on a shared host (`sagicc users add ana --os-user ana`):
    # a client of `sagicc serve --socket` whose peer credentials name it acts as this user.
    os_user: str | None = Field(default=None, index=True, unique=True)
    language: str | None = None  # "es", "en"; None: the terminal's locale (version 7)
    # An administrator's save names the version it read (#18, schema 12); status changes leave it.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class CampaignMember(SQLModel, table=True):
    __tablename__ = "campaign_member"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, index=True)


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    type: str
    id_type: str
    id_number: str = Field(index=True)
    first_name: str
    middle_name: str = ""
    last_name: str = ""
    second_last_name: str = ""
    birth_date: str | None = None  # ISO date
    status: str = "active"
    assigned_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: int = _int()
    updated_at: int = _int()
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1
    # C1's name order (domain.customers.name_sort_key), compared bytewise on
    # both databases: COLLATE "C" on PostgreSQL is SQLite's BINARY. Schema 12.
    sort_name: str = Field(default="", sa_type=String().with_variant(String(collation="C"), "postgresql"),
                           sa_column_kwargs={"server_default": ""})


class CustomerFeature(SQLModel, table=True):
    __tablename__ = "customer_feature"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    feature: str = Field(primary_key=True, index=True)


class ContactRow(SQLModel, table=True):
    __tablename__ = "contact_info"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str
    value: str
    normalized: str = Field(index=True)  # lower-case e-mail, digits-only phone
    label: str = ""
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # P10, schema 7


class AccountRow(SQLModel, table=True):
    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    number: str
    name: str = ""
    extra: str = Field(sa_type=Text, default="{}")
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # P10, schema 7


class CustomerRelationRow(SQLModel, table=True):
    __tablename__ = "customer_relation"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    related_customer_id: int = Field(foreign_key="customer.id")
    relation: str = ""
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # P10, schema 7


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(sa_type=BigInteger, unique=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    customer_id: int = Field(foreign_key="customer.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    status: str
    priority: str
    type: str
    description: str = ""
    origin_channel: str
    last_channel: str | None = None
    created_at: int = _int()
    updated_at: int = _int()
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    unread_count: int = 0
    unread_at: int | None = _int(default=None)
    last_interaction_at: int | None = _int(default=None)
    last_summary: str = ""
    last_direction: str | None = None
    first_response_at: int | None = _int(default=None)
    next_task_at: int | None = _int(default=None)
    last_outcome: str | None = None
    last_survey_at: int | None = _int(default=None)
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")
    closed_at: int | None = _int(default=None)
    assigned_at: int | None = _int(default=None)  # when the current assignee got it (L7 notices)
    # +L5 the next SLA deadline (domain/rules.sla_due), kept by triggers (sla_due.py)
    # on every write of priority, campaign, first response, closing or the campaign's rules.
    sla_due_at: int | None = _int(default=None)
    version: int = 1


class TicketCountRow(SQLModel, table=True):
    """How many tickets per (campaign, assignee, origin channel, status,
    priority, type), kept by triggers (ticket_counts.py, schema 16): counts
    without scanning. No assignee is 0."""

    __tablename__ = "ticket_count"
    campaign_id: int = Field(primary_key=True)
    assignee_id: int = Field(primary_key=True)
    origin_channel: str = Field(primary_key=True)
    status: str = Field(primary_key=True)
    priority: str = Field(primary_key=True)
    type: str = Field(primary_key=True)
    n: int = Field(sa_type=BigInteger, default=0)


class TicketRelationRow(SQLModel, table=True):
    __tablename__ = "ticket_relation"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    related_ticket_id: int = Field(foreign_key="ticket.id", primary_key=True, index=True)
    created_at: int = _int()


class InteractionRow(SQLModel, table=True):
    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_ticket", "ticket_id", "id"),
        # Only outgoing messages carry a client key: a partial index keeps the
        # millions of incoming rows out of it.
        Index("ux_interaction_client_key", "client_key", unique=True,
              sqlite_where=text("client_key IS NOT NULL"),
              postgresql_where=text("client_key IS NOT NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    direction: str
    channel: str
    sender: str = ""
    contact: str = ""
    content: str = Field(sa_type=Text, default="")
    subject: str = ""
    cc: str = ""
    bcc: str = ""
    created_at: int = _int()
    read: bool = False
    delivery: str = "received"
    delivery_error: str = ""
    client_key: str | None = None
    author_id: int | None = Field(default=None, foreign_key="app_user.id")


class TaskRow(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (Index("ix_task_ticket", "ticket_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    values_json: str = Field(sa_type=Text, default="{}")
    observations: str = Field(sa_type=Text, default="")
    next_task_at: int | None = _int(default=None)
    author_id: int = Field(foreign_key="app_user.id")
    created_at: int = _int()


class NoteRow(SQLModel, table=True):
    __tablename__ = "note"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    text: str = Field(sa_type=Text)
    color: str = "yellow"
    author_id: int = Field(foreign_key="app_user.id")
    created_at: int = _int()


class AttachmentRow(SQLModel, table=True):
    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id")
    name: str
    size: int = _int()
    mime: str = "application/octet-stream"
    sha256: str  # content stored once under <data dir>/blobs/<sha256>
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: int = _int()


class ChangeLogRow(SQLModel, table=True):
    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_entity", "entity", "entity_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    entity: str
    entity_id: int = _int()
    kind: str
    field: str = ""
    previous: str = Field(sa_type=Text, default="")
    new: str = Field(sa_type=Text, default="")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: int = _int()


class RuleLogRow(SQLModel, table=True):
    __tablename__ = "rule_log"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    rule: str
    detail: str = ""
    at: int = _int()


class DraftRow(SQLModel, table=True):
    __tablename__ = "draft"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    form: str = Field(primary_key=True)
    data: str = Field(sa_type=Text, default="{}")
    updated_at: int = _int()


class CustomerAssignmentRow(SQLModel, table=True):
    """T4 assigned user of a customer for one campaign (all campaigns: customer.assigned_user_id)."""

    __tablename__ = "customer_assignment"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    updated_at: int = _int()
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")


class TicketPresenceRow(SQLModel, table=True):
    """Who has which ticket open (T1, T2, T15); heartbeats older than 30 s do not count."""

    __tablename__ = "ticket_presence"
    __table_args__ = (Index("ix_ticket_presence_ticket", "ticket_id", "heartbeat_at"),)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    entered_at: int = _int()
    heartbeat_at: int = _int()


class ExternalViewRow(SQLModel, table=True):
    """The unguessable address of a ticket's read-only external view (T3)."""

    __tablename__ = "external_view"
    token: str = Field(primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: int = _int()
    rendered_at: int = _int()
    # Schema 7: a link expires, and can be revoked (revoked_at set); a new
    # link for the ticket replaces the row with a new token.
    expires_at: int | None = _int(default=None)
    revoked_at: int | None = _int(default=None)


class OutgoingDeliveryRow(SQLModel, table=True):
    """Delivery bookkeeping of an outgoing interaction (T9): attempts, and a
    claim so that a retry never sends twice while another process delivers."""

    __tablename__ = "outgoing_delivery"
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True)
    attempts: int = 0
    claimed_at: int | None = _int(default=None)
    last_attempt_at: int | None = _int(default=None)


class SavedViewRow(SQLModel, table=True):
    """L11: a user's saved ticket-list filters, by name."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    name: str
    query: str = Field(sa_type=Text)  # JSON of domain.query.TicketQuery
    created_at: int = _int()
    updated_at: int = _int()


class ApiTokenRow(SQLModel, table=True):
    """P3: a bearer token of the server. Only its SHA-256 is kept: the token
    itself is printed once. `user_id` None is a channel gateway's token
    (POST /api/v1/inbound)."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    label: str = ""
    created_at: int = _int()
    revoked_at: int | None = _int(default=None)


class IdempotencyRow(SQLModel, table=True):
    """P3: the first answer to a creating POST, replayed for the same key."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("token_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id")
    key: str
    request_hash: str
    status: int = 0  # 0: the first request is still running (its change committed with this row)
    body: str = Field(default="", sa_type=Text)
    created_at: int = _int()
    # Schema 7: "host pid start" of the server process that holds the key while
    # status is 0, so a duplicate can tell a running request from a dead one.
    claimed_by: str = Field(default="", sa_column_kwargs={"server_default": ""})


class MessageIdentityRow(SQLModel, table=True):
    """#10.4: what makes an incoming (or our outgoing) message the same message
    again -- the channel's own id (an e-mail's Message-ID, a gateway's `id`),
    an Idempotency-Key of /inbound, or a hash of its content. Written in the
    same transaction as the interaction; the primary key refuses a second
    copy, so a re-run, a retry or two fetchers never add it twice.
    `interaction_id` is None for an automatic e-mail that matched no ticket
    (recorded as seen, nothing opened)."""

    __tablename__ = "message_identity"
    key: str = Field(primary_key=True)  # "mid:<message-id>", "id:<channel>:<id>", "sha:<hex>", "idem:<token>:<key>"
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id", index=True, ondelete="SET NULL")
    digest: str = ""  # the content hash, to tell a reused Idempotency-Key from a retry
    created_at: int = _int()


class MailHeaderRow(SQLModel, table=True):
    """#13: an e-mail interaction's threading headers: its own Message-ID and
    the ones it answers, so our reply can name the customer's last message."""

    __tablename__ = "mail_header"
    # Goes with its interaction (derived data): deleting the message deletes its headers.
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True, ondelete="CASCADE")
    message_id: str = ""  # with its angle brackets, as written in the header
    references: str = Field(sa_type=Text, default="")  # space-separated Message-IDs, oldest first
    automatic: bool = False  # an auto-reply or a delivery report


# --- the list's order keys and indexes ----------------------------------------

ticket = TicketRow.__table__
c = ticket.c

# Each L5 order: (key expression, descending?). Missing values sort last in
# both directions: ascending uses NEVER for them, descending uses -1.
ORDER_KEYS = {
    "created_asc": (c.created_at, False),
    "created_desc": (c.created_at, True),
    "unread_asc": (func.coalesce(c.unread_at, literal_column(str(NEVER))), False),
    "unread_desc": (func.coalesce(c.unread_at, literal_column("-1")), True),
    "next_task_furthest": (func.coalesce(c.next_task_at, literal_column("-1")), True),
    "next_task_closest": (func.coalesce(c.next_task_at, literal_column(str(NEVER))), False),
    # One integer, so the keyset cursor stays (key, id): the priority's rank in
    # the high digits, the creation second in the low ones.
    # Literal priorities, not bound parameters: a planner matches a query's
    # expression to the index's only when they are spelled the same (with
    # parameters every priority page sorted the whole scope: 140-590 ms).
    "priority": (case(*((c.priority == literal_column(f"'{p.value}'"), literal_column(str(p.rank))) for p in Priority),
                      else_=literal_column("9")) * literal_column(str(PRIORITY_STRIDE)) + c.created_at, False),
    "sla_due": (func.coalesce(c.sla_due_at, literal_column(str(NEVER))), False),
}


def order_key(order: str):
    return ORDER_KEYS[order]


def _order_indexes() -> None:
    seen = set()
    for name, (expr, _desc) in ORDER_KEYS.items():
        label = name.rsplit("_", 1)[0] if name.startswith("created") else name
        if label in seen:
            continue
        seen.add(label)
        # The list always names its campaigns (L1), so every order index
        # starts with campaign_id; fewer indexes keep writes and bulk loads cheap.
        Index(f"ix_ticket_{label}_by_campaign", c.campaign_id, expr, c.id)


_order_indexes()

#: Orders whose missing key (no next task, read, no SLA deadline) gathers
#: whole statuses at one end: every new ticket has no next task, every closed
#: one is read and has no deadline. A one-status filter in such an order
#: walked the campaign's order index past all the other tickets, or sorted
#: every ticket of that status (220-530 ms at 1M tickets); with the status
#: second it reads its page off one index range (1-4 ms). Several statuses
#: keep the campaign's order index (they interleave; ~10 ms).
STATUS_ORDERS = ("unread_asc", "unread_desc", "next_task_furthest", "next_task_closest", "sla_due")
for _name in STATUS_ORDERS:
    Index(f"ix_ticket_{_name}_by_status", c.campaign_id, c.status, ORDER_KEYS[_name][0], c.id)
Index("ix_ticket_assignee_status", c.assignee_id, c.status)
# L7 pending tickets: mine and open, in the pending order, read off one
# index (an agent can hold tens of thousands of tickets). Literal statuses:
# SQLite only uses a partial index for a query that spells its WHERE.
PENDING_STATUSES = ("new", "open", "transferred", "escalated")
PENDING_WHERE = c.status.in_([literal_column(f"'{s}'") for s in PENDING_STATUSES])
PENDING_ORDER = (ORDER_KEYS["next_task_closest"][0], ORDER_KEYS["unread_asc"][0], c.created_at, c.id)
Index("ix_ticket_pending", c.campaign_id, c.assignee_id, *PENDING_ORDER,
      sqlite_where=PENDING_WHERE, postgresql_where=PENDING_WHERE)
# Agents' scope (mine or unassigned, per campaign) and the "specific users"
# filter count through this one instead of walking the campaign's tickets.
Index("ix_ticket_campaign_assignee", c.campaign_id, c.assignee_id, c.origin_channel, c.priority)
Index("ix_ticket_customer_status", c.customer_id, c.status)
Index("ix_ticket_campaign_status", c.campaign_id, c.status)

# C1: the customer list's orders (created, name) page by index, like the tickets.
_cu = CustomerRow.__table__.c
Index("ix_customer_created", _cu.created_at, _cu.id)
Index("ix_customer_sort_name", _cu.sort_name, _cu.id)
Index("ix_customer_relation_related", CustomerRelationRow.__table__.c.related_customer_id)
# T8: the conversation pages by (created_at, id) within a ticket.
_it = InteractionRow.__table__.c
Index("ix_interaction_ticket_time", _it.ticket_id, _it.created_at, _it.id)

ALL_TABLES = SQLModel.metadata
