"""A Backend bound to the acting user: what the UI calls.

`backend.session(user)` returns a Session whose areas group the contract's
methods by the part of the product that uses them (`session.tickets`,
`session.lists`, `session.customers`, `session.admin`, `session.agent`).
Each area method is the Backend method of the same name without its
`user`: the session passes the user it was made for, so a screen cannot
act as someone else by passing the wrong one. Implementations (local,
remote) keep implementing Backend; this facade only binds the user
(tests/test_session.py keeps it whole: every user-taking method in exactly
one area, with the same signature minus `user`).

Like backend.py it imports no ORM and no HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sagicc_tui.domain.admin import IssuedToken, UserChanges, UserInput
from sagicc_tui.domain.customers import (
    AccountInput,
    ContactInput,
    CustomerCursor,
    CustomerInput,
    CustomerMergePreview,
    CustomerMergeResult,
    CustomerPage,
    CustomerProfile,
    CustomerQuery,
    CustomerExport,
    MergeParts,
    RelatedCustomer,
    SimilarCustomer,
)
from sagicc_tui.domain.enums import AgentStatus, ChannelType, EntityKind
from sagicc_tui.domain.live import ChangeSet
from sagicc_tui.domain.models import (
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

if TYPE_CHECKING:  # backend.py imports this module: the names are for the annotations only
    from sagicc_tui.backend import Backend


class _Area:
    __slots__ = ("_backend", "_user")

    def __init__(self, backend: Backend, user: User) -> None:
        self._backend = backend
        self._user = user


class AgentArea(_Area):
    """Who I am and where I work: my campaigns, my status, my agenda, the team."""

    async def list_campaigns(self) -> list[Campaign]:
        """The campaigns the user belongs to (all for supervisors and administrators);
        agents do not see disabled campaigns.
        """
        return await self._backend.list_campaigns(self._user)

    async def get_campaign(self, campaign_id: int) -> Campaign:
        """NotFound for a campaign outside the user's (an agent's) campaigns, as for a missing one."""
        return await self._backend.get_campaign(self._user, campaign_id)

    async def set_agent_status(self, status: AgentStatus) -> User:
        """My agent status (Available, Busy, ...); Available is refused while I am inside an open ticket."""
        return await self._backend.set_agent_status(self._user, status)

    async def agenda(self, assignee_id: int, *, since: datetime | None = None,
            until: datetime | None = None) -> list[AgendaItem]:
        """T10: the assignee's scheduled next tasks, soonest first."""
        return await self._backend.agenda(self._user, assignee_id, since=since, until=until)

    async def list_users(self) -> list[User]:
        """Every user, for pickers (assignee, reassign, supervisor's team)."""
        return await self._backend.list_users()


class ListsArea(_Area):
    """The ticket list (L1-L12): counts, pages, my pending tickets, the filter
    sidebar's choices, saved views, mass actions, and the change feed that
    tells a screen to reload."""

    async def count_tickets(self, query: TicketQuery, *, at_most: int | None = None) -> int:
        """How many tickets of my L2 scope the query finds; with `at_most`, a
        search's count stops at at_most + 1 ("more than at_most")."""
        return await self._backend.count_tickets(self._user, query, at_most=at_most)

    async def list_tickets(self, query: TicketQuery, *, limit: int = 100, after: TicketCursor | None = None,
            offset: int = 0) -> TicketPage:
        """One page of cards in the query's order, within the user's L2 scope.

        `after` continues from a page already read (keyset: cost independent
        of depth); `offset` jumps (scrollbar drags); both never load more than
        `limit` rows.
        """
        return await self._backend.list_tickets(self._user, query, limit=limit, after=after, offset=offset)

    async def pending_tickets(self, campaign_id: int, *, limit: int = 50) -> TicketPage:
        """L7: open tickets assigned to the user, scheduled next tasks first."""
        return await self._backend.pending_tickets(self._user, campaign_id, limit=limit)

    async def filter_choices(self, campaign_ids: tuple[int, ...]) -> FilterChoices:
        """The values the filter sidebar offers for these campaigns (L4)."""
        return await self._backend.filter_choices(self._user, campaign_ids)

    async def list_views(self) -> list[SavedView]:
        """The user's own saved views, by name."""
        return await self._backend.list_views(self._user)

    async def save_view(self, name: str, query: TicketQuery, *, line: str = "") -> SavedView:
        """Create a view, or replace the filters of the user's view with that name.

        `line`: the query line's text the filters came from (+L12), kept as
        typed so "created:<7d" means the last seven days whenever the view
        is applied; "" when the filters came from the sidebar.
        """
        return await self._backend.save_view(self._user, name, query, line=line)

    async def delete_view(self, view_id: int) -> None:
        """Deletes one of my saved views."""
        return await self._backend.delete_view(self._user, view_id)

    async def preview_mass_action(self, action: MassAction) -> MassPreview:
        """L8: what the mass action would change, and what it would skip; writes nothing."""
        return await self._backend.preview_mass_action(self._user, action)

    async def run_mass_action(self, action: MassAction) -> MassResult:
        """L8: applies the mass action to the tickets it previewed."""
        return await self._backend.run_mass_action(self._user, action)

    async def change_token(self) -> int:
        """A cheap number that changes when anyone else changed the store."""
        return await self._backend.change_token()

    async def changed_since(self, token: int) -> ChangeSet:
        """What changed since ``token`` (an earlier change_token()): the ticket
        ids and parts when the backend knows them (a server's live events,
        domain/live.py), else ``change.refresh`` -- reload what is shown.
        The base answer knows no ids: it compares the tokens.
        """
        return await self._backend.changed_since(token)


