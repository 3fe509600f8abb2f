"""The ONE async contract the UI talks to.

Every implementation (the local SQLite store, the remote HTTP client) passes
the same contract test suite (tests/contract/). Methods take the acting user
and return plain models from `sagicc_tui.domain`; they raise the errors of
`sagicc_tui.domain.errors`, whose text is the sentence to show. The UI does
not pass the user: it calls `backend.session(user)`'s areas (session.py).

This module imports no ORM and no HTTP client: the UI imports it on the
first-paint path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sagicc_tui.domain.admin import IssuedToken, UserChanges, UserInput  # administration (P3, P4)
from sagicc_tui.domain.customers import (  # the customers module (C1-C6, T4)
    AccountInput,
    ContactInput,
    CustomerCursor,
    CustomerExport,
    CustomerInput,
    CustomerMergePreview,
    CustomerMergeResult,
    CustomerPage,
    CustomerProfile,
    CustomerQuery,
    MergeParts,
    RelatedCustomer,
    SimilarCustomer,
)
from sagicc_tui.domain.enums import AgentStatus, ChannelType, EntityKind
from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.live import Change, ChangeSet
from sagicc_tui.domain.messages import Msg
from sagicc_tui.domain.models import (  # the ticket screen (T1-T15)
    Account,
    Attachment,
    AttachmentContent,
    Campaign,
    ChangeLogEntry,
    ContactInfo,
    Customer,
    Draft,
    Interaction,
    Note,
    RuleLogEntry,
    Task,
    TaskInput,
    Ticket,
    TicketRelation,
    User,
)
from sagicc_tui.domain.query import (
    FilterChoices,
    MassAction,
    MassPreview,
    MassResult,
    SavedView,
    TicketCursor,
    TicketPage,
    TicketQuery,
)
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.domain.ticket_screen import (
    AgendaItem,
    ConversationKey,
    ConversationPage,
    ExternalLink,
    ExternalView,
    OutgoingMessage,
    PresenceEntry,
    TicketActivity,
    TicketHeader,
)
from sagicc_tui.session import Session


@dataclass(frozen=True, slots=True, kw_only=True)
class RefusedWrite:
    """A message (or draft) kept offline that the server refused when it came
    back -- the ticket was closed meanwhile, a permission changed. Never
    dropped: it goes back to the ticket's `form` as the draft `data`, with the
    server's sentence (`reason`), until the user has it there again."""

    id: str
    ticket_id: int
    username: str
    form: str  # "composer" or "task"
    data: dict[str, Any]
    reason: Msg
    queued_at: datetime
    # A refused message's files, as the outbox kept them: the ticket screen puts
    # them back on this machine for its composer (files.put_back_files).
    files: tuple[AttachmentContent, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxState:
    """What this terminal still keeps for the server: writes waiting to be
    sent, and the ones the server refused."""

    queued: int = 0
    refused: tuple[RefusedWrite, ...] = ()


class Backend(ABC):
    """What every store behind the UI provides."""

    def session(self, user: User) -> Session:
        """This backend as `user` (session.py): the UI calls it through the
        session, never passing a user itself."""
        return Session(self, user)

    # --- session ---------------------------------------------------------
    @abstractmethod
    async def list_users(self) -> list[User]: ...

    @abstractmethod
    async def get_user(self, username: str) -> User:
        """Raises NotFound with a sentence naming the unknown user."""

    @abstractmethod
    async def list_campaigns(self, user: User) -> list[Campaign]:
        """The campaigns the user belongs to (all for supervisors and administrators);
        agents do not see disabled campaigns."""

    @abstractmethod
    async def get_campaign(self, user: User, campaign_id: int) -> Campaign:
        """NotFound for a campaign outside the user's (an agent's) campaigns, as for a missing one."""

    @abstractmethod
    async def set_agent_status(self, user: User, status: AgentStatus) -> User: ...

    # --- administration (P3, P4): administrators only -----------------------
    # Refused (PermissionDenied) for agents and supervisors by the store itself;
    # every change is validated (domain/admin.py) and written to the change log
    # in its own transaction.
    @abstractmethod
    async def add_user(self, user: User, data: UserInput) -> User: ...

    @abstractmethod
    async def update_user(self, user: User, username: str, changes: UserChanges, *,
                          expected_version: int) -> User:
        """Only the fields given change; disabling a user revokes their tokens. Saved
        at the version read (User.version): a stale version raises StaleWrite."""

    @abstractmethod
    async def issue_user_token(self, user: User, username: str) -> IssuedToken:
        """A new server token for the user, returned once."""

    @abstractmethod
    async def revoke_user_tokens(self, user: User, username: str) -> int:
        """Revokes every token of the user; returns how many."""

    @abstractmethod
    async def issue_channel_token(self, user: User, name: str) -> IssuedToken:
        """A token for a channel gateway (POST /api/v1/inbound), returned once."""

    @abstractmethod
    async def revoke_channel_tokens(self, user: User, name: str) -> int: ...

    @abstractmethod
    async def add_campaign(self, user: User, campaign: Campaign) -> Campaign:
        """A new campaign from a full configuration (its id and version are ignored)."""

    @abstractmethod
    async def save_campaign(self, user: User, campaign_id: int, campaign: Campaign, *,
                            expected_version: int) -> Campaign:
        """Replace a campaign's configuration (rename, disable, task form, channels,
        script, SLA rules, templates, surveys); a stale version raises StaleWrite."""

    # --- the ticket list (L1-L7) ------------------------------------------
    @abstractmethod
    async def count_tickets(self, user: User, query: TicketQuery, *, at_most: int | None = None) -> int:
        """How many tickets of the user's scope the query finds. With `at_most`,
        a count that walks its matches (a search) stops after at_most + 1 of
        them (at_most: 1 to 1,000,000)
        them: an answer of exactly at_most + 1 says "more than at_most". The
        counts the store keeps (status, campaign, assignee...) are exact at
        any size."""

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

    async def changed_since(self, token: int) -> ChangeSet:
        """What changed since ``token`` (an earlier change_token()): the ticket
        ids and parts when the backend knows them (a server's live events,
        domain/live.py), else ``change.refresh`` -- reload what is shown.
        The base answer knows no ids: it compares the tokens."""
        now = await self.change_token()
        return ChangeSet(now, Change(tickets={}) if now == token else Change())

    # --- one ticket -------------------------------------------------------
    @abstractmethod
    async def get_ticket(self, user: User, ticket_id: int) -> Ticket:
        """Raises NotFound for tickets outside the user's scope, as for missing ones."""

    @abstractmethod
    async def get_ticket_by_number(self, user: User, number: int) -> Ticket: ...

    @abstractmethod
    async def get_customer(self, user: User, customer_id: int) -> Customer: ...

    @abstractmethod
    async def add_task(
        self, user: User, ticket_id: int, task: TaskInput, *, expected_version: int | None = None
    ) -> Task: ...

    @abstractmethod
    async def close_ticket(self, user: User, ticket_id: int, *, expected_version: int) -> Ticket:
        """Final: a closed ticket cannot be reopened."""

    @abstractmethod
    async def update_ticket(
        self, user: User, ticket_id: int, changes: TicketChanges, *, expected_version: int
    ) -> Ticket:
        """Edit status, priority, type, description, account and campaign (T7): only the
        fields given change; stale versions are refused. A campaign change follows
        Assign -> move to a campaign's rules."""

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

    @abstractmethod
    async def rule_log(self, user: User, ticket_id: int) -> list[RuleLogEntry]:
        """The business rule log of a ticket (T3): administrators only."""

    # --- saved views (L11) ----------------------------------------------------
    @abstractmethod
    async def list_views(self, user: User) -> list[SavedView]:
        """The user's own saved views, by name."""

    @abstractmethod
    async def save_view(self, user: User, name: str, query: TicketQuery, *, line: str = "") -> SavedView:
        """Create a view, or replace the filters of the user's view with that name.

        `line`: the query line's text the filters came from (+L12), kept as
        typed so "created:<7d" means the last seven days whenever the view
        is applied; "" when the filters came from the sidebar."""

    @abstractmethod
    async def delete_view(self, user: User, view_id: int) -> None: ...

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

    def connection_state(self) -> str | None:
        """"online" or "offline" for a store across the network (the UI shows
        offline); None for a store on this machine."""
        return None

    # This terminal's outbox (a store across the network keeps offline writes
    # on this machine): client-side state like connection_state, no route.
    def outbox_state(self) -> OutboxState | None:
        """What waits to be sent and what the server refused; None: no outbox."""
        return None

    def dismiss_refused(self, refused_id: str) -> None:
        """The refused write is back in its form (and saved as a draft): forget it."""

    def local_path(self, path: str) -> str:
        """Where a path its user typed is on this machine (attach from, save
        to, export to); a shared host keeps it inside the agent's folder
        (shared_host/files.py) and refuses others with InvalidInput."""
        return path

    def put_back_folder(self) -> str:
        """Where on this machine the files of a refused message go back for its
        composer (a private folder of this user's; on a shared host, inside the
        agent's folder, where local_path lets the composer read them again)."""
        from sagicc_tui.paths import data_dir

        return str(data_dir() / "refused-files")

    # --- customers (C1-C6, T4) ------------------------------------------------
    # Any active user may list, read and edit customers (agents work them from
    # the ticket, T4-T6); disable and delete need DELETE_CUSTOMERS, merge
    # MERGE_CUSTOMERS, export EXPORT_CUSTOMERS (domain/rules.py).
    @abstractmethod
    async def count_customers(self, user: User, query: CustomerQuery) -> int: ...

    @abstractmethod
    async def list_customers(
        self,
        user: User,
        query: CustomerQuery,
        *,
        limit: int = 100,
        after: CustomerCursor | None = None,
        offset: int = 0,
    ) -> CustomerPage:
        """C1: one page in the query's order; `after` continues (keyset),
        `offset` jumps; never more than `limit` rows read."""

    @abstractmethod
    async def create_customer(
        self, user: User, data: CustomerInput, *, allow_duplicate: bool = False
    ) -> Customer:
        """C2: validated (domain/customers.py); a document another customer
        has raises DuplicateCustomer (its existing_id) unless allow_duplicate."""

    @abstractmethod
    async def update_customer(
        self,
        user: User,
        customer_id: int,
        data: CustomerInput,
        *,
        expected_version: int,
        allow_duplicate: bool = False,
    ) -> Customer:
        """T4: a stale version raises StaleWrite naming who changed it; nothing is written."""

    @abstractmethod
    async def set_customer_assignee(
        self,
        user: User,
        customer_id: int,
        assignee_id: int | None,
        *,
        campaign_id: int | None = None,
        expected_version: int,
    ) -> Customer:
        """T4 Assigned user: for all campaigns (campaign_id None) or one campaign."""

    @abstractmethod
    async def list_contacts(self, user: User, customer_id: int) -> list[ContactInfo]: ...

    @abstractmethod
    async def add_contact(self, user: User, customer_id: int, data: ContactInput) -> ContactInfo: ...

    @abstractmethod
    async def update_contact(self, user: User, contact_id: int, data: ContactInput, *,
                             expected_version: int | None = None,
                             expected: ContactInput | None = None) -> ContactInfo:
        """`expected_version` (the contact's): refused when stale, even for equal values (P10).
        `expected`: the contact as the editor started from it; StaleWrite (nothing written)
        when its values changed meanwhile, so the editor can compare (T15)."""

    @abstractmethod
    async def delete_contact(self, user: User, contact_id: int) -> None: ...

    @abstractmethod
    async def list_accounts(self, user: User, customer_id: int) -> list[Account]: ...

    @abstractmethod
    async def add_account(self, user: User, customer_id: int, data: AccountInput) -> Account: ...

    @abstractmethod
    async def update_account(self, user: User, account_id: int, data: AccountInput, *,
                             expected_version: int | None = None,
                             expected: AccountInput | None = None) -> Account:
        """`expected_version` and `expected` as for update_contact (P10, T15)."""

    @abstractmethod
    async def list_relations(self, user: User, customer_id: int) -> list[RelatedCustomer]:
        """Both directions: relations the customer recorded and those naming them."""

    @abstractmethod
    async def add_relation(
        self, user: User, customer_id: int, related_customer_id: int, relation: str
    ) -> RelatedCustomer: ...

    @abstractmethod
    async def update_relation(self, user: User, relation_id: int, relation: str, *,
                              expected_version: int | None = None) -> RelatedCustomer:
        """`expected_version` (the relation's): refused when stale, even for equal values (P10)."""

    @abstractmethod
    async def remove_relation(self, user: User, relation_id: int) -> None: ...

    @abstractmethod
    async def customer_profile(self, user: User, customer_id: int) -> CustomerProfile:
        """C4: tickets, interactions and attachments only from the user's L2 scope."""

    @abstractmethod
    async def disable_customer(self, user: User, customer_id: int, *, expected_version: int) -> Customer: ...

    @abstractmethod
    async def enable_customer(self, user: User, customer_id: int, *, expected_version: int) -> Customer: ...

    @abstractmethod
    async def delete_customer(self, user: User, customer_id: int) -> None:
        """C5: only a customer without tickets; otherwise RuleViolation says to
        close or merge the open ones, or to disable the customer."""

    @abstractmethod
    async def export_customers(
        self,
        user: User,
        fmt: str = "xlsx",
        progress: Callable[[int, int], None] | None = None,
    ) -> CustomerExport:
        """C3: the whole base (xlsx or csv), one consistent snapshot, streamed.

        The export is complete and logged when this returns; its bytes come
        from `chunks` (the caller writes the file: files.export_to_file).
        `progress(done, total)` (customers) may be called from a worker thread."""

    @abstractmethod
    async def similar_customers(self, user: User, customer_id: int, *, limit: int = 10) -> list[SimilarCustomer]:
        """T4: most similar first, with a percentage and the reasons."""

    @abstractmethod
    async def switch_ticket_customer(
        self, user: User, ticket_id: int, customer_id: int, *, expected_version: int
    ) -> Ticket: ...

    @abstractmethod
    async def preview_customer_merge(
        self, user: User, main_id: int, other_ids: list[int], parts: MergeParts
    ) -> CustomerMergePreview:
        """C6: what moves, what is deleted; writes nothing."""

    @abstractmethod
    async def merge_customers(
        self, user: User, main_id: int, other_ids: list[int], parts: MergeParts,
        expected_versions: list[int] | None = None,
    ) -> CustomerMergeResult:
        """C6: one transaction; irreversible; every affected customer and ticket logged.
        `expected_versions` (the preview's: main first, then the others): a
        customer edited since the preview refuses the merge (StaleWrite)."""

    # --- ticket screen (T1-T15) ----------------------------------------------
    # Every method checks the user's L2 scope (NotFound outside it, as for a
    # missing ticket); changes to a closed ticket are refused (RuleViolation);
    # every change writes its change-log entries in the same transaction.
    @abstractmethod
    async def enter_ticket(self, user: User, ticket_id: int) -> User:
        """T1: records my presence and sets me Busy; the screen then calls
        `heartbeat` every PRESENCE_HEARTBEAT (10) seconds. While I am inside an
        open ticket, `set_agent_status(AVAILABLE)` is refused."""

    @abstractmethod
    async def leave_ticket(self, user: User, ticket_id: int) -> User:
        """T1 Exit: clears my presence; Available unless I am inside another ticket."""

    @abstractmethod
    async def heartbeat(self, user: User, ticket_id: int) -> tuple[PresenceEntry, ...]:
        """T15: I still have it open; returns who else has it open now.
        NotFound once the ticket left my scope (reassigned away)."""

    @abstractmethod
    async def ticket_header(self, user: User, ticket_id: int) -> TicketHeader:
        """T2 section 1: the ticket, customer, assignee, alerts, who else is inside."""

    @abstractmethod
    async def ticket_activity(self, user: User, ticket_id: int) -> TicketActivity:
        """T8/+T16: a cheap stamp of every part of the open ticket (versions, counts,
        newest ids, who changed it last). The screen reads it when `change_token`
        moves and reloads only the parts whose stamp moved. NotFound outside scope."""

    @abstractmethod
    async def reassign_ticket(
        self, user: User, ticket_id: int, *, assignee_id: int | None, campaign_id: int | None = None,
        expected_version: int,
    ) -> Ticket:
        """T3: to a user (of this or `campaign_id`), or unassigned (assignee_id None)."""

    @abstractmethod
    async def merge_ticket(
        self, user: User, ticket_id: int, other_number: int, *, merge_customers: bool = False,
        keep_customer_id: int | None = None, expected_version: int,
    ) -> Ticket:
        """T3: this ticket stays and receives everything of ticket `other_number`,
        which ends Closed; irreversible. Supervisors and administrators."""

    @abstractmethod
    async def related_tickets(self, user: User, ticket_id: int) -> list[TicketRelation]: ...

    @abstractmethod
    async def relate_ticket(self, user: User, ticket_id: int, other_number: int) -> list[TicketRelation]:
        """T3: relates both ways; returns the related tickets now."""

    @abstractmethod
    async def send_transcript(
        self, user: User, ticket_id: int, contact_id: int, *, client_key: str | None = None
    ) -> Interaction:
        """T3: the conversation (without notes) by e-mail to one of the
        customer's e-mail contacts; recorded as an outgoing interaction whose
        delivery says whether it left (SENT, FAILED, RECORDED)."""

    @abstractmethod
    async def external_view(self, user: User, ticket_id: int) -> ExternalView:
        """T3: the read-only page (without notes) and its unguessable token; the
        link expires (SAGICC_EXTERNAL_VIEW_DAYS, default 7) and stops when its
        creator loses access to the ticket (local_store/external_links.py)."""

    @abstractmethod
    async def list_external_views(self, user: User, *, ticket_id: int | None = None) -> list[ExternalLink]:
        """The ticket's external-view link, or (no ticket) the links the user
        made; supervisors and administrators see every link in their scope."""

    @abstractmethod
    async def revoke_external_view(self, user: User, token: str) -> None:
        """Stop sharing: the link answers 404 from now on (anyone who sees the ticket)."""

    @abstractmethod
    async def conversation(
        self, user: User, ticket_id: int, *, channels: tuple[ChannelType, ...] = (),
        since: datetime | None = None, until: datetime | None = None, include_previous: bool = False,
        after_key: ConversationKey | None = None, before_key: ConversationKey | None = None,
        from_end: bool = False, limit: int = 100,
    ) -> ConversationPage:
        """T8: oldest first, keyset pages on (created_at, id); `include_previous`
        adds the customer's other tickets, each item marked with its number."""

    @abstractmethod
    async def get_interaction(self, user: User, interaction_id: int) -> Interaction:
        """T8 View more: one interaction in full, with its attachments."""

    @abstractmethod
    async def mark_read(self, user: User, ticket_id: int) -> Ticket:
        """T8: incoming interactions read, the unread indicator cleared."""

    @abstractmethod
    async def send_message(self, user: User, ticket_id: int, message: OutgoingMessage,
                           files: tuple[AttachmentContent, ...] = ()) -> Interaction:
        """T9: committed PENDING, delivered outside the transaction, then SENT,
        FAILED (with the sentence) or RECORDED. The same `client_key` again
        returns the same interaction and sends nothing. `files`: the message's
        attachments as content, each at most 10 MB."""

    @abstractmethod
    async def retry_delivery(self, user: User, interaction_id: int) -> Interaction:
        """T9: send a FAILED message again."""

    @abstractmethod
    async def save_draft(self, user: User, ticket_id: int, form: str, data: dict) -> Draft:
        """T9/T11: form is "composer" or "task"; replaces my previous draft."""

    @abstractmethod
    async def get_draft(self, user: User, ticket_id: int, form: str) -> Draft | None: ...

    @abstractmethod
    async def clear_draft(self, user: User, ticket_id: int, form: str) -> None: ...

    @abstractmethod
    async def agenda(
        self, user: User, assignee_id: int, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[AgendaItem]:
        """T10: the assignee's scheduled next tasks, soonest first."""

    @abstractmethod
    async def list_tasks_page(
        self, user: User, ticket_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Task]:
        """T12 History paging: newest first, below `before_id`."""

    @abstractmethod
    async def list_attachments(self, user: User, ticket_id: int) -> list[Attachment]: ...

    @abstractmethod
    async def add_attachment(self, user: User, ticket_id: int, name: str, data: bytes) -> Attachment:
        """T13: a file's content, at most 10 MB, under its name (made safe).
        Reading it from disk is the caller's (files.attach_file)."""

    @abstractmethod
    async def remove_attachment(self, user: User, attachment_id: int) -> None:
        """T13: files added by hand; a message's files stay with it."""

    @abstractmethod
    async def read_attachment(self, user: User, attachment_id: int) -> AttachmentContent:
        """T13 Download: the file's name and bytes; writing them to disk is the
        caller's (files.save_attachment_to: safe name, no overwrite unasked)."""

    @abstractmethod
    async def list_notes(self, user: User, ticket_id: int) -> list[Note]:
        """T14: newest first."""

    @abstractmethod
    async def add_note(self, user: User, ticket_id: int, text: str, color: str) -> Note: ...

    @abstractmethod
    async def delete_note(self, user: User, note_id: int) -> None:
        """T14: the author, a supervisor or an administrator."""
