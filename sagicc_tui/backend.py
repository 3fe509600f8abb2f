"""The ONE async contract the UI talks to.

Every implementation (the local SQLite store, the remote HTTP client) passes
the same contract test suite (tests/contract/). Methods take the acting user
and return plain models from `sagicc_tui.domain`; they raise the errors of
`sagicc_tui.domain.errors`, whose text is the sentence to show.

This module imports no ORM and no HTTP client: the UI imports it on the
first-paint path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from sagicc_tui.domain.enums import AgentStatus, ChannelType, EntityKind
from sagicc_tui.domain.models import (
    Campaign,
    ChangeLogEntry,
    Customer,
    Interaction,
    Task,
    TaskInput,
    Ticket,
    User,
)
from sagicc_tui.domain.query import (
    MassAction,
    MassPreview,
    MassResult,
    TicketCursor,
    TicketPage,
    TicketQuery,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMessage:
    """One line of `sagicc ingest`: an interaction a channel received."""

    channel: ChannelType
    sender: str  # the contact value: e-mail address or phone number
    text: str
    name: str = ""
    subject: str = ""
    at: datetime | None = None
    attachments: tuple[str, ...] = ()  # paths on this machine


@dataclass(frozen=True, slots=True)
class IngestResult:
    ticket_id: int
    ticket_number: int
    customer_id: int
    new_ticket: bool
    new_customer: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterChoices:
    """Values the filter sidebar offers for one campaign set (L4)."""

    users: tuple[User, ...]
    features: tuple[str, ...]
    primary_values: tuple[str, ...]


class Backend(ABC):
    """What every store behind the UI provides."""

    # --- session ---------------------------------------------------------
    @abstractmethod
    async def list_users(self) -> list[User]: ...

    @abstractmethod
    async def get_user(self, username: str) -> User:
        """Raises NotFound with a sentence naming the unknown user."""

    @abstractmethod
    async def list_campaigns(self, user: User) -> list[Campaign]:
        """The campaigns the user belongs to (all for supervisors and administrators)."""

    @abstractmethod
    async def get_campaign(self, campaign_id: int) -> Campaign: ...

    @abstractmethod
    async def set_agent_status(self, user: User, status: AgentStatus) -> User: ...

    # --- the ticket list (L1-L7) ------------------------------------------
    @abstractmethod
    async def count_tickets(self, user: User, query: TicketQuery) -> int: ...

    @abstractmethod
    async def list_tickets(
        self,
        user: User,
        query: TicketQuery,
        *,
        limit: int = 100,
        after: TicketCursor | None = None,
        offset: int = 0,
    ) -> TicketPage:
        """One page of cards in the query's order, within the user's L2 scope.

        `after` continues from a page already read (keyset: cost independent
        of depth); `offset` jumps (scrollbar drags); both never load more than
        `limit` rows.
        """

    @abstractmethod
    async def pending_tickets(self, user: User, campaign_id: int, *, limit: int = 50) -> TicketPage:
        """L7: open tickets assigned to the user, scheduled next tasks first."""

    @abstractmethod
    async def filter_choices(self, user: User, campaign_ids: tuple[int, ...]) -> FilterChoices: ...

    @abstractmethod
    async def change_token(self) -> int:
        """A cheap number that changes when anyone else changed the store."""

    # --- one ticket -------------------------------------------------------
    @abstractmethod
    async def get_ticket(self, user: User, ticket_id: int) -> Ticket:
        """Raises NotFound for tickets outside the user's scope, as for missing ones."""

    @abstractmethod
    async def get_ticket_by_number(self, user: User, number: int) -> Ticket: ...

    @abstractmethod
    async def get_customer(self, user: User, customer_id: int) -> Customer: ...

    @abstractmethod
    async def list_interactions(
        self, user: User, ticket_id: int, *, after_id: int = 0, limit: int = 100
    ) -> list[Interaction]:
        """Oldest first, a page at a time."""

    @abstractmethod
    async def list_tasks(self, user: User, ticket_id: int, *, limit: int = 50) -> list[Task]:
        """Newest first."""

    @abstractmethod
    async def add_task(
        self, user: User, ticket_id: int, task: TaskInput, *, expected_version: int | None = None
    ) -> Task: ...

    @abstractmethod
    async def close_ticket(self, user: User, ticket_id: int, *, expected_version: int) -> Ticket:
        """Final: a closed ticket cannot be reopened."""

    @abstractmethod
    async def update_ticket(
        self, user: User, ticket_id: int, changes: dict[str, object], *, expected_version: int
    ) -> Ticket:
        """Edit status, priority, type, description, account (T7); stale versions are refused."""

    @abstractmethod
    async def change_log(
        self,
        user: User,
        entity: EntityKind,
        entity_id: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ChangeLogEntry]:
        """Administrators only (T3)."""

    # --- mass actions (L8) ---------------------------------------------------
    @abstractmethod
    async def preview_mass_action(self, user: User, action: MassAction) -> MassPreview: ...

    @abstractmethod
    async def run_mass_action(self, user: User, action: MassAction) -> MassResult: ...

    # --- channels -----------------------------------------------------------
    @abstractmethod
    async def ingest(self, message: IncomingMessage) -> IngestResult:
        """Apply one incoming interaction: find or create the customer, append
        to their open ticket in the channel's campaign, or open a new one."""

    async def aclose(self) -> None:
        """Release connections; the default has nothing to release."""