class TicketsArea(_Area):
    """One ticket's screen (T1-T16): header, presence, edits, merge and relations,
    the conversation and messages, external views, drafts, tasks,
    attachments and notes."""

    async def get_ticket(self, ticket_id: int) -> Ticket:
        """Raises NotFound for tickets outside the user's scope, as for missing ones."""
        return await self._backend.get_ticket(self._user, ticket_id)

    async def get_ticket_by_number(self, number: int) -> Ticket:
        """A ticket by its number (what agents type); NotFound outside my scope."""
        return await self._backend.get_ticket_by_number(self._user, number)

    async def ticket_header(self, ticket_id: int) -> TicketHeader:
        """T2 section 1: the ticket, customer, assignee, alerts, who else is inside."""
        return await self._backend.ticket_header(self._user, ticket_id)

    async def ticket_activity(self, ticket_id: int) -> TicketActivity:
        """T8/+T16: a cheap stamp of every part of the open ticket (versions, counts,
        newest ids, who changed it last). The screen reads it when `change_token`
        moves and reloads only the parts whose stamp moved. NotFound outside scope.
        """
        return await self._backend.ticket_activity(self._user, ticket_id)

    async def enter_ticket(self, ticket_id: int) -> User:
        """T1: records my presence and sets me Busy; the screen then calls
        `heartbeat` every PRESENCE_HEARTBEAT (10) seconds. While I am inside an
        open ticket, `set_agent_status(AVAILABLE)` is refused.
        """
        return await self._backend.enter_ticket(self._user, ticket_id)

    async def leave_ticket(self, ticket_id: int) -> User:
        """T1 Exit: clears my presence; Available unless I am inside another ticket."""
        return await self._backend.leave_ticket(self._user, ticket_id)

    async def heartbeat(self, ticket_id: int) -> tuple[PresenceEntry, ...]:
        """T15: I still have it open; returns who else has it open now.
        NotFound once the ticket left my scope (reassigned away).
        """
        return await self._backend.heartbeat(self._user, ticket_id)

    async def update_ticket(self, ticket_id: int, changes: TicketChanges, *,
            expected_version: int) -> Ticket:
        """Edit status, priority, type, description, account and campaign (T7): only the
        fields given change; stale versions are refused. A campaign change follows
        Assign -> move to a campaign's rules.
        """
        return await self._backend.update_ticket(self._user, ticket_id, changes,
                expected_version=expected_version)

    async def close_ticket(self, ticket_id: int, *, expected_version: int) -> Ticket:
        """Final: a closed ticket cannot be reopened."""
        return await self._backend.close_ticket(self._user, ticket_id, expected_version=expected_version)

    async def reassign_ticket(self, ticket_id: int, *, assignee_id: int | None, campaign_id: int | None = None,
            expected_version: int) -> Ticket:
        """T3: to a user (of this or `campaign_id`), or unassigned (assignee_id None)."""
        return await self._backend.reassign_ticket(self._user, ticket_id, assignee_id=assignee_id,
                campaign_id=campaign_id, expected_version=expected_version)

    async def merge_ticket(self, ticket_id: int, other_number: int, *, merge_customers: bool = False,
            keep_customer_id: int | None = None, expected_version: int) -> Ticket:
        """T3: this ticket stays and receives everything of ticket `other_number`,
        which ends Closed; irreversible. Supervisors and administrators.
        """
        return await self._backend.merge_ticket(self._user, ticket_id, other_number,
                merge_customers=merge_customers, keep_customer_id=keep_customer_id,
                expected_version=expected_version)

    async def switch_ticket_customer(self, ticket_id: int, customer_id: int, *,
            expected_version: int) -> Ticket:
        """T4: the ticket belongs to another customer from now on; a stale version is refused."""
        return await self._backend.switch_ticket_customer(self._user, ticket_id, customer_id,
                expected_version=expected_version)

    async def related_tickets(self, ticket_id: int) -> list[TicketRelation]:
        """T3: the tickets related to this one."""
        return await self._backend.related_tickets(self._user, ticket_id)

    async def relate_ticket(self, ticket_id: int, other_number: int) -> list[TicketRelation]:
        """T3: relates both ways; returns the related tickets now."""
        return await self._backend.relate_ticket(self._user, ticket_id, other_number)

    async def conversation(self, ticket_id: int, *, channels: tuple[ChannelType, ...] = (),
            since: datetime | None = None, until: datetime | None = None, include_previous: bool = False,
            after_key: ConversationKey | None = None, before_key: ConversationKey | None = None,
            from_end: bool = False, limit: int = 100) -> ConversationPage:
        """T8: oldest first, keyset pages on (created_at, id); `include_previous`
        adds the customer's other tickets, each item marked with its number.
        """
        return await self._backend.conversation(self._user, ticket_id, channels=channels, since=since,
                until=until, include_previous=include_previous, after_key=after_key, before_key=before_key,
                from_end=from_end, limit=limit)

    async def get_interaction(self, interaction_id: int) -> Interaction:
        """T8 View more: one interaction in full, with its attachments."""
        return await self._backend.get_interaction(self._user, interaction_id)

    async def mark_read(self, ticket_id: int) -> Ticket:
        """T8: incoming interactions read, the unread indicator cleared."""
        return await self._backend.mark_read(self._user, ticket_id)

    async def send_message(self, ticket_id: int, message: OutgoingMessage,
                           files: tuple[AttachmentContent, ...] = ()) -> Interaction:
        """T9: committed PENDING, delivered outside the transaction, then SENT,
        FAILED (with the sentence) or RECORDED. The same `client_key` again
        returns the same interaction and sends nothing. `files`: the
        attachments' content (files.send_with_files reads them from paths).
        """
        return await self._backend.send_message(self._user, ticket_id, message, files)

    async def retry_delivery(self, interaction_id: int) -> Interaction:
        """T9: send a FAILED message again."""
        return await self._backend.retry_delivery(self._user, interaction_id)

    async def send_transcript(self, ticket_id: int, contact_id: int, *,
            client_key: str | None = None) -> Interaction:
        """T3: the conversation (without notes) by e-mail to one of the
        customer's e-mail contacts; recorded as an outgoing interaction whose
        delivery says whether it left (SENT, FAILED, RECORDED).
        """
        return await self._backend.send_transcript(self._user, ticket_id, contact_id, client_key=client_key)

    async def external_view(self, ticket_id: int) -> ExternalView:
        """T3: the read-only page (without notes) and its unguessable token; the
        link expires (SAGICC_EXTERNAL_VIEW_DAYS, default 7) and stops when its
        creator loses access to the ticket (local_store/external_links.py).
        """
        return await self._backend.external_view(self._user, ticket_id)

    async def list_external_views(self, *, ticket_id: int | None = None) -> list[ExternalLink]:
        """The ticket's external-view link, or (no ticket) the links the user
        made; supervisors and administrators see every link in their scope.
        """
        return await self._backend.list_external_views(self._user, ticket_id=ticket_id)

    async def revoke_external_view(self, token: str) -> None:
        """Stop sharing: the link answers 404 from now on (anyone who sees the ticket)."""
        return await self._backend.revoke_external_view(self._user, token)

    async def save_draft(self, ticket_id: int, form: str, data: dict) -> Draft:
        """T9/T11: form is "composer" or "task"; replaces my previous draft."""
        return await self._backend.save_draft(self._user, ticket_id, form, data)

    async def get_draft(self, ticket_id: int, form: str) -> Draft | None:
        """T9/T11: my draft of this form on the ticket, or None."""
        return await self._backend.get_draft(self._user, ticket_id, form)

    async def clear_draft(self, ticket_id: int, form: str) -> None:
        """T9/T11: forgets my draft of this form (sent, saved or discarded)."""
        return await self._backend.clear_draft(self._user, ticket_id, form)

    async def list_tasks_page(self, ticket_id: int, *, before_id: int | None = None,
            limit: int = 50) -> list[Task]:
        """T12 History paging: newest first, below `before_id`."""
        return await self._backend.list_tasks_page(self._user, ticket_id, before_id=before_id, limit=limit)

    async def add_task(self, ticket_id: int, task: TaskInput, *, expected_version: int | None = None) -> Task:
        """T11: a new task (contact outcome, next task) on the ticket."""
        return await self._backend.add_task(self._user, ticket_id, task, expected_version=expected_version)

    async def list_attachments(self, ticket_id: int) -> list[Attachment]:
        """T13: the ticket's files, its messages' included."""
        return await self._backend.list_attachments(self._user, ticket_id)

    async def add_attachment(self, ticket_id: int, name: str, data: bytes) -> Attachment:
        """T13: a file's content, at most 10 MB, under its name (made safe).
        Reading it from disk is the caller's (files.attach_file)."""
        return await self._backend.add_attachment(self._user, ticket_id, name, data)

    async def remove_attachment(self, attachment_id: int) -> None:
        """T13: files added by hand; a message's files stay with it."""
        return await self._backend.remove_attachment(self._user, attachment_id)

    async def read_attachment(self, attachment_id: int) -> AttachmentContent:
        """T13 Download: the file's name and bytes; writing them to disk is the
        caller's (files.save_attachment_to: safe name, no overwrite unasked)."""
        return await self._backend.read_attachment(self._user, attachment_id)

    async def list_notes(self, ticket_id: int) -> list[Note]:
        """T14: newest first."""
        return await self._backend.list_notes(self._user, ticket_id)

    async def add_note(self, ticket_id: int, text: str, color: str) -> Note:
        """T14: a note in one of the note colors."""
        return await self._backend.add_note(self._user, ticket_id, text, color)

    async def delete_note(self, note_id: int) -> None:
        """T14: the author, a supervisor or an administrator."""
        return await self._backend.delete_note(self._user, note_id)


