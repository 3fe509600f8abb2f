"""LocalBackend: the Backend contract over the SQLite (or PostgreSQL) store.

Each method runs its sync store function in a worker thread, so the event
loop (the UI) never waits on the database. Reads use a deferred transaction,
writes BEGIN IMMEDIATE (engine.py); rules run inside the transaction.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, update

from sagicc_tui.backend import Backend, FilterChoices, IncomingMessage, IngestResult
from sagicc_tui.domain.enums import AgentStatus, EntityKind, Role
from sagicc_tui.domain.errors import NotFound
from sagicc_tui.domain.messages import N_
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
from sagicc_tui.domain.rules import Permission, require
from sagicc_tui.local_store import ingest as ingest_mod
from sagicc_tui.local_store import mass_actions, schema, ticket_actions
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import change_from_row, customer_from_row, to_epoch
from sagicc_tui.local_store.core import Clock, Store, utc_now
from sagicc_tui.local_store.engine import ChangeWatcher

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

        return await asyncio.to_thread(work)

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
            campaigns = s.campaigns(c)
            if me.role is Role.AGENT:
                return [x for x in campaigns if x.id in me.campaign_ids]
            return campaigns

        return await self._read(fn)

    async def get_campaign(self, campaign_id: int) -> Campaign:
        def fn(s: Store, c) -> Campaign:
            found = s.campaign(c, campaign_id)
            if found is None:
                raise NotFound(N_("There is no campaign with id {id}."), id=campaign_id)
            return found

        return await self._read(fn)

    async def set_agent_status(self, user: User, status: AgentStatus) -> User:
        def fn(s: Store, c) -> User:
            tb = schema.UserRow.__table__
            c.execute(update(tb).where(tb.c.id == user.id).values(status=status.value))
            return s.fresh_user(c, user)

        return await self._write(fn)

    # --- the list -------------------------------------------------------------------
    async def count_tickets(self, user: User, query: TicketQuery) -> int:
        return await self._read(reads.count, user, query)

    async def list_tickets(self, user: User, query: TicketQuery, *, limit: int = 100,
                           after: TicketCursor | None = None, offset: int = 0) -> TicketPage:
        return await self._read(reads.list_page, user, query, limit=limit, after=after, offset=offset)

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
        """PRAGMA data_version on one dedicated connection: it moves when any
        other connection (another terminal, or our own writes) commits."""

        def poll() -> int:
            with self._watch_lock:
                if self._watcher is None:
                    self._watcher = ChangeWatcher(self.store.engine)
                if self._watcher.changed():
                    self._token += 1
                return self._token

        return await asyncio.to_thread(poll)

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

    async def list_interactions(self, user: User, ticket_id: int, *, after_id: int = 0,
                                limit: int = 100) -> list[Interaction]:
        def fn(s: Store, c) -> list[Interaction]:
            reads.get(s, c, user, ticket_id=ticket_id)  # scope check
            return reads.interactions(c, ticket_id, after_id, min(limit, 500))

        return await self._read(fn)

    async def list_tasks(self, user: User, ticket_id: int, *, limit: int = 50) -> list[Task]:
        def fn(s: Store, c) -> list[Task]:
            reads.get(s, c, user, ticket_id=ticket_id)
            return reads.tasks(c, ticket_id, limit)

        return await self._read(fn)

    async def add_task(self, user: User, ticket_id: int, task: TaskInput, *,
                       expected_version: int | None = None) -> Task:
        return await self._write(ticket_actions.add_task, user, ticket_id, task, expected_version)

    async def close_ticket(self, user: User, ticket_id: int, *, expected_version: int) -> Ticket:
        return await self._write(ticket_actions.close, user, ticket_id, expected_version)

    async def update_ticket(self, user: User, ticket_id: int, changes: dict[str, object], *,
                            expected_version: int) -> Ticket:
        return await self._write(ticket_actions.update_fields, user, ticket_id, changes, expected_version)

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
            return [change_from_row(r, r.user_name or "") for r in c.execute(stmt)]

        return await self._read(fn)

    # --- mass actions ---------------------------------------------------------------------
    async def preview_mass_action(self, user: User, action: MassAction) -> MassPreview:
        return await self._read(mass_actions.preview, user, action)

    async def run_mass_action(self, user: User, action: MassAction) -> MassResult:
        return await self._write(mass_actions.run, user, action)

    # --- channels ---------------------------------------------------------------------------
    async def ingest(self, message: IncomingMessage) -> IngestResult:
        return await asyncio.to_thread(ingest_mod.ingest, self.store, message)

    async def aclose(self) -> None:
        def close() -> None:
            with self._watch_lock:
                if self._watcher is not None:
                    self._watcher.close()
                    self._watcher = None
            self.store.engine.dispose()

        await asyncio.to_thread(close)
