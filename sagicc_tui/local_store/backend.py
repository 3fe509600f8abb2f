"""LocalBackend: the Backend contract over the SQLite (or PostgreSQL) store.

Each method runs its sync store function in a worker thread, so the event
loop (the UI) never waits on the database. Reads use a deferred transaction,
writes BEGIN IMMEDIATE (engine.py); rules run inside the transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from sagicc_tui.backend import Backend
from sagicc_tui.channels.driver import ChannelDrivers
from sagicc_tui.domain.admin import IssuedToken, UserChanges, UserInput  # the ticket screen (T1-T15)
from sagicc_tui.domain.customers import (
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
from sagicc_tui.domain.enums import (
    AgentStatus,
    ChannelType,
    CustomerStatus,
    EntityKind,
    Role,
)
from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.messages import N_
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
from sagicc_tui.domain.rules import Permission, Scope, require
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
from sagicc_tui.files import local_file
from sagicc_tui.local_store import attachments as attachments_mod
from sagicc_tui.local_store import (  # customers module (C1-C6, T4)
    admin,
    activity,
    change_names,
    commits,
    conversation,
    customer_export,
    customers,
    drafts,
    external_links,
    mass_actions,
    notes,
    outgoing,
    presence,
    schema,
    similar,
    ticket_actions,
    ticket_extras,
    views,
)
from sagicc_tui.local_store import ingest as ingest_mod
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import (
    change_from_row,
    customer_from_row,
    from_epoch,
    to_epoch,
)
from sagicc_tui.local_store.core import Clock, Store, utc_now
from sagicc_tui.local_store.engine import ChangeWatcher, libpq_conninfo

T = TypeVar("T")


class LocalBackend(Backend):
    def __init__(self, url: str | Path, *, clock: Clock = utc_now, blob_dir: Path | None = None) -> None:
        self.store = Store(str(url), clock=clock, blob_dir=blob_dir)
        self._watcher: ChangeWatcher | None = None
        self._watch_lock = threading.Lock()
        self._token = 0

    @classmethod
    async def open(cls, url: str | Path, **kw: Any) -> LocalBackend:
        """Open (create or upgrade) the store off the event loop."""
        return await asyncio.to_thread(cls, url, **kw)

    async def _read(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        def work() -> T:
            with self.store.read() as conn:
                return fn(self.store, conn, *args, **kw)

        return await asyncio.to_thread(work)

    async def _write(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        def work() -> T:
            with self.store.write() as conn:
                return fn(self.store, conn, *args, **kw)

        return await self.store.writes.run(work)  # SQLite: one at a time, in the order asked

    # --- session -------------------------------------------------------------------
    async def list_users(self) -> list[User]:
        return await self._read(lambda s, c: s.users(c))

    async def get_user(self, username: str) -> User:
        def fn(s: Store, c) -> User:
            found = s.users(c, schema.UserRow.__table__.c.username == username)
            if not found:
                raise NotFound(N_("There is no user {username}; run `sagicc users` to see who exists."), username=username)
            return found[0]

        return await self._read(fn)

    async def list_campaigns(self, user: User) -> list[Campaign]:
        def fn(s: Store, c) -> list[Campaign]:
            me = s.fresh_user(c, user)
            campaigns = [_shown_to(me, x) for x in s.campaigns(c)]
            if me.role is Role.AGENT:
                return [x for x in campaigns if x.id in me.campaign_ids and x.active]
            return campaigns

        return await self._read(fn)

    async def get_campaign(self, user: User, campaign_id: int) -> Campaign:
        def fn(s: Store, c) -> Campaign:
            me = s.fresh_user(c, user)
            found = s.campaign(c, campaign_id)
            if found is None or (me.role is Role.AGENT and campaign_id not in me.campaign_ids):
                raise NotFound(N_("There is no campaign with id {id}."), id=campaign_id)
            return _shown_to(me, found)

        return await self._read(fn)

    # --- administration (P3, P4) ---------------------------------------------------------
    async def add_user(self, user: User, data: UserInput) -> User:
        try:
            return await self._write(admin.add_user, user, data)
        except IntegrityError:
            # Another administrator added the same name between our check and insert
            # (PostgreSQL, read committed): the unique index decides, the sentence is the same.
            raise InvalidInput(N_("There is already a user {username}; choose another name."),
                               username=data.username.strip()) from None

    async def update_user(self, user: User, username: str, changes: UserChanges, *,
                          expected_version: int) -> User:
        return await self._write(admin.update_user, user, username, changes, expected_version)

    async def issue_user_token(self, user: User, username: str) -> IssuedToken:
        token = await self._write(admin.issue_user_token, user, username)
        return IssuedToken(token=token, label=username)

    async def revoke_user_tokens(self, user: User, username: str) -> int:
        return await self._write(admin.revoke_user_tokens, user, username)

    async def issue_channel_token(self, user: User, name: str) -> IssuedToken:
        token = await self._write(admin.issue_channel_token, user, name)
        return IssuedToken(token=token, label=name.strip())

    async def revoke_channel_tokens(self, user: User, name: str) -> int:
        return await self._write(admin.revoke_channel_tokens, user, name)

    async def add_campaign(self, user: User, campaign: Campaign) -> Campaign:
        try:
            return await self._write(admin.add_campaign, user, campaign)
        except IntegrityError:  # the same name added concurrently: the unique index decides
            raise InvalidInput(N_("There is already a campaign named {name}; choose another name."),
                               name=" ".join(campaign.name.split())) from None

    async def save_campaign(self, user: User, campaign_id: int, campaign: Campaign, *,
                            expected_version: int) -> Campaign:
        return await self._write(admin.save_campaign, user, campaign_id, campaign, expected_version)

    async def set_agent_status(self, user: User, status: AgentStatus) -> User:
        def fn(s: Store, c) -> User:
            tb = schema.UserRow.__table__
            presence.refuse_manual_available(s, c, user, status)  # T1: Busy while inside a ticket
            c.execute(update(tb).where(tb.c.id == user.id).values(status=status.value))
            return s.fresh_user(c, user)

        return await self._write(fn)

    # --- the list -------------------------------------------------------------------
    async def count_tickets(self, user: User, query: TicketQuery, *, at_most: int | None = None) -> int:
        return await self._read(reads.count, user, query, at_most)

    async def list_tickets(self, user: User, query: TicketQuery, *, limit: int = 100,
                           after: TicketCursor | None = None, offset: int = 0) -> TicketPage:
        return await self._read(reads.list_page, user, query, limit=limit, after=after, offset=offset)

    async def list_ticket_rows(self, user: User, query: TicketQuery, *, limit: int = 100,
                               after: TicketCursor | None = None, offset: int = 0) -> reads.PageRows:
        """list_tickets before the cards are built: the server's list route
        encodes these rows to JSON itself (server/encode.py)."""
        return await self._read(reads.page_rows, user, query, limit=limit, after=after, offset=offset)

    async def pending_tickets(self, user: User, campaign_id: int, *, limit: int = 50) -> TicketPage:
        return await self._read(reads.pending, user, campaign_id, limit)

    async def filter_choices(self, user: User, campaign_ids: tuple[int, ...]) -> FilterChoices:
        def fn(s: Store, c) -> FilterChoices:
            campaigns = [x for x in s.campaigns(c) if not campaign_ids or x.id in campaign_ids]
            values: list[str] = []
            for camp in campaigns:
                f = camp.primary_task_field()
                if f is not None:
                    values += [v for v in f.choices if v not in values]
            return FilterChoices(
                users=tuple(reads.campaign_users(s, c, campaign_ids)),
                features=tuple(reads.features(c)),
                primary_values=tuple(values),
            )

        return await self._read(fn)

    async def change_token(self) -> int:
        """A counter moved by engine.ChangeWatcher on one dedicated connection:
        SQLite's PRAGMA data_version, PostgreSQL's snapshot; it moves when any
        other connection (another terminal, or our own writes) commits."""

        def poll() -> int:
            with self._watch_lock:
                if self._watcher is None:
                    self._watcher = ChangeWatcher(self.store.engine)
                if self._watcher.changed():
                    self._token += 1
                return self._token

        return await asyncio.to_thread(poll)

    def join_writers(self, feed: str | None) -> None:
        commits.join(feed)

    async def foreign_commits(self) -> dict[str, str]:
        """SQLite: what the writers of other groups last noted (commits.py)."""
        def read() -> dict[str, str]:
            with self.store.read() as conn:
                return commits.others(conn)

        return await asyncio.to_thread(read)

    # --- one ticket ----------------------------------------------------------------------
    async def get_ticket(self, user: User, ticket_id: int) -> Ticket:
        return await self._read(reads.get, user, ticket_id=ticket_id)

    async def get_ticket_by_number(self, user: User, number: int) -> Ticket:
        return await self._read(reads.get, user, number=number)

    async def get_customer(self, user: User, customer_id: int) -> Customer:
        def fn(s: Store, c) -> Customer:
            cu = schema.CustomerRow.__table__
            row = c.execute(select(cu).where(cu.c.id == customer_id)).first()
            if row is None:
                raise NotFound(N_("There is no customer with id {id}."), id=customer_id)
            f = schema.CustomerFeature.__table__
            feats = tuple(r[0] for r in c.execute(select(f.c.feature).where(f.c.customer_id == customer_id).order_by(f.c.feature)))
            return customer_from_row(row, feats)

        return await self._read(fn)

    async def add_task(self, user: User, ticket_id: int, task: TaskInput, *,
                       expected_version: int | None = None) -> Task:
        return await self._write(ticket_actions.add_task, user, ticket_id, task, expected_version)

    async def close_ticket(self, user: User, ticket_id: int, *, expected_version: int) -> Ticket:
        return await self._write(ticket_actions.close, user, ticket_id, expected_version)

    async def update_ticket(self, user: User, ticket_id: int, changes: TicketChanges, *,
                            expected_version: int) -> Ticket:
        return await self._write(ticket_extras.update_ticket, user, ticket_id, changes, expected_version)

    async def change_log(self, user: User, entity: EntityKind, entity_id: int, *,
                         since: datetime | None = None, until: datetime | None = None) -> list[ChangeLogEntry]:
        def fn(s: Store, c) -> list[ChangeLogEntry]:
            require(s.fresh_user(c, user), Permission.VIEW_CHANGE_LOG)
            cl = schema.ChangeLogRow.__table__
            us = schema.UserRow.__table__
            stmt = (
                select(cl, us.c.full_name.label("user_name"))
                .outerjoin(us, us.c.id == cl.c.user_id)
                .where(cl.c.entity == entity.value, cl.c.entity_id == entity_id)
                .order_by(cl.c.at, cl.c.id)
            )
            if since:
                stmt = stmt.where(cl.c.at >= to_epoch(since))
            if until:
                stmt = stmt.where(cl.c.at < to_epoch(until))
            return change_names.with_names(c, [change_from_row(r, r.user_name or "") for r in c.execute(stmt)])

        return await self._read(fn)

    async def rule_log(self, user: User, ticket_id: int) -> list[RuleLogEntry]:
        def fn(s: Store, c) -> list[RuleLogEntry]:
            require(s.fresh_user(c, user), Permission.VIEW_CHANGE_LOG)
            reads.get(s, c, user, ticket_id=ticket_id)
            rl = schema.RuleLogRow.__table__
            rows = c.execute(select(rl).where(rl.c.ticket_id == ticket_id).order_by(rl.c.at, rl.c.id))
            return [RuleLogEntry(id=r.id, ticket_id=r.ticket_id, rule=r.rule, detail=r.detail,
                                 at=from_epoch(r.at)) for r in rows]

        return await self._read(fn)

    # --- saved views (L11) -----------------------------------------------------------------
    async def list_views(self, user: User) -> list[SavedView]:
        return await self._read(views.list_views, user)

    async def save_view(self, user: User, name: str, query: TicketQuery, *, line: str = "") -> SavedView:
        return await self._write(views.save_view, user, name, query, line)

    async def delete_view(self, user: User, view_id: int) -> None:
        return await self._write(views.delete_view, user, view_id)

    # --- mass actions ---------------------------------------------------------------------
    async def preview_mass_action(self, user: User, action: MassAction) -> MassPreview:
        return await self._read(mass_actions.preview, user, action)

    async def run_mass_action(self, user: User, action: MassAction) -> MassResult:
        return await self._write(mass_actions.run, user, action)

    # --- channels ---------------------------------------------------------------------------
    async def ingest(self, message: IncomingMessage) -> IngestResult:
        return await self.store.writes.run(ingest_mod.ingest, self.store, message)

    async def aclose(self) -> None:
        def close() -> None:
            with self._watch_lock:
                if self._watcher is not None:
                    self._watcher.close()
                    self._watcher = None
            self.store.writes.close()  # the writes already asked for finish first
            self.store.engine.dispose()

        await asyncio.to_thread(close)

    # --- customers (C1-C6, T4): thin calls into local_store/customers.py ------------------
    async def count_customers(self, user: User, query: CustomerQuery) -> int:
        return await self._read(customers.count, user, query)

    async def list_customers(self, user: User, query: CustomerQuery, *, limit: int = 100,
                             after: CustomerCursor | None = None, offset: int = 0) -> CustomerPage:
        return await self._read(customers.list_page, user, query, limit=limit, after=after, offset=offset)

    async def create_customer(self, user: User, data: CustomerInput, *, allow_duplicate: bool = False) -> Customer:
        return await self._write(customers.create, user, data, allow_duplicate)

    async def update_customer(self, user: User, customer_id: int, data: CustomerInput, *, expected_version: int,
                              allow_duplicate: bool = False) -> Customer:
        return await self._write(customers.update_customer, user, customer_id, data, expected_version,
                                 allow_duplicate)

    async def set_customer_assignee(self, user: User, customer_id: int, assignee_id: int | None, *,
                                    campaign_id: int | None = None, expected_version: int) -> Customer:
        return await self._write(customers.set_assignee, user, customer_id, assignee_id, campaign_id,
                                 expected_version)

    async def list_contacts(self, user: User, customer_id: int) -> list[ContactInfo]:
        return await self._read(customers.list_contacts, user, customer_id)

    async def add_contact(self, user: User, customer_id: int, data: ContactInput) -> ContactInfo:
        return await self._write(customers.add_contact, user, customer_id, data)

    async def update_contact(self, user: User, contact_id: int, data: ContactInput, *,
                             expected_version: int | None = None,
                             expected: ContactInput | None = None) -> ContactInfo:
        return await self._write(customers.update_contact, user, contact_id, data, expected_version, expected)

    async def delete_contact(self, user: User, contact_id: int) -> None:
        return await self._write(customers.delete_contact, user, contact_id)

    async def list_accounts(self, user: User, customer_id: int) -> list[Account]:
        return await self._read(customers.list_accounts, user, customer_id)

    async def add_account(self, user: User, customer_id: int, data: AccountInput) -> Account:
        return await self._write(customers.add_account, user, customer_id, data)

    async def update_account(self, user: User, account_id: int, data: AccountInput, *,
                             expected_version: int | None = None,
                             expected: AccountInput | None = None) -> Account:
        return await self._write(customers.update_account, user, account_id, data, expected_version, expected)

    async def list_relations(self, user: User, customer_id: int) -> list[RelatedCustomer]:
        return await self._read(customers.list_relations, user, customer_id)

    async def add_relation(self, user: User, customer_id: int, related_customer_id: int,
                           relation: str) -> RelatedCustomer:
        return await self._write(customers.add_relation, user, customer_id, related_customer_id, relation)

    async def update_relation(self, user: User, relation_id: int, relation: str, *,
                              expected_version: int | None = None) -> RelatedCustomer:
        return await self._write(customers.update_relation, user, relation_id, relation, expected_version)

    async def remove_relation(self, user: User, relation_id: int) -> None:
        return await self._write(customers.remove_relation, user, relation_id)

    async def customer_profile(self, user: User, customer_id: int) -> CustomerProfile:
        return await self._read(customers.profile, user, customer_id)

    async def disable_customer(self, user: User, customer_id: int, *, expected_version: int) -> Customer:
        return await self._write(customers.set_status, user, customer_id, CustomerStatus.DISABLED, expected_version)

    async def enable_customer(self, user: User, customer_id: int, *, expected_version: int) -> Customer:
        return await self._write(customers.set_status, user, customer_id, CustomerStatus.ACTIVE, expected_version)

    async def delete_customer(self, user: User, customer_id: int) -> None:
        return await self._write(customers.delete_customer, user, customer_id)

    async def export_customers(self, user: User, fmt: str = "xlsx",
                               progress: Callable[[int, int], None] | None = None) -> CustomerExport:
        # One read snapshot writes the scratch file; one write transaction logs
        # the export (see customer_export.py); then its bytes are the caller's.
        result, fh = await self._read(customer_export.export, user, fmt, progress)
        try:
            await self._write(customer_export.log_export, user, result)
        except BaseException:
            fh.close()
            raise
        return CustomerExport(result=result, chunks=_chunks_of(fh))

    async def similar_customers(self, user: User, customer_id: int, *, limit: int = 10) -> list[SimilarCustomer]:
        return await self._read(similar.similar, user, customer_id, limit)

    async def switch_ticket_customer(self, user: User, ticket_id: int, customer_id: int, *,
                                     expected_version: int) -> Ticket:
        return await self._write(customers.switch_ticket_customer, user, ticket_id, customer_id, expected_version)

    async def preview_customer_merge(self, user: User, main_id: int, other_ids: list[int],
                                     parts: MergeParts) -> CustomerMergePreview:
        return await self._read(customers.preview_merge, user, main_id, list(other_ids), parts)

    async def merge_customers(self, user: User, main_id: int, other_ids: list[int],
                              parts: MergeParts, expected_versions: list[int] | None = None) -> CustomerMergeResult:
        return await self._write(customers.merge, user, main_id, list(other_ids), parts,
                                 list(expected_versions) if expected_versions is not None else None)

    # --- ticket screen (T1-T15) ---------------------------------------------------------
    def configure_channels(self, drivers: ChannelDrivers) -> None:
        """Use these channel drivers (tests, embedding); default: from the environment."""
        self._channels = drivers

    def _channel_drivers(self) -> ChannelDrivers:
        # Built on first use, so a bad SAGICC_SMTP_* setting is said when
        # sending (ChannelConfigError), never when opening the store.
        drivers = getattr(self, "_channels", None)
        if drivers is None:
            drivers = self._channels = ChannelDrivers.from_env()
        return drivers

    async def _deliver(self, user: User, prepared: outgoing.Prepared, drivers: ChannelDrivers) -> Interaction:
        """Hand to the driver outside any transaction, then record the result.
        Shielded: a screen closed mid-send still records what happened."""
        if prepared.envelope is None:
            return prepared.interaction

        async def work() -> Interaction:
            report = await asyncio.to_thread(drivers.deliver, prepared.envelope)
            return await self._write(outgoing.finish, user, prepared.interaction.id, report)

        return await asyncio.shield(asyncio.ensure_future(work()))

    async def enter_ticket(self, user: User, ticket_id: int) -> User:
        return await self._write(presence.enter, user, ticket_id)

    async def leave_ticket(self, user: User, ticket_id: int) -> User:
        return await self._write(presence.leave, user, ticket_id)

    async def heartbeat(self, user: User, ticket_id: int) -> tuple[PresenceEntry, ...]:
        return await self._write(presence.heartbeat, user, ticket_id)

    async def ticket_header(self, user: User, ticket_id: int) -> TicketHeader:
        return await self._read(ticket_extras.header, user, ticket_id)

    async def ticket_activity(self, user: User, ticket_id: int) -> TicketActivity:
        return await self._read(activity.ticket_activity, user, ticket_id)

    async def reassign_ticket(self, user: User, ticket_id: int, *, assignee_id: int | None,
                              campaign_id: int | None = None, expected_version: int) -> Ticket:
        return await self._write(ticket_extras.reassign, user, ticket_id, assignee_id, campaign_id, expected_version)

    async def merge_ticket(self, user: User, ticket_id: int, other_number: int, *, merge_customers: bool = False,
                           keep_customer_id: int | None = None, expected_version: int) -> Ticket:
        return await self._write(ticket_extras.merge, user, ticket_id, other_number, merge_customers,
                                 keep_customer_id, expected_version)

    async def related_tickets(self, user: User, ticket_id: int) -> list[TicketRelation]:
        return await self._read(ticket_extras.related, user, ticket_id)

    async def relate_ticket(self, user: User, ticket_id: int, other_number: int) -> list[TicketRelation]:
        return await self._write(ticket_extras.relate, user, ticket_id, other_number)

    async def send_transcript(self, user: User, ticket_id: int, contact_id: int, *,
                              client_key: str | None = None) -> Interaction:
        from sagicc_tui.i18n import translator

        drivers = self._channel_drivers()
        prepared = await self._write(outgoing.prepare_transcript, user, ticket_id, contact_id, client_key,
                                     translator(user.language))
        return await self._deliver(user, prepared, drivers)

    async def external_view(self, user: User, ticket_id: int) -> ExternalView:
        from sagicc_tui.i18n import translator

        return await self._write(ticket_extras.external_view, user, ticket_id, translator(user.language))

    async def list_external_views(self, user: User, *, ticket_id: int | None = None) -> list[ExternalLink]:
        return await self._read(external_links.list_links, user, ticket_id)

    async def revoke_external_view(self, user: User, token: str) -> None:
        return await self._write(external_links.revoke, user, token)

    async def external_page(self, token: str, *, language: str | None = None) -> str | None:
        """For the server's /external/{token}: the page now, in `language` (the
        browser's; None: the process's); None for an unknown token."""
        from sagicc_tui.i18n import translator

        return await self._read(ticket_extras.external_page, token, translator(language))

    async def conversation(self, user: User, ticket_id: int, *, channels: tuple[ChannelType, ...] = (),
                           since: datetime | None = None, until: datetime | None = None,
                           include_previous: bool = False, after_key: ConversationKey | None = None,
                           before_key: ConversationKey | None = None, from_end: bool = False,
                           limit: int = 100) -> ConversationPage:
        return await self._read(conversation.page, user, ticket_id, channels=tuple(channels), since=since,
                                until=until, include_previous=include_previous, after_key=after_key,
                                before_key=before_key, from_end=from_end, limit=limit)

    async def get_interaction(self, user: User, interaction_id: int) -> Interaction:
        return await self._read(conversation.one, user, interaction_id)

    async def mark_read(self, user: User, ticket_id: int) -> Ticket:
        return await self._write(conversation.mark_read, user, ticket_id)

    async def send_message(self, user: User, ticket_id: int, message: OutgoingMessage,
                           files: tuple[AttachmentContent, ...] = ()) -> Interaction:
        drivers = self._channel_drivers()
        stored: list = []
        if await self._read(outgoing.find_by_key, user, (message.client_key or "").strip()) is None:
            # Store the files before the write transaction (a replay needs none).
            stored = await asyncio.to_thread(attachments_mod.check_and_store, self.store, tuple(files))
        prepared = await self._write(outgoing.prepare_send, user, ticket_id, message, stored)
        return await self._deliver(user, prepared, drivers)

    async def retry_delivery(self, user: User, interaction_id: int) -> Interaction:
        drivers = self._channel_drivers()
        prepared = await self._write(outgoing.prepare_retry, user, interaction_id)
        return await self._deliver(user, prepared, drivers)

    async def save_draft(self, user: User, ticket_id: int, form: str, data: dict) -> Draft:
        return await self._write(drafts.save, user, ticket_id, form, data)

    async def get_draft(self, user: User, ticket_id: int, form: str) -> Draft | None:
        return await self._read(drafts.get, user, ticket_id, form)

    async def clear_draft(self, user: User, ticket_id: int, form: str) -> None:
        return await self._write(drafts.clear, user, ticket_id, form)

    async def agenda(self, user: User, assignee_id: int, *, since: datetime | None = None,
                     until: datetime | None = None) -> list[AgendaItem]:
        return await self._read(ticket_extras.agenda, user, assignee_id, since, until)

    async def list_tasks_page(self, user: User, ticket_id: int, *, before_id: int | None = None,
                              limit: int = 50) -> list[Task]:
        return await self._read(ticket_extras.task_page, user, ticket_id, before_id, limit)

    async def list_attachments(self, user: User, ticket_id: int) -> list[Attachment]:
        return await self._read(attachments_mod.list_for_ticket, user, ticket_id)

    async def add_attachment(self, user: User, ticket_id: int, name: str, data: bytes) -> Attachment:
        f = local_file(name, data)
        # The content goes to the blob store before the write transaction: a
        # slow disk never holds the store's write lock.
        digest = await asyncio.to_thread(attachments_mod.store_file, self.store, f)
        return await self._write(attachments_mod.add, user, ticket_id, f, digest)

    async def remove_attachment(self, user: User, attachment_id: int) -> None:
        return await self._write(attachments_mod.remove, user, attachment_id)

    async def read_attachment(self, user: User, attachment_id: int) -> AttachmentContent:
        return await self._read(attachments_mod.content, user, attachment_id)

    async def list_notes(self, user: User, ticket_id: int) -> list[Note]:
        return await self._read(notes.list_for_ticket, user, ticket_id)

    async def add_note(self, user: User, ticket_id: int, text: str, color: str) -> Note:
        return await self._write(notes.add, user, ticket_id, text, color)

    async def delete_note(self, user: User, note_id: int) -> None:
        return await self._write(notes.delete_note, user, note_id)

    # --- what the server needs of its store (server/store_port.py ServedStore) ----------
    def signed_in(self, token: str) -> tuple[int, User] | None:
        from sagicc_tui.local_store import access

        return access.signed_in(self.store, token)

    def ticket_scope_rows(self, ids: list[int]) -> list[tuple[int, int, int | None, str]]:
        t = schema.ticket.c
        with self.store.read() as conn:
            return [tuple(r) for r in conn.execute(  # type: ignore[misc]
                select(t.id, t.campaign_id, t.assignee_id, t.origin_channel).where(t.id.in_(ids)))]

    def user_scope(self, user: User) -> Scope:
        with self.store.read() as conn:
            return reads.scope(self.store, conn, user)[0]

    def probe(self) -> None:
        from sqlalchemy import text

        with self.store.read() as conn:
            conn.execute(text("SELECT 1")).scalar()

    def event_channel(self) -> tuple[str | None, str]:
        url = self.store.engine.url
        pg_dsn = libpq_conninfo(url) if self.store.dialect == "postgresql" else None
        return pg_dsn, url.render_as_string(hide_password=True)


async def _chunks_of(fh: BinaryIO, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """The export's bytes, read in a worker thread; the file closes when done
    or when the reader stops (it has no name left: nothing stays behind)."""
    try:
        while block := await asyncio.to_thread(fh.read, size):
            yield block
    finally:
        fh.close()


def _shown_to(me: User, campaign: Campaign) -> Campaign:
    """The mailbox settings (#13) are the administrators' business: where the
    mail server is and where its password is kept."""
    if campaign.mailbox is None or me.role is Role.ADMINISTRATOR:
        return campaign
    return dataclasses.replace(campaign, mailbox=None)