class CustomersArea(_Area):
    """The customers module (C1-C6) and a ticket's customer (T4-T6): pages,
    forms, contacts, accounts, relations, profile, export and merge."""

    async def get_customer(self, customer_id: int) -> Customer:
        """One customer; NotFound when missing."""
        return await self._backend.get_customer(self._user, customer_id)

    async def count_customers(self, query: CustomerQuery) -> int:
        """C1: how many customers the query finds."""
        return await self._backend.count_customers(self._user, query)

    async def list_customers(self, query: CustomerQuery, *, limit: int = 100,
            after: CustomerCursor | None = None, offset: int = 0) -> CustomerPage:
        """C1: one page in the query's order; `after` continues (keyset),
        `offset` jumps; never more than `limit` rows read.
        """
        return await self._backend.list_customers(self._user, query, limit=limit, after=after, offset=offset)

    async def create_customer(self, data: CustomerInput, *, allow_duplicate: bool = False) -> Customer:
        """C2: validated (domain/customers.py); a document another customer
        has raises DuplicateCustomer (its existing_id) unless allow_duplicate.
        """
        return await self._backend.create_customer(self._user, data, allow_duplicate=allow_duplicate)

    async def update_customer(self, customer_id: int, data: CustomerInput, *, expected_version: int,
            allow_duplicate: bool = False) -> Customer:
        """T4: a stale version raises StaleWrite naming who changed it; nothing is written."""
        return await self._backend.update_customer(self._user, customer_id, data,
                expected_version=expected_version, allow_duplicate=allow_duplicate)

    async def set_customer_assignee(self, customer_id: int, assignee_id: int | None, *,
            campaign_id: int | None = None, expected_version: int) -> Customer:
        """T4 Assigned user: for all campaigns (campaign_id None) or one campaign."""
        return await self._backend.set_customer_assignee(self._user, customer_id, assignee_id,
                campaign_id=campaign_id, expected_version=expected_version)

    async def customer_profile(self, customer_id: int) -> CustomerProfile:
        """C4: tickets, interactions and attachments only from the user's L2 scope."""
        return await self._backend.customer_profile(self._user, customer_id)

    async def similar_customers(self, customer_id: int, *, limit: int = 10) -> list[SimilarCustomer]:
        """T4: most similar first, with a percentage and the reasons."""
        return await self._backend.similar_customers(self._user, customer_id, limit=limit)

    async def disable_customer(self, customer_id: int, *, expected_version: int) -> Customer:
        """C5: the customer stays, but no new ticket opens for them; needs DELETE_CUSTOMERS."""
        return await self._backend.disable_customer(self._user, customer_id,
                expected_version=expected_version)

    async def enable_customer(self, customer_id: int, *, expected_version: int) -> Customer:
        """C5: a disabled customer back in use."""
        return await self._backend.enable_customer(self._user, customer_id, expected_version=expected_version)

    async def delete_customer(self, customer_id: int) -> None:
        """C5: only a customer without tickets; otherwise RuleViolation says to
        close or merge the open ones, or to disable the customer.
        """
        return await self._backend.delete_customer(self._user, customer_id)

    async def export_customers(self, fmt: str = "xlsx", progress: Callable[[int, int],
            None] | None = None) -> CustomerExport:
        """C3: the whole base (xlsx or csv), one consistent snapshot, streamed
        (files.export_to_file writes it to disk, all or nothing)."""
        return await self._backend.export_customers(self._user, fmt, progress)

    async def list_contacts(self, customer_id: int) -> list[ContactInfo]:
        """T5: the customer's e-mail addresses and phone numbers."""
        return await self._backend.list_contacts(self._user, customer_id)

    async def add_contact(self, customer_id: int, data: ContactInput) -> ContactInfo:
        """T5: a new contact of the customer."""
        return await self._backend.add_contact(self._user, customer_id, data)

    async def update_contact(self, contact_id: int, data: ContactInput, *, expected_version: int | None = None,
            expected: ContactInput | None = None) -> ContactInfo:
        """`expected_version` (the contact's): refused when stale, even for equal values (P10).
        `expected`: the contact as the editor started from it; StaleWrite (nothing written)
        when its values changed meanwhile, so the editor can compare (T15).
        """
        return await self._backend.update_contact(self._user, contact_id, data,
                expected_version=expected_version, expected=expected)

    async def delete_contact(self, contact_id: int) -> None:
        """T5: removes a contact."""
        return await self._backend.delete_contact(self._user, contact_id)

    async def list_accounts(self, customer_id: int) -> list[Account]:
        """T6: the customer's accounts."""
        return await self._backend.list_accounts(self._user, customer_id)

    async def add_account(self, customer_id: int, data: AccountInput) -> Account:
        """T6: a new account of the customer."""
        return await self._backend.add_account(self._user, customer_id, data)

    async def update_account(self, account_id: int, data: AccountInput, *, expected_version: int | None = None,
            expected: AccountInput | None = None) -> Account:
        """`expected_version` and `expected` as for update_contact (P10, T15)."""
        return await self._backend.update_account(self._user, account_id, data,
                expected_version=expected_version, expected=expected)

    async def list_relations(self, customer_id: int) -> list[RelatedCustomer]:
        """Both directions: relations the customer recorded and those naming them."""
        return await self._backend.list_relations(self._user, customer_id)

    async def add_relation(self, customer_id: int, related_customer_id: int,
            relation: str) -> RelatedCustomer:
        """T4: records how another customer relates to this one."""
        return await self._backend.add_relation(self._user, customer_id, related_customer_id, relation)

    async def update_relation(self, relation_id: int, relation: str, *,
            expected_version: int | None = None) -> RelatedCustomer:
        """`expected_version` (the relation's): refused when stale, even for equal values (P10)."""
        return await self._backend.update_relation(self._user, relation_id, relation,
                expected_version=expected_version)

    async def remove_relation(self, relation_id: int) -> None:
        """T4: removes a relation between two customers."""
        return await self._backend.remove_relation(self._user, relation_id)

    async def preview_customer_merge(self, main_id: int, other_ids: list[int],
            parts: MergeParts) -> CustomerMergePreview:
        """C6: what moves, what is deleted; writes nothing."""
        return await self._backend.preview_customer_merge(self._user, main_id, other_ids, parts)

    async def merge_customers(self, main_id: int, other_ids: list[int], parts: MergeParts,
            expected_versions: list[int] | None = None) -> CustomerMergeResult:
        """C6: one transaction; irreversible; every affected customer and ticket logged.
        `expected_versions` (the preview's: main first, then the others): a
        customer edited since the preview refuses the merge (StaleWrite).
        """
        return await self._backend.merge_customers(self._user, main_id, other_ids, parts, expected_versions)


class AdminArea(_Area):
    """Administration (P3, P4) and the administrators' logs (T3): users, tokens,
    campaigns, the change log and the business rule log. The store refuses
    anyone else (PermissionDenied)."""

    async def add_user(self, data: UserInput) -> User:
        """P3: a new user; administrators only."""
        return await self._backend.add_user(self._user, data)

    async def update_user(self, username: str, changes: UserChanges, *, expected_version: int) -> User:
        """Only the fields given change; disabling a user revokes their tokens. Saved
        at the version read (User.version): a stale version raises StaleWrite.
        """
        return await self._backend.update_user(self._user, username, changes,
                expected_version=expected_version)

    async def issue_user_token(self, username: str) -> IssuedToken:
        """A new server token for the user, returned once."""
        return await self._backend.issue_user_token(self._user, username)

    async def revoke_user_tokens(self, username: str) -> int:
        """Revokes every token of the user; returns how many."""
        return await self._backend.revoke_user_tokens(self._user, username)

    async def issue_channel_token(self, name: str) -> IssuedToken:
        """A token for a channel gateway (POST /api/v1/inbound), returned once."""
        return await self._backend.issue_channel_token(self._user, name)

    async def revoke_channel_tokens(self, name: str) -> int:
        """Revokes every token of the channel gateway; returns how many."""
        return await self._backend.revoke_channel_tokens(self._user, name)

    async def add_campaign(self, campaign: Campaign) -> Campaign:
        """A new campaign from a full configuration (its id and version are ignored)."""
        return await self._backend.add_campaign(self._user, campaign)

    async def save_campaign(self, campaign_id: int, campaign: Campaign, *, expected_version: int) -> Campaign:
        """Replace a campaign's configuration (rename, disable, task form, channels,
        script, SLA rules, templates, surveys); a stale version raises StaleWrite.
        """
        return await self._backend.save_campaign(self._user, campaign_id, campaign,
                expected_version=expected_version)

    async def change_log(self, entity: EntityKind, entity_id: int, *, since: datetime | None = None,
            until: datetime | None = None) -> list[ChangeLogEntry]:
        """Administrators only (T3)."""
        return await self._backend.change_log(self._user, entity, entity_id, since=since, until=until)

    async def rule_log(self, ticket_id: int) -> list[RuleLogEntry]:
        """The business rule log of a ticket (T3): administrators only."""
        return await self._backend.rule_log(self._user, ticket_id)


class Session:
    """The backend as `user`: every area calls it as that user.

    Cheap to make (the areas hold two references each); after the user
    changes (sign-in, a new status) make a new one."""

    __slots__ = ("user", "_backend", "agent", "lists", "tickets", "customers", "admin")

    #: The areas, by attribute name (the test walks them).
    AREAS = ("agent", "lists", "tickets", "customers", "admin")

    def __init__(self, backend: Backend, user: User) -> None:
        self.user = user
        self._backend = backend
        self.agent = AgentArea(backend, user)
        self.lists = ListsArea(backend, user)
        self.tickets = TicketsArea(backend, user)
        self.customers = CustomersArea(backend, user)
        self.admin = AdminArea(backend, user)

    def local_path(self, path: str) -> str:
        """Where a path the user typed is on this machine (attach from, save to,
        export to: sagicc_tui/files.py); a shared host keeps it in the agent's folder."""
        return self._backend.local_path(path)

    def put_back_folder(self) -> str:
        """Where a refused message's files go back on this machine (Backend.put_back_folder)."""
        return self._backend.put_back_folder()
